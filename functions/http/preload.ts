/**
 * `FUSION_PRELOAD_PROFILES`: profiles a function loads during init (the AWS SDK, each profile
 * and its model, in parallel), so that with provisioned concurrency its first request is warm.
 * A failure is logged and never fails init: nothing failed is cached, so the first request
 * naming that profile loads it again. Shared with the CDK stack, which sets the variable.
 */
import type { Store } from '../store/types.js';
import { PROFILE_NAME } from '../store/names.js';

/** The most profiles one function preloads. */
export const PRELOAD_MAX_PROFILES = 20;

/** A preload list split into the usable names and the rejected entries, with why. */
export interface PreloadList {
  names: string[];
  rejected: { entry: string; reason: string }[];
}

/**
 * Reads a comma-separated list of profile names (`name` or `name@version`): blanks and
 * duplicates dropped, invalid names and those past PRELOAD_MAX_PROFILES rejected with a reason.
 */
export function preloadList(value: string | undefined): PreloadList {
  const out: PreloadList = { names: [], rejected: [] };
  for (const raw of (value ?? '').split(',')) {
    const entry = raw.trim();
    if (!entry || out.names.includes(entry)) continue;
    const name = entry.split('@')[0]!;
    if (!PROFILE_NAME.test(name) || entry.length > 256) out.rejected.push({ entry: entry.slice(0, 140), reason: 'not a profile name (letters, digits, ".", "_", "-"; at most 128 characters, then an optional @version)' });
    else if (out.names.length >= PRELOAD_MAX_PROFILES) out.rejected.push({ entry, reason: `more than ${PRELOAD_MAX_PROFILES} profiles; the rest load on first use` });
    else out.names.push(entry);
  }
  return out;
}

/** Where preloading reports: the shared logger (functions/observability.ts) in the functions. */
export interface PreloadLog {
  info(message: string, fields: Record<string, unknown>): void;
  warn(message: string, fields: Record<string, unknown>): void;
}

/** What a preload did. */
export interface PreloadResult {
  loaded: string[];
  failed: { profile: string; reason: string }[];
  ms: number;
}

/**
 * Loads `FUSION_PRELOAD_PROFILES` from `store` in parallel and logs the outcome. Never throws,
 * whatever the store does; a profile that failed is loaded again on first use.
 */
export async function preloadProfiles(value: string | undefined, store: () => Store, log: PreloadLog): Promise<PreloadResult> {
  const started = performance.now();
  const result: PreloadResult = { loaded: [], failed: [], ms: 0 };
  try {
    const { names, rejected } = preloadList(value);
    for (const r of rejected) log.warn('FUSION_PRELOAD_PROFILES entry skipped', r);
    if (names.length === 0) return result;
    const s = store();
    const outcomes = await Promise.allSettled(names.map((name) => s.getProfile(name)));
    outcomes.forEach((o, i) => {
      if (o.status === 'fulfilled') result.loaded.push(names[i]!);
      else result.failed.push({ profile: names[i]!, reason: reasonOf(o.reason) });
    });
  } catch (e) {
    result.failed.push({ profile: '*', reason: reasonOf(e) });
  }
  result.ms = Math.round(performance.now() - started);
  for (const f of result.failed) log.warn('profile preload failed; it is loaded again on first use', f);
  if (result.loaded.length) log.info('profiles preloaded', { profiles: result.loaded, ms: result.ms });
  return result;
}

function reasonOf(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).slice(0, 500);
}
