import { resolve } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { FusionError, type ProfileLookup, type ResolvedProfile } from '../fusion/index.js';
import { DirectoryStore } from './local.js';
import { S3Store, STORE_DEFAULTS } from './s3.js';
import type { Store } from './types.js';

export type { Store, PutResult } from './types.js';
export type { StoreEvents } from './telemetry.js';
export type { S3StoreOptions, S3StoreStats } from './s3.js';
export { DirectoryStore } from './local.js';
export { S3Store } from './s3.js';
export { checkModel, checkModelFits, checkProfile, decodeJson } from './validate.js';

/** The shipped example profiles and models: the repository's `examples/profiles/`. */
export const DEFAULT_STORE_DIR = resolve(import.meta.dirname, '../../examples/profiles');
/** The local store without FUSION_BUCKET: `.fusion/store/` (gitignored), read before the examples. */
export const LOCAL_STORE_DIR = resolve(import.meta.dirname, '../../.fusion/store');

// One S3 store per configuration for the life of the process: its cache outlives invocations.
const s3Stores = new Map<string, S3Store>();

/**
 * The store the environment asks for: S3 when `FUSION_BUCKET` is set (with `FUSION_PREFIX`,
 * `FUSION_CACHE_TTL_SECONDS`, `FUSION_S3_TIMEOUT_MS`, `AWS_ENDPOINT_URL_S3`, `AWS_REGION`),
 * else the local directory `FUSION_STORE_DIR`, or by default `.fusion/store/` (where `publish`
 * writes) with the shipped `examples/profiles/` read behind it. S3 stores are
 * created once per configuration and process, so callers may call this per invocation.
 */
export function createStore(env: NodeJS.ProcessEnv = process.env): Store {
  if (!env.FUSION_BUCKET) return env.FUSION_STORE_DIR ? new DirectoryStore(env.FUSION_STORE_DIR) : new DirectoryStore(LOCAL_STORE_DIR, [DEFAULT_STORE_DIR]);
  const ttlSeconds = setting(env, 'FUSION_CACHE_TTL_SECONDS', STORE_DEFAULTS.cacheTtlSeconds, 0);
  const timeoutMs = setting(env, 'FUSION_S3_TIMEOUT_MS', STORE_DEFAULTS.s3TimeoutMs, 1);
  const id = JSON.stringify([env.FUSION_BUCKET, env.FUSION_PREFIX, ttlSeconds, timeoutMs, env.AWS_ENDPOINT_URL_S3, env.AWS_REGION, env.AWS_DEFAULT_REGION, env.AWS_ACCESS_KEY_ID]);
  let store = s3Stores.get(id);
  if (!store) {
    store = new S3Store({
      client: s3Client(env, timeoutMs),
      bucket: env.FUSION_BUCKET,
      ...(env.FUSION_PREFIX ? { prefix: env.FUSION_PREFIX } : {}),
      ttlMs: ttlSeconds * 1000,
      timeoutMs,
    });
    s3Stores.set(id, store);
  }
  return store;
}

/**
 * An S3 client for the store: path-style addressing when a custom endpoint is set, each
 * attempt bounded by the deadline, the SDK's standard retry (exponential backoff with jitter).
 * Access keys in `env` are used when present, else the SDK's default credential chain.
 */
export function s3Client(env: NodeJS.ProcessEnv, timeoutMs: number): S3Client {
  const endpoint = env.AWS_ENDPOINT_URL_S3 || undefined;
  const keys =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? { credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) } }
      : {};
  return new S3Client({
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    ...keys,
    maxAttempts: STORE_DEFAULTS.maxAttempts,
    retryMode: 'standard',
    requestHandler: new NodeHttpHandler({ connectionTimeout: timeoutMs, requestTimeout: timeoutMs, throwOnRequestTimeout: true }),
  });
}

function setting(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min)
    throw new FusionError('invalid-configuration', `${name} must be a number >= ${min} (got "${raw}"); unset it for the default ${fallback}.`);
  return n;
}

/** Loads the profiles a request names (in parallel) and returns the lookup the core expects. */
export async function loadProfiles(store: Store, names: string[]): Promise<ProfileLookup | undefined> {
  if (names.length === 0) return undefined;
  const loaded = new Map<string, ResolvedProfile>();
  await Promise.all(names.map(async (name) => loaded.set(name, await store.getProfile(name))));
  return (name) => loaded.get(name);
}
