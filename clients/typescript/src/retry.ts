/** When to retry and how long to wait: jittered exponential backoff that honours `Retry-After`. */

/** Statuses worth another attempt: throttled, or unavailable for now. Any other 4xx is final. */
export const RETRY_STATUSES: ReadonlySet<number> = new Set([429, 503]);

/** Backoff settings. */
export interface Backoff {
  /** First delay, doubled on each attempt (default 100 ms). */
  baseMs: number;
  /** Longest wait, also the cap on `Retry-After` (default 20 s). */
  maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 100, maxMs: 20_000 };

/**
 * The wait before retry number `attempt` (0 for the first retry): "equal jitter", a random
 * point in the upper half of `base * 2^attempt`, but never less than `Retry-After` asks.
 */
export function retryDelay(attempt: number, retryAfter: string | null, b: Backoff = DEFAULT_BACKOFF, random = Math.random): number {
  const exp = Math.min(b.maxMs, b.baseMs * 2 ** attempt);
  const jittered = exp / 2 + random() * (exp / 2);
  return Math.min(b.maxMs, Math.max(jittered, retryAfterMs(retryAfter)));
}

/** `Retry-After` in milliseconds: delay-seconds or an HTTP date; 0 when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number {
  if (!value) return 0;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? 0 : Math.max(0, at - now);
}

/** Resolves after `ms`, or rejects when `signal` aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    function onAbort() {
      clearTimeout(timer);
      reject(signal!.reason);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
