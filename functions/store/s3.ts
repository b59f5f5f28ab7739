import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { NotFoundError, type Profile, type ResolvedProfile, UnavailableError } from '../fusion/index.js';
import type { ModelArtifact } from '../fusion/learned/artifact.js';
import { type Cached, type Clock, type Fetched, NOT_MODIFIED, PinnedCache, RefreshingCache } from './cache.js';
import { ETAG, describe, httpStatus, readBody, unquote } from './s3-read.js';
import { type S3Sdk, loadS3Sdk } from './s3-sdk.js';
import { type StoreEvents, powertoolsEvents } from './telemetry.js';
import type { PutResult, Store } from './types.js';
import { PROFILE_NAME, decodeJson, loadChecks as checks, profileNotFound } from './names.js';

/** Options of an {@link S3Store}; `createStore` fills them from the environment. */
export interface S3StoreOptions {
  /** The client, or a function making it on first use (`createStore`'s imports the SDK then). */
  client: S3Client | (() => Promise<S3Client>);
  bucket: string;
  /** Prefix of every key (`FUSION_PREFIX`), for example `fusion/`. */
  prefix?: string;
  /** How long a fetched object is trusted before revalidation (default 30 s). */
  ttlMs?: number;
  /** Deadline of each S3 call, retries included (default 2000 ms). */
  timeoutMs?: number;
  /** Pinned versions kept (least recently used dropped first; default 100 per kind). */
  pinnedMax?: number;
  /**
   * How long a profile found missing is answered 404 without asking S3 again (default: the
   * TTL, at most 5 s; 0 turns it off).
   */
  missingTtlMs?: number;
  /** Missing names remembered at most (default 1,000), the oldest forgotten first. */
  missingMax?: number;
  now?: Clock;
  events?: StoreEvents;
}

/** Counters of what the store asked S3, for tests and benchmarks. */
export interface S3StoreStats {
  /** GETs answered 200 with a body. */
  gets: number;
  /** Conditional GETs answered 304. */
  notModified: number;
  /** S3 calls that failed (after the SDK's retries). */
  failures: number;
}

/** Defaults of the S3 store's settings (`createStore` reads the environment's overrides in these units). */
export const STORE_DEFAULTS = { cacheTtlSeconds: 30, s3TimeoutMs: 2000, maxAttempts: 3, pinnedMax: 100, missingTtlSeconds: 5, missingMax: 1000 } as const;

/** Uploads may be larger than what the read deadline is sized for. */
const PUT_TIMEOUT_MS = 60_000;

/** A key that does not exist (as opposed to a pinned version that does not). */
class MissingObjectError extends NotFoundError {}

interface RawObject {
  text: string;
  etag: string;
  version: string;
}

/**
 * Profiles (`profiles/<name>.json`) and learned models (at a profile's `model.key`) in an S3
 * bucket, each validated on load and cached at module scope: trusted for the TTL, then
 * revalidated with a conditional GET; on failure the last good version is served marked stale.
 * `name@<versionId or ETag>` pins a version, cached without revalidation.
 */
export class S3Store implements Store {
  readonly location: string;
  readonly stats: S3StoreStats = { gets: 0, notModified: 0, failures: 0 };
  private readonly client: S3Client | (() => Promise<S3Client>);
  private connecting?: Promise<{ client: S3Client; sdk: S3Sdk }>;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly events: StoreEvents;
  private readonly profiles: RefreshingCache<Profile>;
  private readonly models: RefreshingCache<ModelArtifact>;
  private readonly pinnedProfiles: PinnedCache<Profile>;
  private readonly pinnedModels: PinnedCache<ModelArtifact>;
  /** The profile each cached model was last checked against. */
  private readonly fitted = new WeakMap<ModelArtifact, Profile>();
  /** Profile keys S3 answered "no such key" for, with the clock time: the negative cache. */
  private readonly missing = new Map<string, number>();
  private readonly missingTtlMs: number;
  private readonly missingMax: number;
  private readonly now: Clock;

  constructor(options: S3StoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.prefix = options.prefix ? options.prefix.replace(/\/*$/, '/') : '';
    this.timeoutMs = options.timeoutMs ?? STORE_DEFAULTS.s3TimeoutMs;
    this.events = options.events ?? powertoolsEvents;
    this.location = `s3://${this.bucket}/${this.prefix}`;
    const ttlMs = options.ttlMs ?? STORE_DEFAULTS.cacheTtlSeconds * 1000;
    this.missingTtlMs = options.missingTtlMs ?? Math.min(ttlMs, STORE_DEFAULTS.missingTtlSeconds * 1000);
    this.missingMax = options.missingMax ?? STORE_DEFAULTS.missingMax;
    this.now = options.now ?? (() => performance.now());
    const cacheOptions = {
      ttlMs,
      ...(options.now ? { now: options.now } : {}),
      keepOnError: (err: unknown) => !(err instanceof MissingObjectError),
      onStale: (key: string, entry: Cached<unknown>) => this.events.stale({ key: this.url(key), version: entry.version, reason: entry.reason ?? '' }),
    };
    this.profiles = new RefreshingCache(cacheOptions);
    this.models = new RefreshingCache(cacheOptions);
    const pinnedMax = options.pinnedMax ?? STORE_DEFAULTS.pinnedMax;
    this.pinnedProfiles = new PinnedCache(pinnedMax);
    this.pinnedModels = new PinnedCache(pinnedMax);
  }

  async getProfile(ref: string): Promise<ResolvedProfile> {
    const at = ref.indexOf('@');
    const name = at < 0 ? ref : ref.slice(0, at);
    const pin = at < 0 ? undefined : ref.slice(at + 1);
    const key = this.key(`profiles/${name}.json`);
    if (!PROFILE_NAME.test(name) || this.knownMissing(key)) throw profileNotFound(name);
    let entry: Omit<Cached<Profile>, 'checkedAt'>;
    try {
      entry = await this.load(key, pin, this.profiles, this.pinnedProfiles, (text) => this.decodeProfile(text, key));
    } catch (e) {
      if (!(e instanceof MissingObjectError)) throw e;
      this.rememberMissing(key);
      throw profileNotFound(name);
    }
    const resolved: ResolvedProfile = { profile: entry.value, version: entry.version, stale: entry.stale };
    if (entry.value.model) {
      const model = await this.modelFor(entry.value, key);
      resolved.model = model.value;
      resolved.stale = entry.stale || model.stale;
    }
    await (await checks()).loadVariantModels(entry.value, resolved, async (ref) => (await this.modelFor(entry.value, key, ref)).value);
    return resolved;
  }

  async listProfiles(): Promise<string[]> {
    const dir = this.key('profiles/');
    const names: string[] = [];
    let token: string | undefined;
    try {
      for (let page = 0; page < 100; page++) {
        const { client, sdk } = await this.connect();
        const out = await client.send(new sdk.ListObjectsV2Command({ Bucket: this.bucket, Prefix: dir, ContinuationToken: token }), {
          abortSignal: AbortSignal.timeout(this.timeoutMs),
        });
        for (const o of out.Contents ?? []) {
          const rest = o.Key?.slice(dir.length) ?? '';
          if (rest.endsWith('.json') && !rest.includes('/')) names.push(rest.slice(0, -'.json'.length));
        }
        if (!out.IsTruncated || !out.NextContinuationToken) break;
        token = out.NextContinuationToken;
      }
    } catch (e) {
      throw new UnavailableError(`Cannot list ${this.url(dir)}: ${describe(e, this.timeoutMs)}`, { cause: e });
    }
    return names.sort();
  }

  async putJson(key: string, value: unknown): Promise<PutResult> {
    const full = this.key(key);
    this.missing.delete(full);
    const { client, sdk } = await this.connect();
    const out = await client.send(
      new sdk.PutObjectCommand({ Bucket: this.bucket, Key: full, Body: `${JSON.stringify(value, null, 2)}\n`, ContentType: 'application/json' }),
      { requestTimeout: PUT_TIMEOUT_MS },
    );
    return { key: full, ...(out.ETag ? { etag: unquote(out.ETag) } : {}), ...(out.VersionId ? { versionId: out.VersionId } : {}) };
  }

  async getJson(key: string, version?: string): Promise<unknown> {
    const full = this.key(key);
    const got = version ? await this.fetchPinned(full, version) : await this.fetch(full, undefined, undefined);
    if (got === NOT_MODIFIED) throw new Error(`${this.url(full)}: unexpected 304`);
    return decodeJson(got.text, this.url(full));
  }

  /** `s3://bucket/key`, the name every error and warning uses. */
  url(fullKey: string): string {
    return `s3://${this.bucket}/${fullKey}`;
  }

  /** The client and the SDK's commands: imported and made on first use, again after a failure. */
  private connect(): Promise<{ client: S3Client; sdk: S3Sdk }> {
    const client = this.client;
    this.connecting ??= Promise.all([typeof client === 'function' ? client() : client, loadS3Sdk()]).then(
      ([c, sdk]) => ({ client: c, sdk }),
      (e: unknown) => {
        this.connecting = undefined;
        // The code only: the message names files of the deployment, and may reach a 503's detail.
        throw new Error(`the AWS SDK could not be loaded (${(e as { code?: string }).code ?? (e as Error).name})`, { cause: e });
      },
    );
    return this.connecting;
  }

  private key(key: string): string {
    return this.prefix + key;
  }

  /** A profile's model, through the model caches, checked against the profile. */
  private async modelFor(profile: Profile, profileKey: string, ref = profile.model!): Promise<Omit<Cached<ModelArtifact>, 'checkedAt'>> {
    const key = this.key(ref.key);
    const { checkModel, checkModelFits } = await checks();
    const decode = (text: string) => {
      const model = checkModel(decodeJson(text, this.url(key)), this.url(key));
      checkModelFits(profile, model, this.url(profileKey), this.url(key));
      this.fitted.set(model, profile);
      return model;
    };
    let got: Omit<Cached<ModelArtifact>, 'checkedAt'>;
    try {
      got = await this.load(key, ref.versionId, this.models, this.pinnedModels, decode);
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      const msg = `${this.url(profileKey)} names model ${this.url(key)}${ref.versionId ? ` version ${ref.versionId}` : ''}, which does not exist; publish the model first`;
      throw new UnavailableError(msg, { cause: e });
    }
    // A cached model was checked against the profile that loaded it; another profile may share it.
    if (this.fitted.get(got.value) !== profile) {
      try {
        checkModelFits(profile, got.value, this.url(profileKey), this.url(key));
      } catch (e) {
        throw new UnavailableError((e as Error).message, { cause: e });
      }
      this.fitted.set(got.value, profile);
    }
    return got;
  }

  /** Validates a new profile, including that its model loads and agrees with it. */
  private async decodeProfile(text: string, key: string): Promise<Profile> {
    const { checkProfile } = await checks();
    const profile = checkProfile(decodeJson(text, this.url(key)), this.url(key), key);
    if (profile.model) await this.modelFor(profile, key);
    return profile;
  }

  /** One object through a cache: pinned versions through the LRU, the latest through the TTL cache. */
  private async load<T>(
    key: string,
    pin: string | undefined,
    latest: RefreshingCache<T>,
    pinned: PinnedCache<T>,
    decode: (text: string) => T | Promise<T>,
  ): Promise<Omit<Cached<T>, 'checkedAt'>> {
    try {
      if (pin !== undefined) {
        const got = await pinned.get(`${key}@${pin}`, async () => this.decoded(await this.fetchPinned(key, pin), decode));
        return { ...got, stale: false };
      }
      return await latest.get(key, async (etag) => {
        const got = await this.fetch(key, etag, undefined);
        return got === NOT_MODIFIED ? got : this.decoded(got, decode);
      });
    } catch (e) {
      if (e instanceof NotFoundError) throw e;
      const reason = e instanceof Error ? e.message : String(e);
      this.events.unavailable({ key: this.url(key), reason });
      if (e instanceof UnavailableError) throw e;
      throw new UnavailableError(`${this.url(key)} cannot be loaded and no good version is cached: ${reason}`, { cause: e });
    }
  }

  private async decoded<T>(raw: RawObject, decode: (text: string) => T | Promise<T>): Promise<Fetched<T>> {
    return { value: await decode(raw.text), etag: raw.etag, version: raw.version };
  }

  /** A pinned version: by versionId, or (unversioned buckets) the current object if its ETag matches. */
  private async fetchPinned(key: string, pin: string): Promise<RawObject> {
    const byEtag = ETAG.test(pin);
    const got = await this.fetch(key, undefined, byEtag ? undefined : pin);
    if (got === NOT_MODIFIED) throw new Error(`${this.url(key)}: unexpected 304`);
    if (byEtag && unquote(got.etag) !== pin)
      throw new NotFoundError(`${this.url(key)} has no version ${pin}: its current ETag is ${unquote(got.etag)}, and by ETag only the current version can be pinned (pin a versionId in a versioned bucket).`);
    return { ...got, version: pin };
  }

  /**
   * One GET within the deadline: 304 → NOT_MODIFIED, missing → NotFoundError, the body read
   * whole. The SDK retries until the response headers; a body cut short gets one more GET.
   */
  private async fetch(key: string, etag: string | undefined, versionId: string | undefined): Promise<RawObject | typeof NOT_MODIFIED> {
    const { client, sdk } = await this.connect();
    const deadline = AbortSignal.timeout(this.timeoutMs);
    let last: unknown; // the last failed attempt, which an expired deadline would otherwise hide
    for (let read = 1; ; read++) {
      const command = new sdk.GetObjectCommand({ Bucket: this.bucket, Key: key, IfNoneMatch: etag, VersionId: versionId });
      command.middlewareStack.add(
        (next) => async (args) => {
          try {
            return await next(args);
          } catch (e) {
            throw ((last = e), e);
          }
        },
        { step: 'deserialize', priority: 'high' },
      );
      let out;
      try {
        out = await client.send(command, { abortSignal: deadline });
      } catch (e) {
        const status = httpStatus(e);
        const name = (e as Error).name;
        if (status === 304) return this.stats.notModified++, NOT_MODIFIED;
        if (name === 'NoSuchKey' || (status === 404 && name !== 'NoSuchVersion' && versionId === undefined))
          throw new MissingObjectError(`${this.url(key)} does not exist.`);
        // S3 answers a missing key 403 to a role that may not list its prefix: missing, as far as we can tell.
        if (status === 403 && name === 'AccessDenied' && versionId === undefined)
          throw new MissingObjectError(`${this.url(key)} does not exist or cannot be read (S3 answered 403 AccessDenied).`);
        if (versionId !== undefined && (status === 404 || (status === 400 && name === 'InvalidArgument')))
          throw new NotFoundError(`${this.url(key)} has no version ${versionId}.`);
        this.stats.failures++;
        throw new Error(describe(e, this.timeoutMs, deadline, last), { cause: e });
      }
      try {
        const text = await readBody(out.Body as Readable, deadline, out.ContentLength);
        this.stats.gets++;
        const tag = out.ETag ?? '';
        return { text, etag: tag, version: out.VersionId ?? unquote(tag) };
      } catch (e) {
        last = e;
        if (read < 2 && !deadline.aborted) continue;
        this.stats.failures++;
        throw new Error(describe(e, this.timeoutMs, deadline, last), { cause: e });
      }
    }
  }

  /** Whether S3 said `key` does not exist less than `missingTtlMs` ago. */
  private knownMissing(key: string): boolean {
    const at = this.missing.get(key);
    if (at === undefined) return false;
    if (this.now() - at < this.missingTtlMs) return true;
    this.missing.delete(key);
    return false;
  }

  /** Remembers a missing key; the oldest is forgotten beyond `missingMax`, so distinct names cannot grow memory. */
  private rememberMissing(key: string): void {
    if (this.missingTtlMs <= 0) return;
    this.missing.delete(key);
    this.missing.set(key, this.now());
    if (this.missing.size > this.missingMax) this.missing.delete(this.missing.keys().next().value!);
  }
}
