import { type MessageAttributeValue, SQSClient, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** SQS limits of one SendMessageBatch call. */
const MAX_ENTRIES = 10;
const MAX_BATCH_BYTES = 256 * 1024;

/** One message for the results queue. */
export interface ResultMessage {
  body: string;
  attributes?: Record<string, string>;
}

/** The results queue could not take a message (unreachable, throttled, rejected): retry later. */
export class ResultsQueueError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ResultsQueueError';
  }
}

/** An SQS client with a deadline per call (`FUSION_SQS_TIMEOUT_MS`, default 2000) and the SDK's retries. */
export function sqsClient(env: NodeJS.ProcessEnv = process.env): SQSClient {
  const ms = Number(env.FUSION_SQS_TIMEOUT_MS ?? 2000);
  return new SQSClient({ requestHandler: new NodeHttpHandler({ connectionTimeout: ms, requestTimeout: ms }) });
}

interface Pending {
  message: ResultMessage;
  bytes: number;
  resolve(): void;
  reject(e: Error): void;
}

/**
 * Sends messages to one queue in SendMessageBatch calls of at most 10 messages (and 256 KiB):
 * a call goes out when 10 are waiting, and `flush()` sends the rest. `send` resolves once SQS
 * has accepted that message and rejects with `ResultsQueueError` when it did not.
 */
export class BatchedSender {
  private pending: Pending[] = [];
  private bytes = 0;

  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  send(message: ResultMessage): Promise<void> {
    const bytes = Buffer.byteLength(message.body) + Object.entries(message.attributes ?? {}).reduce((n, [k, v]) => n + k.length + v.length + 6, 0);
    if (this.pending.length && this.bytes + bytes > MAX_BATCH_BYTES) this.flush();
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ message, bytes, resolve, reject });
      this.bytes += bytes;
      if (this.pending.length >= MAX_ENTRIES) this.flush();
    });
  }

  /** Sends every waiting message now. */
  flush(): void {
    const batch = this.pending;
    if (!batch.length) return;
    this.pending = [];
    this.bytes = 0;
    void this.sendBatch(batch);
  }

  private async sendBatch(batch: Pending[]): Promise<void> {
    let out;
    try {
      out = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: batch.map((p, i) => ({ Id: `m${i}`, MessageBody: p.message.body, MessageAttributes: attributes(p.message.attributes) })),
        }),
      );
    } catch (e) {
      const err = new ResultsQueueError(`The results queue ${this.queueUrl} did not take the results: ${(e as Error).name}: ${(e as Error).message}`, { cause: e });
      for (const p of batch) p.reject(err);
      return;
    }
    const failed = new Map((out.Failed ?? []).map((f) => [f.Id, f]));
    batch.forEach((p, i) => {
      const f = failed.get(`m${i}`);
      if (f) p.reject(new ResultsQueueError(`The results queue rejected a result: ${f.Code}: ${f.Message ?? ''}`));
      else p.resolve();
    });
  }
}

function attributes(attrs: Record<string, string> | undefined): Record<string, MessageAttributeValue> | undefined {
  if (!attrs) return undefined;
  return Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, { DataType: 'String', StringValue: v }]));
}
