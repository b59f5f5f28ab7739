/**
 * A profile's versions in a versioned bucket: `fusion profiles history NAME` lists them with who
 * wrote each (the retrain function's promotions and rollbacks say so in their metadata), and
 * `fusion profiles rollback NAME --to VERSION` makes an earlier one current again: validated
 * first, written with `If-Match` on the current version so a concurrent change is not lost.
 */
import { GetObjectCommand, ListObjectVersionsCommand, type S3Client } from '@aws-sdk/client-s3';
import { NotFoundError, UnavailableError } from '../fusion/index.js';
import { putIfMatch } from '../events/conditional-put.js';
import { WRITE_NOTE, WRITTEN_BY, provenance } from '../events/provenance.js';
import { type Store, checkProfile, decodeJson, s3Client } from '../store/index.js';
import { describe, unquote } from '../store/s3-read.js';
import { checkModelInStore } from './publish.js';

/** Where a profile lives in S3. */
export interface S3Target {
  client: S3Client;
  bucket: string;
  /** `FUSION_PREFIX`, with its trailing slash, or ''. */
  prefix: string;
}

/** One stored version of a profile. */
export interface ProfileVersion {
  versionId: string;
  lastModified: string;
  etag: string;
  current: boolean;
  /** `retrain` or `rollback` when one of them wrote it; absent for uploads (publish, console, CLI). */
  writtenBy?: string;
  note?: string;
  /** The model the version points to, `key` or `key@versionId`. */
  model?: string;
}

/** Deadline of each S3 call of these commands. */
const TIMEOUT_MS = 10_000;
/** Pages of ListObjectVersions read at most (1,000 versions each). */
const MAX_PAGES = 20;

/** The S3 location of the profiles for `env` (FUSION_BUCKET or --bucket, FUSION_PREFIX). */
export function s3Target(env: NodeJS.ProcessEnv, bucket: string): S3Target {
  return { client: s3Client(env, TIMEOUT_MS), bucket, prefix: env.FUSION_PREFIX ? env.FUSION_PREFIX.replace(/\/*$/, '/') : '' };
}

const profileKey = (t: S3Target, name: string) => `${t.prefix}profiles/${name}.json`;
const url = (t: S3Target, key: string) => `s3://${t.bucket}/${key}`;

async function send<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    if (e instanceof NotFoundError) throw e;
    throw new UnavailableError(`${what}: ${describe(e, TIMEOUT_MS)}`, { cause: e });
  }
}

/** Every version of the profile's key, newest first (as S3 lists them). */
async function listVersions(t: S3Target, name: string): Promise<Omit<ProfileVersion, 'writtenBy' | 'note' | 'model'>[]> {
  const key = profileKey(t, name);
  const out: Omit<ProfileVersion, 'writtenBy' | 'note' | 'model'>[] = [];
  let marker: { KeyMarker?: string; VersionIdMarker?: string } = {};
  for (let page = 0; page < MAX_PAGES; page++) {
    const got = await send(`Cannot list the versions of ${url(t, key)}`, () =>
      t.client.send(new ListObjectVersionsCommand({ Bucket: t.bucket, Prefix: key, ...marker }), { abortSignal: AbortSignal.timeout(TIMEOUT_MS) }),
    );
    for (const v of got.Versions ?? [])
      if (v.Key === key && v.VersionId)
        out.push({ versionId: v.VersionId, lastModified: v.LastModified?.toISOString() ?? '', etag: unquote(v.ETag ?? ''), current: v.IsLatest ?? false });
    if (!got.IsTruncated) break;
    marker = { KeyMarker: got.NextKeyMarker, VersionIdMarker: got.NextVersionIdMarker };
  }
  if (out.length === 0) throw new NotFoundError(`${url(t, key)} has no versions: there is no profile "${name}" in s3://${t.bucket}/${t.prefix}. "fusion profiles list" shows the stored ones.`);
  return out;
}

/** One version's text and metadata. */
async function getVersion(t: S3Target, name: string, versionId: string): Promise<{ text: string; metadata: Record<string, string>; etag: string }> {
  const key = profileKey(t, name);
  return send(`Cannot read ${url(t, key)} version ${versionId}`, async () => {
    try {
      const got = await t.client.send(new GetObjectCommand({ Bucket: t.bucket, Key: key, VersionId: versionId }), { abortSignal: AbortSignal.timeout(TIMEOUT_MS) });
      return { text: await got.Body!.transformToString('utf-8'), metadata: got.Metadata ?? {}, etag: unquote(got.ETag ?? '') };
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || status === 400) throw new NotFoundError(`${url(t, key)} has no version ${versionId}; "fusion profiles history ${name}" lists its versions.`);
      throw e;
    }
  });
}

/** The newest `limit` versions of a profile, each with who wrote it and the model it names. */
export async function profileHistory(t: S3Target, name: string, limit: number): Promise<ProfileVersion[]> {
  const versions = (await listVersions(t, name)).slice(0, limit);
  return Promise.all(
    versions.map(async (v) => {
      const { text, metadata } = await getVersion(t, name, v.versionId);
      let model: string | undefined;
      try {
        const m = (JSON.parse(text) as { model?: { key?: string; versionId?: string } }).model;
        if (m?.key) model = m.versionId ? `${m.key}@${m.versionId}` : m.key;
      } catch {
        model = '(not valid JSON)';
      }
      return { ...v, ...(metadata[WRITTEN_BY] ? { writtenBy: metadata[WRITTEN_BY] } : {}), ...(metadata[WRITE_NOTE] ? { note: metadata[WRITE_NOTE] } : {}), ...(model ? { model } : {}) };
    }),
  );
}

/** What a rollback did. */
export interface Rollback {
  key: string;
  /** The version whose content is current again. */
  restored: string;
  /** The version that was current before. */
  previous: string;
  /** The new current version (the restored content, written again), or undefined when nothing was written. */
  versionId?: string;
  etag?: string;
  changed: boolean;
}

/**
 * Makes version `to` of the profile current again by writing its content as a new version,
 * after checking it as `publish` would (schema, name, and that the model it names is in the
 * store and fits), with `If-Match` on the version that was current when the command started.
 */
export async function rollbackProfile(t: S3Target, store: Store, name: string, to: string): Promise<Rollback> {
  const key = profileKey(t, name);
  const versions = await listVersions(t, name);
  const current = versions.find((v) => v.current) ?? versions[0]!;
  if (!versions.some((v) => v.versionId === to))
    throw new NotFoundError(`${url(t, key)} has no version ${to}; "fusion profiles history ${name}" lists its versions.`);
  const target = await getVersion(t, name, to);
  const where = `${url(t, key)} version ${to}`;
  const profile = checkProfile(decodeJson(target.text, where), where, key);
  if (profile.model) await checkModelInStore(store, profile, where);
  if (target.etag === current.etag) return { key, restored: to, previous: current.versionId, changed: false };
  const written = await send(`Cannot write ${url(t, key)}`, () =>
    putIfMatch(
      t.client,
      { Bucket: t.bucket, Key: key, Body: target.text, ContentType: 'application/json', Metadata: provenance('rollback', `restored version ${to}; replaced version ${current.versionId}`) },
      current.etag,
    ),
  );
  if (!written.ok)
    throw new UnavailableError(
      `${url(t, key)} changed while rolling back (it was version ${current.versionId}, ETag ${current.etag}; now ETag ${written.currentEtag ?? 'another'}); nothing was written. Run "fusion profiles history ${name}" and try again.`,
    );
  return { key, restored: to, previous: current.versionId, changed: true, ...(written.versionId ? { versionId: written.versionId } : {}), ...(written.etag ? { etag: written.etag } : {}) };
}

/** The history as an aligned table, newest first, the current version marked. */
export function formatHistory(versions: ProfileVersion[]): string {
  const head = ['version', 'time', 'etag', 'written by', 'model', 'note'];
  const rows = versions.map((v) => [`${v.versionId}${v.current ? ' *' : ''}`, v.lastModified, v.etag, v.writtenBy ?? 'upload', v.model ?? '-', v.note ?? '']);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), ...rows.map(line), '', '* current. "upload": written by publish or another S3 client.'].join('\n');
}
