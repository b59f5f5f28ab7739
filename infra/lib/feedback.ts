/**
 * Label feedback's delivery: a Firehose stream (the shared `FirehoseToBucket`) writing the
 * feedback function's records to `feedback/dt=YYYY-MM-DD/` of the data bucket as gzipped JSON
 * lines, where `fusion dataset` and the scheduled dataset read them. The function learns the
 * stream's name from `FUSION_FEEDBACK_STREAM` and may call `firehose:PutRecord` on it, nothing more.
 */
import { Duration, Size } from 'aws-cdk-lib';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { PREFIX } from '../../functions/layout.js';
import type { FusionConfig } from './config.js';
import { FirehoseToBucket } from './firehose.js';

/**
 * Feedback is small and rare beside decisions: objects are flushed every 5 minutes (or at
 * 16 MiB), so a label is readable by `fusion dataset` minutes after it was posted.
 */
export const FEEDBACK_BUFFERING = { interval: Duration.minutes(5), size: Size.mebibytes(16) } as const;

/** What the feedback delivery needs from the stack. */
export interface FeedbackDeliveryProps {
  config: FusionConfig;
  bucket: Bucket;
  /** The function serving `POST /v1/feedback`. */
  writer: LambdaFunction & IGrantable;
}

/** The feedback stream, its role, and the writer's environment and grant. */
export class FeedbackDelivery extends Construct {
  readonly delivery: FirehoseToBucket;

  constructor(scope: Construct, id: string, props: FeedbackDeliveryProps) {
    super(scope, id);
    this.delivery = new FirehoseToBucket(this, 'Stream', {
      bucket: props.bucket,
      prefix: PREFIX.feedback,
      logRetention: props.config.logRetentionDays as RetentionDays,
      bufferingInterval: FEEDBACK_BUFFERING.interval,
      bufferingSize: FEEDBACK_BUFFERING.size,
      // The function's records are JSON lines that end in their own newline.
      appendDelimiter: false,
    });
    props.writer.addEnvironment('FUSION_FEEDBACK_STREAM', this.delivery.streamName);
    props.writer.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ actions: ['firehose:PutRecord'], resources: [this.delivery.streamArn] }));
  }
}
