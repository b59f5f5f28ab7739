/**
 * The store's S3 client, made at once, for code that needs the SDK anyway (the batch and
 * retraining functions, the CLI, tests). Imports the SDK statically: the HTTP functions use
 * `createStore`, which imports it on first use (`s3-sdk.ts`), and must not import this module.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { s3ClientConfig } from './s3-sdk.js';

/** An S3 client with the store's settings (see `s3ClientConfig`). */
export function s3Client(env: NodeJS.ProcessEnv, timeoutMs: number): S3Client {
  return new S3Client(s3ClientConfig(env, timeoutMs));
}
