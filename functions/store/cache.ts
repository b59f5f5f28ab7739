/**
 * The caching under the S3 store: plain classes over an injectable clock, so the rules (TTL,
 * conditional revalidation, one in-flight fetch per key, last good version on failure) are
 * testable without S3 and without waiting.
 */

/** A fetched object: its parsed, validated value, its ETag and the version to report. */
export interface Fetched<T> {
  value: T;
  etag: string;
  version: string;
}

/** A cached object. Entries are replaced, never mutated, so callers may keep them. */
export interface Cached<T> extends Fetched<T> {
  /** True while the last revalidation failed and this is the last good version. */
  stale: boolean;
  /** Clock time of the last successful fetch or revalidation attempt. */
  checkedAt: number;
  /** Why the last revalidation failed, while stale. */
  reason?: string;
}

/** What a fetcher returns when the object did not change since `etag` (HTTP 304). */
export const NOT_MODIFIED = Symbol('not-modified');

/** Fetches one key; given the cached ETag it may answer NOT_MODIFIED. Throws on any failure. */
export type Fetcher<T> = (etag: string | undefined) => Promise<Fetched<T> | typeof NOT_MODIFIED>;

/** Milliseconds on a monotonic clock. */
export type Clock = () => number;

const monotonic: Clock = () => performance.now();

/** Options of a {@link RefreshingCache}. */
export interface RefreshingCacheOptions {
  /** How long a fetched object is trusted before the next use revalidates it. */
  ttlMs: number;
  now?: Clock;
  /**
   * Whether a failed revalidation keeps the last good version (default: always). Return false
   * for authoritative answers such as "the object was deleted": the entry is dropped.
   */
  keepOnError?: (err: unknown) => boolean;
  /** Called when a revalidation failed and the last good version is served, marked stale. */
  onStale?: (key: string, entry: Cached<unknown>, err: unknown) => void;
}

/**
 * Objects that may change: fetched once, trusted for `ttlMs`, then revalidated on the next
 * use (the fetcher gets the cached ETag for a conditional GET). Concurrent gets of one key
 * share one fetch. A failed revalidation keeps serving the last good version, marked stale,
 * and is retried after another `ttlMs`; a failure with nothing cached throws.
 */
export class RefreshingCache<T> {
  private readonly entries = new Map<string, Cached<T>>();
  private readonly inflight = new Map<string, Promise<Cached<T>>>();
  private readonly now: Clock;

  constructor(private readonly options: RefreshingCacheOptions) {
    this.now = options.now ?? monotonic;
  }

  /** The cached entry when fresh, else the result of (one shared) fetch. */
  get(key: string, fetch: Fetcher<T>): Promise<Cached<T>> {
    const entry = this.entries.get(key);
    if (entry && this.now() - entry.checkedAt < this.options.ttlMs) return Promise.resolve(entry);
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.refresh(key, entry, fetch).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  /** The entry held for `key`, fresh or not, without fetching. */
  peek(key: string): Cached<T> | undefined {
    return this.entries.get(key);
  }

  private async refresh(key: string, entry: Cached<T> | undefined, fetch: Fetcher<T>): Promise<Cached<T>> {
    let next: Cached<T>;
    try {
      const got = await fetch(entry?.etag);
      if (got === NOT_MODIFIED) {
        if (!entry) throw new Error(`${key}: not modified, but nothing is cached`);
        next = { value: entry.value, etag: entry.etag, version: entry.version, stale: false, checkedAt: this.now() };
      } else {
        next = { ...got, stale: false, checkedAt: this.now() };
      }
    } catch (err) {
      if (!entry || !(this.options.keepOnError?.(err) ?? true)) {
        this.entries.delete(key);
        throw err;
      }
      next = { ...entry, stale: true, checkedAt: this.now(), reason: err instanceof Error ? err.message : String(err) };
      this.options.onStale?.(key, next, err);
    }
    this.entries.set(key, next);
    return next;
  }
}

/**
 * Objects that never change (pinned versions): fetched once, kept without revalidation, the
 * least recently used dropped beyond `max` entries. Concurrent gets of one key share one fetch;
 * failures are not cached.
 */
export class PinnedCache<T> {
  private readonly entries = new Map<string, Fetched<T>>();
  private readonly inflight = new Map<string, Promise<Fetched<T>>>();

  constructor(private readonly max: number) {}

  get(key: string, fetch: () => Promise<Fetched<T>>): Promise<Fetched<T>> {
    const entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
      return Promise.resolve(entry);
    }
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = fetch()
        .then((got) => {
          this.entries.set(key, got);
          if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
          return got;
        })
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  /** Number of versions held. */
  get size(): number {
    return this.entries.size;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }
}
