/**
 * The AWS SDK's S3 client, imported on first use (`import()`), never at module load: a function
 * that answers requests with inline weights never pays for it. Nothing here imports the SDK's
 * values statically (a static import anywhere in a bundle is evaluated at init).
 */
import type { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { STORE_DEFAULTS } from './s3.js';

/** The parts of `@aws-sdk/client-s3` the store uses. */
export interface S3Sdk {
  S3Client: typeof S3Client;
  GetObjectCommand: typeof GetObjectCommand;
  ListObjectsV2Command: typeof ListObjectsV2Command;
  PutObjectCommand: typeof PutObjectCommand;
}

let loading: Promise<S3Sdk> | undefined;

/** Imports the SDK once per process; a failed import is forgotten, so the next use tries again. */
export function loadS3Sdk(): Promise<S3Sdk> {
  loading ??= import('@aws-sdk/client-s3').then(
    (s3) => ({ S3Client: s3.S3Client, GetObjectCommand: s3.GetObjectCommand, ListObjectsV2Command: s3.ListObjectsV2Command, PutObjectCommand: s3.PutObjectCommand }),
    (e: unknown) => {
      loading = undefined;
      throw e;
    },
  );
  return loading;
}

/**
 * The store's S3 client settings: path-style addressing when a custom endpoint is set, each
 * attempt bounded by the deadline, the SDK's standard retry (exponential backoff with jitter).
 * Access keys in `env` are used when present, else the SDK's default credential chain.
 * The HTTP handler is given as its options: the client makes its own `NodeHttpHandler` from
 * them, so the store need not import `@smithy/node-http-handler` as an ES module beside the
 * SDK (about 3 ms of CPU on the first profile request; bench/README.md).
 */
export function s3ClientConfig(env: NodeJS.ProcessEnv, timeoutMs: number): S3ClientConfig {
  const endpoint = env.AWS_ENDPOINT_URL_S3 || undefined;
  const keys =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? { credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) } }
      : {};
  return {
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    ...keys,
    maxAttempts: STORE_DEFAULTS.maxAttempts,
    retryMode: 'standard',
    requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs, throwOnRequestTimeout: true },
  };
}

/** A store client made on first use: the SDK is imported then. */
export async function lazyS3Client(env: NodeJS.ProcessEnv, timeoutMs: number): Promise<S3Client> {
  const sdk = await loadS3Sdk();
  return new sdk.S3Client(s3ClientConfig(env, timeoutMs));
}
