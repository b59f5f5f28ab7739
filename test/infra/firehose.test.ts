import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { FirehoseToBucket, dayPrefix, errorPrefix } from '../../infra/lib/firehose.js';
import { acknowledge } from '../../infra/lib/access.js';
import { flat, resources, statements, type CfnTemplate } from './synth.js';

function build(cloudWatchLogs: boolean) {
  const app = new App();
  const stack = new Stack(app, 'T');
  const bucket = new Bucket(stack, 'Data', { encryption: BucketEncryption.S3_MANAGED, enforceSSL: true });
  acknowledge(bucket, { 'AwsSolutions-S1': 'test bucket' });
  const stream = new FirehoseToBucket(stack, 'Decisions', { bucket, prefix: 'decisions/', logRetention: RetentionDays.ONE_MONTH, cloudWatchLogs });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  const template = Template.fromStack(stack);
  return { app, stack, stream, template, json: template.toJSON() as CfnTemplate, bucketId: stack.resolve((bucket.node.defaultChild as unknown as { logicalId: string }).logicalId) as string };
}

describe('FirehoseToBucket', () => {
  it('writes encrypted, gzipped day partitions under its prefix with errors under errors/<prefix>', () => {
    const { template } = build(false);
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'DirectPut',
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
      ExtendedS3DestinationConfiguration: {
        Prefix: 'decisions/dt=!{timestamp:yyyy-MM-dd}/',
        ErrorOutputPrefix: 'errors/decisions/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/',
        CompressionFormat: 'GZIP',
        BufferingHints: { IntervalInSeconds: 300, SizeInMBs: 64 },
        CloudWatchLoggingOptions: { Enabled: true },
      },
    });
    expect(dayPrefix('feedback/')).toBe('feedback/dt=!{timestamp:yyyy-MM-dd}/');
    expect(errorPrefix('feedback/')).toContain('!{firehose:error-output-type}');
  });

  it('decompresses CloudWatch Logs batches and extracts the messages when asked', () => {
    const { json } = build(true);
    const [[, props]] = resources(json, 'AWS::KinesisFirehose::DeliveryStream') as [[string, { ExtendedS3DestinationConfiguration: { ProcessingConfiguration: { Processors: { Type: string; Parameters?: unknown[] }[] } } }]];
    expect(props.ExtendedS3DestinationConfiguration.ProcessingConfiguration.Processors).toEqual([
      { Type: 'Decompression', Parameters: [{ ParameterName: 'CompressionFormat', ParameterValue: 'GZIP' }] },
      { Type: 'CloudWatchLogProcessing', Parameters: [{ ParameterName: 'DataMessageExtraction', ParameterValue: 'true' }] },
      { Type: 'AppendDelimiterToRecord' },
    ]);
  });

  it('lets its role touch objects under its own prefixes only', () => {
    const { json, bucketId } = build(true);
    const s3 = statements(json).filter((s) => s.actions.some((a) => a.startsWith('s3:')));
    const objectResources = s3.flatMap((s) => s.resources).filter((r) => r.includes('/'));
    expect(new Set(objectResources)).toEqual(new Set([`<${bucketId}.Arn>/decisions/*`, `<${bucketId}.Arn>/errors/decisions/*`]));
    for (const s of s3) for (const r of s.resources) expect(r === `<${bucketId}.Arn>` || r.includes('/decisions/'), flat(r)).toBe(true);
    expect(s3.flatMap((s) => s.actions)).not.toContain('s3:DeleteObject');
  });

  it('rejects a prefix that is not a key folder', () => {
    const stack = new Stack(new App(), 'T');
    const bucket = new Bucket(stack, 'Data');
    expect(() => new FirehoseToBucket(stack, 'X', { bucket, prefix: 'decisions', logRetention: RetentionDays.ONE_DAY })).toThrow(/ending in "\/"/);
  });

  it('is cdk-nag clean', () => {
    const { app } = build(true);
    for (const pack of [new AwsSolutionsChecks(), new ServerlessChecks()]) {
      const report = pack.validateScope(app);
      expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(' ')}`)).toEqual([]);
    }
  });
});
