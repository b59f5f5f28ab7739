import { Duration, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { FusionConfig } from './config.js';

/** Every queue is encrypted at rest (SSE-SQS) and refuses plain-HTTP clients. */
const SECURE = { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true } as const;
const DLQ_REASON = 'This queue is itself a dead-letter target; a redrive policy on it would have nowhere to go.';

/**
 * The queues: requests in (with their dead-letter queue), results out, and the queue that
 * collects failed asynchronous events (S3 notifications to Lambda, EventBridge deliveries).
 */
export class FusionQueues extends Construct {
  /** Fusion requests from modality services; consumed by the SQS function. */
  readonly requests: Queue;
  /** Requests that failed `maxReceiveCount` times. */
  readonly deadLetter: Queue;
  /** One result (or problem) message per request; read by the callers. */
  readonly results: Queue;
  /** Failed asynchronous invocations and undeliverable EventBridge events. */
  readonly failedEvents: Queue;

  constructor(scope: Construct, id: string, props: { config: FusionConfig; consumerTimeout: Duration }) {
    super(scope, id);
    const retention = Duration.days(14);
    this.deadLetter = new Queue(this, 'DeadLetter', { ...SECURE, retentionPeriod: retention });
    this.failedEvents = new Queue(this, 'FailedEvents', { ...SECURE, retentionPeriod: retention });
    for (const q of [this.deadLetter, this.failedEvents])
      for (const id of ['AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy']) Validations.of(q).acknowledge({ id, reason: DLQ_REASON });

    this.requests = new Queue(this, 'Requests', {
      ...SECURE,
      // AWS guidance: at least six times the consumer's timeout, so retries of a slow batch never
      // make a message visible again while it is still being processed.
      visibilityTimeout: Duration.seconds(props.consumerTimeout.toSeconds() * 6),
      deadLetterQueue: { queue: this.deadLetter, maxReceiveCount: props.config.dlqMaxReceiveCount },
    });

    this.results = new Queue(this, 'Results', { ...SECURE, retentionPeriod: Duration.days(4) });
    for (const id of ['AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy'])
      Validations.of(this.results).acknowledge({
        id,
        reason: 'Read by the calling services outside this stack; each consumer decides its own redrive, and results are not retried here.',
      });
  }
}
