import type { ResolvedProfile } from '../fusion/index.js';

/** A stored JSON object as read back: its value and the version it had. */
export interface Stored<T> {
  value: T;
  /** S3 versionId when the bucket is versioned, else the ETag; "local" for the directory store. */
  version: string;
  /** True when a refresh failed and this is the last good version. */
  stale: boolean;
}

/** The result of writing an object. */
export interface PutResult {
  key: string;
  etag?: string;
  versionId?: string;
}

/**
 * Where profiles and learned models live. Two implementations: a local directory (the
 * embedded default of `npm start`) and S3 (`FUSION_BUCKET`).
 */
export interface Store {
  /** Human-readable location, for logs and messages ("dir examples/profiles", "s3://bucket/prefix"). */
  readonly location: string;
  /** Loads a profile by `name` or `name@version`, with its learned model when it names one. */
  getProfile(ref: string): Promise<ResolvedProfile>;
  /** Names of the stored profiles. */
  listProfiles(): Promise<string[]>;
  /** Writes a JSON object under a store key (for example `profiles/sentiment.json`). */
  putJson(key: string, value: unknown): Promise<PutResult>;
}
