/**
 * The request limits every adapter (HTTP, SQS, S3 batch, CLI) reads from its environment, with
 * their defaults from the core. One reader, so `FUSION_MAX_*` means the same everywhere.
 */
import { FusionError } from './fusion/errors.js';
import type { FuseLimits } from './fusion/fuse.js';
import { LIMITS } from './fusion/schemas.js';

/** A whole number >= 1 from `env[name]`, or `fallback` when unset; anything else fails fast, naming the variable. */
export function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new FusionError('invalid-configuration', `${name} must be a whole number >= 1 (got "${value.slice(0, 40)}"); unset it for the default ${fallback}.`);
  return n;
}

/** `FUSION_MAX_PROFILES_PER_REQUEST` and `FUSION_MAX_RESPONSE_BYTES`. */
export function fuseLimits(env: NodeJS.ProcessEnv): Required<FuseLimits> {
  return {
    maxProfiles: positiveInt(env, 'FUSION_MAX_PROFILES_PER_REQUEST', LIMITS.maxProfilesPerRequest),
    maxResponseBytes: positiveInt(env, 'FUSION_MAX_RESPONSE_BYTES', LIMITS.maxResponseBytes),
  };
}
