/**
 * `fusion profiles promote NAME --canary`: the profile's canary becomes its primary. The
 * canary's model becomes `model` (its strategy, when it names one, becomes the join's strategy
 * if the profile has a join; otherwise callers switch routes, which the output says), and
 * `canary` is removed. The result is validated as `publish` would, then written with `If-Match`
 * on the ETag read at the start (in the local store: a compare-and-swap under the profile file's
 * lock), so a change made meanwhile fails the command and is kept.
 */
import { readFile } from 'node:fs/promises';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { InvalidRequestError, NotFoundError, type Profile, UnavailableError } from '../fusion/index.js';
import { isModelRef } from '../fusion/loop/variant-schema.js';
import { putIfMatch } from '../events/conditional-put.js';
import { provenance } from '../events/provenance.js';
import { DirectoryStore, type Store, checkProfile, profileNotFound } from '../store/index.js';
import { etagOf, replaceFile, withFileLock } from './file-lock.js';
import { httpStatus, unquote } from '../store/s3-read.js';
import type { S3Target } from './profile-versions.js';
import { checkModelInStore } from './publish.js';

/** What a promotion did. */
export interface Promotion {
  key: string;
  /** The model that is primary now (`key` or `key@versionId`) and the one it replaced. */
  model: string;
  previousModel?: string;
  /** The canary's strategy, when it named one: the route (or join) to use from now on. */
  strategy?: string;
  /** The ETag the command read, and the new object's ETag and version. */
  previousEtag: string;
  etag?: string;
  versionId?: string;
  fraction: number;
}

const refText = (m: { key: string; versionId?: string } | undefined) => (m ? (m.versionId ? `${m.key}@${m.versionId}` : m.key) : undefined);

/** The profile with its canary made primary (pure). */
export function promoteCanary(profile: Profile): Profile {
  const canary = profile.canary;
  if (!canary) throw new InvalidRequestError([{ path: 'canary', message: `profile "${profile.name}" has no canary to promote` }]);
  if (!isModelRef(canary.model))
    throw new InvalidRequestError([
      { path: 'canary.model', message: 'the canary\'s model is inline; publish it (fusion publish --model FILE), name it by {"key"} in the canary, then promote' },
    ]);
  const { canary: _, ...rest } = profile;
  const out: Profile = { ...rest, model: { key: canary.model.key, ...(canary.model.versionId ? { versionId: canary.model.versionId } : {}) } };
  if (canary.strategy && out.join) out.join = { ...out.join, strategy: canary.strategy };
  return out;
}

/** Reads a profile's text and ETag, writes it back only if the ETag is unchanged. */
export interface ProfileSlot {
  key: string;
  read(): Promise<{ text: string; etag: string }>;
  write(text: string, etag: string, note: string): Promise<{ ok: boolean; etag?: string; versionId?: string }>;
}

/** The slot of `profiles/NAME.json` in S3: a GET for the ETag, `If-Match` on the PUT. */
export function s3Slot(t: S3Target, name: string): ProfileSlot {
  const key = `${t.prefix}profiles/${name}.json`;
  return {
    key,
    async read() {
      try {
        const got = await t.client.send(new GetObjectCommand({ Bucket: t.bucket, Key: key }), { abortSignal: AbortSignal.timeout(10_000) });
        return { text: await got.Body!.transformToString('utf-8'), etag: unquote(got.ETag ?? '') };
      } catch (e) {
        if (httpStatus(e) === 404) throw new NotFoundError(`There is no profile "${name}" in s3://${t.bucket}/${t.prefix}; "fusion profiles list" shows the stored ones.`);
        throw new UnavailableError(`Cannot read s3://${t.bucket}/${key}: ${(e as Error).message}`, { cause: e });
      }
    },
    async write(text, etag, note) {
      return putIfMatch(t.client, { Bucket: t.bucket, Key: key, Body: text, ContentType: 'application/json', Metadata: provenance('promote', note) }, etag);
    },
  };
}

/**
 * The slot of a profile in the local store: the ETag is the SHA-256 of the file's text. The write
 * is a compare-and-swap under the file's lock (functions/cli/file-lock.ts, which `fusion publish`
 * takes too): read the text again, compare its hash, and only then replace the file (a rename).
 */
export function localSlot(store: Store, name: string): ProfileSlot {
  if (!(store instanceof DirectoryStore)) throw new TypeError(`the local promotion needs the local store, not ${store.location}`);
  const key = `profiles/${name}.json`;
  const text = async () => {
    try {
      return await readFile(store.filesOf(key).read, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw profileNotFound(name);
      throw new UnavailableError(`Cannot read ${key} in ${store.location}: ${(e as Error).message}`, { cause: e });
    }
  };
  return {
    key,
    async read() {
      const current = await text();
      return { text: current.replace(/^\uFEFF/, ''), etag: etagOf(current) };
    },
    async write(next, etag) {
      const file = store.filesOf(key).write;
      return withFileLock(file, async () => {
        if (etagOf(await text()) !== etag) return { ok: false };
        await replaceFile(file, next);
        return { ok: true, etag: etagOf(next) };
      });
    },
  };
}

/** Promotes the canary of the profile in `slot`, validated against `store` (its models must be there). */
export async function promote(slot: ProfileSlot, store: Store, name: string): Promise<Promotion> {
  const { text, etag } = await slot.read();
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new InvalidRequestError([{ path: '', message: (e as Error).message }], `${slot.key} is not valid JSON`);
  }
  const before = checkProfile(raw, slot.key, slot.key);
  const after = checkProfile(promoteCanary(before), slot.key, slot.key);
  await checkModelInStore(store, after, `${slot.key} (promoted)`);
  const model = refText(after.model)!;
  const previousModel = refText(before.model);
  const written = await slot.write(`${JSON.stringify(after, null, 2)}\n`, etag, `promoted canary ${model}; replaced ${previousModel ?? 'no model'}`);
  if (!written.ok)
    throw new UnavailableError(
      `${slot.key} changed while promoting its canary (read with ETag ${etag}); nothing was written. Check the profile ("fusion profiles get ${name}") and run the promotion again.`,
    );
  return {
    key: slot.key,
    model,
    ...(previousModel ? { previousModel } : {}),
    ...(before.canary!.strategy ? { strategy: before.canary!.strategy } : {}),
    previousEtag: etag,
    ...(written.etag ? { etag: written.etag } : {}),
    ...(written.versionId ? { versionId: written.versionId } : {}),
    fraction: before.canary!.fraction,
  };
}
