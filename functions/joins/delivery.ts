/**
 * Delivery of join outcomes, at least once, with the join id as the idempotency key: to the
 * results queue (`FUSION_RESULTS_QUEUE_URL`) and to an EventBridge bus (`FUSION_EVENT_BUS_NAME`)
 * as `Fusion Decision` or `Fusion Join Insufficient` events. Without either, outcomes are kept
 * in memory (the embedded default of `npm start`).
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { JoinOutcome } from '../fusion/join/schema.js';
import type { JoinDelivery } from './service.js';

/** The EventBridge `source` of join events. */
export const EVENT_SOURCE = 'late-fusion.joins';

/** The `detail-type` of an outcome's event. */
export function detailType(outcome: JoinOutcome): string {
  return outcome.state === 'decided' ? 'Fusion Decision' : 'Fusion Join Insufficient';
}

/** The message and event body of an outcome: the idempotency key, the profile and the outcome. */
export function envelope(outcome: JoinOutcome, profile: string): { idempotencyKey: string; profile: string; join: JoinOutcome } {
  return { idempotencyKey: `${profile}/${outcome.joinId}`, profile, join: outcome };
}

/** Sends each outcome to the results queue. */
export class QueueDelivery implements JoinDelivery {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async deliver(outcome: JoinOutcome, profile: string): Promise<void> {
    const body = envelope(outcome, profile);
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(body),
        MessageAttributes: {
          idempotencyKey: { DataType: 'String', StringValue: body.idempotencyKey },
          outcome: { DataType: 'String', StringValue: outcome.state === 'decided' ? 'join-decided' : 'join-insufficient' },
        },
      }),
    );
  }
}

/** Puts each outcome on an EventBridge bus. */
export class BusDelivery implements JoinDelivery {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async deliver(outcome: JoinOutcome, profile: string): Promise<void> {
    const out = await this.client.send(
      new PutEventsCommand({
        Entries: [{ EventBusName: this.busName, Source: EVENT_SOURCE, DetailType: detailType(outcome), Detail: JSON.stringify(envelope(outcome, profile)) }],
      }),
    );
    if (out.FailedEntryCount) throw new Error(`EventBridge refused the event: ${out.Entries?.[0]?.ErrorCode ?? ''} ${out.Entries?.[0]?.ErrorMessage ?? ''}`);
  }
}

/** Keeps the last `limit` outcomes in memory, and tells listeners. */
export class MemoryDelivery implements JoinDelivery {
  readonly outcomes: { profile: string; outcome: JoinOutcome }[] = [];
  private readonly listeners = new Set<(outcome: JoinOutcome, profile: string) => void>();

  constructor(private readonly limit = 10_000) {}

  deliver(outcome: JoinOutcome, profile: string): Promise<void> {
    this.outcomes.push({ profile, outcome });
    if (this.outcomes.length > this.limit) this.outcomes.splice(0, this.outcomes.length - this.limit);
    for (const l of this.listeners) l(outcome, profile);
    return Promise.resolve();
  }

  /** Calls `listener` on every later delivery; returns the function that stops it. */
  listen(listener: (outcome: JoinOutcome, profile: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Delivers to every target; fails (to be retried as a whole) when any of them fails. */
export class AllDelivery implements JoinDelivery {
  constructor(private readonly targets: JoinDelivery[]) {}

  async deliver(outcome: JoinOutcome, profile: string): Promise<void> {
    await Promise.all(this.targets.map((t) => t.deliver(outcome, profile)));
  }
}
