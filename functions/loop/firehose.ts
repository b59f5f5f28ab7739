/**
 * Amazon Data Firehose's `PutRecord`, with the SDK imported on first use (`import()`), never at
 * module load, as the S3 client is (`functions/store/s3-sdk.ts`): only the bundles that put
 * records pay for it, and only when they first do.
 */
import type { FirehoseClient, FirehoseClientConfig } from '@aws-sdk/client-firehose';

/** Per attempt; the SDK's standard retry makes at most `maxAttempts` (backoff with jitter). */
export const FIREHOSE_DEFAULTS = { timeoutMs: 3000, maxAttempts: 3 } as const;

/** Puts one record (bytes) on a delivery stream. */
export type PutRecord = (data: Uint8Array) => Promise<void>;

/**
 * The client settings: `AWS_ENDPOINT_URL_FIREHOSE` when set (tests point it at a local
 * endpoint), access keys from `env` when present, else the SDK's default credential chain.
 */
export function firehoseClientConfig(env: NodeJS.ProcessEnv): FirehoseClientConfig {
  const endpoint = env.AWS_ENDPOINT_URL_FIREHOSE || undefined;
  const keys =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? { credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) } }
      : {};
  return { region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1', ...(endpoint ? { endpoint } : {}), ...keys, maxAttempts: FIREHOSE_DEFAULTS.maxAttempts, retryMode: 'standard' };
}

/** `PutRecord` on `stream`; the client (and the SDK) is made on the first put and kept. */
export function firehosePut(stream: string, env: NodeJS.ProcessEnv): PutRecord {
  let client: Promise<{ client: FirehoseClient; PutRecordCommand: typeof import('@aws-sdk/client-firehose').PutRecordCommand }> | undefined;
  return async (data) => {
    client ??= Promise.all([import('@aws-sdk/client-firehose'), import('@smithy/node-http-handler')]).then(
      ([sdk, http]) => {
        const requestHandler = new http.NodeHttpHandler({ connectionTimeout: FIREHOSE_DEFAULTS.timeoutMs, requestTimeout: FIREHOSE_DEFAULTS.timeoutMs, throwOnRequestTimeout: true });
        return { client: new sdk.FirehoseClient({ ...firehoseClientConfig(env), requestHandler }), PutRecordCommand: sdk.PutRecordCommand };
      },
      (e: unknown) => {
        client = undefined; // a failed import is forgotten: the next put tries again
        throw e;
      },
    );
    const { client: c, PutRecordCommand } = await client;
    await c.send(new PutRecordCommand({ DeliveryStreamName: stream, Record: { Data: data } }));
  };
}
