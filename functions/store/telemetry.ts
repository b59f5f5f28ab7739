import { emitMetrics, logger } from '../observability.js';

/** What the S3 store reports about its health. */
export interface StoreEvents {
  /** A revalidation failed; the last good version is served, marked stale. */
  stale(info: { key: string; version: string; reason: string }): void;
  /** Nothing good is cached and the object cannot be loaded (the caller gets a 503). */
  unavailable(info: { key: string; reason: string }): void;
}

/** Metric names the store emits (counts). */
export const STORE_METRIC = {
  /** A revalidation failed and the last good version is kept (once per failed attempt, at most once per TTL per key). */
  revalidationFailed: 'StoreRevalidationFailed',
  /** An object could not be loaded with nothing good cached. */
  unavailable: 'StoreUnavailable',
} as const;

function count(name: string): void {
  // Its own EMF record, written at once, with the service dimension only: rare events that
  // must not wait for (or mix their dimensions into) a handler's metrics.
  emitMetrics({}, { [name]: 1 });
}

/** Warnings through the shared logger, counts through the shared EMF metrics. */
export const powertoolsEvents: StoreEvents = {
  stale({ key, version, reason }) {
    logger.warn('store revalidation failed; serving the last good version (stale)', { key, version, reason });
    count(STORE_METRIC.revalidationFailed);
  },
  unavailable({ key, reason }) {
    logger.warn('store object unavailable and nothing good cached', { key, reason });
    count(STORE_METRIC.unavailable);
  },
};
