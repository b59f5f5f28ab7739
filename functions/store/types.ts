import type { ResolvedProfile } from '../fusion/index.js';

/** The result of writing an object. */
export interface PutResult {
  /** The full key written (with `FUSION_PREFIX` in S3), for example `models/digits-logistic.json`. */
  key: string;
  /** The new object's ETag, without quotes. */
  etag?: string;
  /** The new object's versionId, when the bucket is versioned. */
  versionId?: string;
}

/**
 * Where profiles and learned models live. Two implementations: a local directory (the
 * embedded default of `npm start`) and S3 (`FUSION_BUCKET`).
 */
export interface Store {
  /** Human-readable location, for logs and messages ("dir .fusion/store, then examples/profiles", "s3://bucket/prefix"). */
  readonly location: string;
  /** Loads a profile by `name` or `name@version`, with its learned model when it names one. */
  getProfile(ref: string): Promise<ResolvedProfile>;
  /** Names of the stored profiles. */
  listProfiles(): Promise<string[]>;
  /** Reads any JSON object by store key (optionally one version), uncached and unvalidated. */
  getJson(key: string, version?: string): Promise<unknown>;
  /** Writes a JSON object under a store key (for example `profiles/sentiment.json`). */
  putJson(key: string, value: unknown): Promise<PutResult>;
}
