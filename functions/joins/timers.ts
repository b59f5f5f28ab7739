/**
 * Timers of joins: in process (`setTimeout`, the embedded default) or an SQS queue whose
 * messages are delayed until the deadline (`FUSION_JOINS_TIMER_QUEUE_URL`), read by the timer
 * function (`timer.ts`).
 */
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { JOIN_LIMITS } from '../fusion/join/schema.js';
import { logger } from '../observability.js';
import type { JoinScheduler } from './service.js';
import { key } from './store.js';

/** The body of a timer message. */
export interface TimerMessage {
  profile: string;
  joinId: string;
}

/**
 * In-process timers: one per join (a later schedule of the same join replaces it). A timer
 * whose delivery fails is tried again after `retryMs`, up to `retries` times.
 */
export class InProcessScheduler implements JoinScheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Set once the service exists (the service needs the scheduler first). */
  fire: (profile: string, joinId: string) => Promise<void> = () => Promise.resolve();

  constructor(private readonly opts: { now?: () => number; retryMs?: number; retries?: number } = {}) {}

  schedule(profile: string, joinId: string, at: number, attempt = 0): Promise<void> {
    const k = key(profile, joinId);
    clearTimeout(this.timers.get(k));
    const delay = Math.max(0, at - (this.opts.now ?? Date.now)());
    const timer = setTimeout(() => {
      this.timers.delete(k);
      this.fire(profile, joinId).catch((e: unknown) => {
        const retries = this.opts.retries ?? 10;
        logger.warn('join timer failed', { profile, joinId, attempt, error: e as Error });
        if (attempt < retries) void this.schedule(profile, joinId, 0, attempt + 1).then(undefined, () => undefined);
      });
    }, delay + (attempt ? (this.opts.retryMs ?? 1000) : 0));
    timer.unref();
    this.timers.set(k, timer);
    return Promise.resolve();
  }

  /** How many timers are waiting. */
  get pending(): number {
    return this.timers.size;
  }

  /** Cancels every waiting timer. */
  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}

/** Timers as delayed SQS messages (SQS delays by whole seconds, at most 900). */
export class SqsScheduler implements JoinScheduler {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    private readonly now: () => number = Date.now,
  ) {}

  async schedule(profile: string, joinId: string, at: number): Promise<void> {
    const seconds = Math.min(JOIN_LIMITS.maxWindowSeconds, Math.max(0, Math.ceil((at - this.now()) / 1000)));
    const body: TimerMessage = { profile, joinId };
    await this.client.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(body), DelaySeconds: seconds }));
  }
}
