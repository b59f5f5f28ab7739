/**
 * An encrypted Amazon Data Firehose stream that writes gzipped JSON lines to one key prefix of
 * the data bucket, partitioned by day (`<prefix>dt=YYYY-MM-DD/`), with failed records under
 * `errors/<prefix>`. Its role may write under those two prefixes only (the CDK L2 destination
 * would grant read and write on the whole bucket, so this is the L1 resource). The decision log
 * (a CloudWatch Logs subscription, infra/lib/loop.ts) and label feedback (infra/lib/feedback.ts)
 * both use it.
 */
import { Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import { type IGrantable, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import { LogGroup, LogStream, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { grantPrefixes } from './access.js';

/** Where and how a stream delivers. */
export interface FirehoseToBucketProps {
  bucket: Bucket;
  /** Key prefix ending in `/`, e.g. `decisions/` (from functions/layout.ts). */
  prefix: string;
  /** Retention of the stream's delivery-error log group. */
  logRetention: RetentionDays;
  /** Flush after this long (default 300 s; 0 to 900). */
  bufferingInterval?: Duration;
  /** or after this much data (default 64 MiB; 1 to 128). */
  bufferingSize?: Size;
  /**
   * The records are CloudWatch Logs subscription batches: decompress them and keep only each
   * log event's message, one per line (Firehose's Decompression and CloudWatchLogProcessing
   * processors), so S3 gets the logged JSON lines themselves.
   */
  cloudWatchLogs?: boolean;
  /**
   * Append a newline to each record (default true). False when the writers put records that
   * already end in one (label feedback does), so no blank lines appear between them.
   */
  appendDelimiter?: boolean;
}

/** The Firehose key prefix expression of a day partition under `prefix`. */
export function dayPrefix(prefix: string): string {
  return `${prefix}dt=!{timestamp:yyyy-MM-dd}/`;
}

/** Where Firehose puts what it could not deliver or process (`!{firehose:error-output-type}` is required). */
export function errorPrefix(prefix: string): string {
  return `errors/${prefix}!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/`;
}

/**
 * One delivery stream into the data bucket: server-side encrypted with an AWS-owned key, GZIP
 * output, buffering hints, delivery errors logged, and a role limited to its prefixes.
 */
export class FirehoseToBucket extends Construct {
  readonly stream: CfnDeliveryStream;
  readonly role: Role;
  /** The stream's ARN (for `firehose:PutRecord*` grants). */
  readonly streamArn: string;
  readonly streamName: string;

  constructor(scope: Construct, id: string, props: FirehoseToBucketProps) {
    super(scope, id);
    const { bucket, prefix } = props;
    if (!/^[a-z0-9][a-z0-9/_-]*\/$/.test(prefix)) throw new Error(`FirehoseToBucket prefix must be lowercase key segments ending in "/" (got "${prefix}")`);
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('firehose.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } } }),
      description: `Lets Firehose write ${prefix} to the data bucket`,
    });
    grantPrefixes(this.role, this.role, bucket, { read: [prefix, `errors/${prefix}`], write: [prefix, `errors/${prefix}`], list: [prefix, `errors/${prefix}`] });
    // Firehose checks the bucket and its pending multipart uploads before writing.
    this.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:GetBucketLocation', 's3:ListBucketMultipartUploads'], resources: [bucket.bucketArn] }));

    const logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    const logStream = new LogStream(this, 'DeliveryErrors', { logGroup, removalPolicy: RemovalPolicy.DESTROY });
    logGroup.grantWrite(this.role);

    const processors = props.cloudWatchLogs
      ? [
          { type: 'Decompression', parameters: [{ parameterName: 'CompressionFormat', parameterValue: 'GZIP' }] },
          { type: 'CloudWatchLogProcessing', parameters: [{ parameterName: 'DataMessageExtraction', parameterValue: 'true' }] },
          { type: 'AppendDelimiterToRecord' },
        ]
      : props.appendDelimiter === false
        ? []
        : [{ type: 'AppendDelimiterToRecord' }];

    this.stream = new CfnDeliveryStream(this, 'Stream', {
      deliveryStreamType: 'DirectPut',
      deliveryStreamEncryptionConfigurationInput: { keyType: 'AWS_OWNED_CMK' },
      extendedS3DestinationConfiguration: {
        bucketArn: bucket.bucketArn,
        roleArn: this.role.roleArn,
        prefix: dayPrefix(prefix),
        errorOutputPrefix: errorPrefix(prefix),
        compressionFormat: 'GZIP',
        fileExtension: '.jsonl.gz',
        bufferingHints: {
          intervalInSeconds: (props.bufferingInterval ?? Duration.seconds(300)).toSeconds(),
          sizeInMBs: (props.bufferingSize ?? Size.mebibytes(64)).toMebibytes(),
        },
        ...(processors.length ? { processingConfiguration: { enabled: true, processors } } : {}),
        cloudWatchLoggingOptions: { enabled: true, logGroupName: logGroup.logGroupName, logStreamName: logStream.logStreamName },
      },
    });
    // The role's policy must exist before Firehose first tries to deliver.
    this.stream.node.addDependency(this.role);
    this.streamArn = this.stream.attrArn;
    this.streamName = this.stream.ref;
  }

  /** Lets `grantee` put records (and batches) into this stream, nothing else. */
  grantPut(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ actions: ['firehose:PutRecord', 'firehose:PutRecordBatch'], resources: [this.streamArn] }));
  }
}
