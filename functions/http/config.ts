import type { AsyncLocalStorage } from 'node:async_hooks';
import type { FuseLimits } from '../fusion/fuse.js';
import { fuseLimits, positiveInt } from '../limits.js';
import { logPayloads } from '../observability.js';
import { createStore, type Store } from '../store/index.js';

/** Default `FUSION_MAX_BODY_BYTES`: 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** What the HTTP handlers read from the environment. */
export interface HttpConfig {
  store: Store;
  /** Largest accepted request body in bytes (`FUSION_MAX_BODY_BYTES`). */
  maxBodyBytes: number;
  /** `FUSION_LOG_PAYLOADS=true`. */
  logPayloads: boolean;
  /** `FUSION_MAX_PROFILES_PER_REQUEST` and `FUSION_MAX_RESPONSE_BYTES`. */
  limits: Required<FuseLimits>;
}

// Created by the first `withEnv` that needs it (never in Lambda): importing node:async_hooks as
// an ES module and the first `getStore()` cost every cold start about 1 ms of CPU.
let current: AsyncLocalStorage<NodeJS.ProcessEnv> | undefined;
const configs = new WeakMap<NodeJS.ProcessEnv, HttpConfig>();

/**
 * Runs `fn(...args)` as one invocation seeing `env` as its environment. In Lambda nothing calls this and
 * handlers see `process.env`; the local server uses it so that one process can host servers
 * with different settings (tests start several).
 */
export function withEnv<A extends unknown[], T>(env: NodeJS.ProcessEnv, fn: (...args: A) => T, ...args: A): T {
  // Already the environment `fn` would see (the usual case: a server on `process.env`): no new context.
  if (env === invocationEnv()) return fn(...args);
  current ??= new (process.getBuiltinModule('node:async_hooks').AsyncLocalStorage)<NodeJS.ProcessEnv>();
  return current.run(env, fn, ...args);
}

/** The environment of the current invocation. */
export function invocationEnv(): NodeJS.ProcessEnv {
  return current?.getStore() ?? process.env;
}

/**
 * The configuration for `env`, built once per environment object (for `process.env`: once per
 * process, at cold start), so the store and its cache live across warm invocations.
 */
export function httpConfig(env: NodeJS.ProcessEnv = invocationEnv()): HttpConfig {
  let config = configs.get(env);
  if (!config) {
    config = {
      store: createStore(env),
      maxBodyBytes: positiveInt(env, 'FUSION_MAX_BODY_BYTES', DEFAULT_MAX_BODY_BYTES),
      logPayloads: logPayloads(env),
      limits: fuseLimits(env),
    };
    configs.set(env, config);
  }
  return config;
}
