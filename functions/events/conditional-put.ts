import { HeadObjectCommand, PutObjectCommand, type PutObjectCommandInput, type S3Client } from '@aws-sdk/client-s3';
import { httpStatus, unquote } from '../store/s3-read.js';

/** The outcome of a conditional write: written, or refused because the object changed. */
export type ConditionalPut = { ok: true; etag?: string; versionId?: string } | { ok: false; currentEtag?: string };

/**
 * Writes an object only if its current ETag is still `etag` (`If-Match`), so two writers that
 * read the same version cannot overwrite each other: S3 answers 412 PreconditionFailed (or 409
 * ConditionalRequestConflict when another conditional write is in flight) and the later writer
 * learns it lost. A HEAD first compares ETags too, which narrows the window on S3-compatible
 * servers that ignore `If-Match` on PUT (s3rver does); only S3 itself makes it atomic.
 */
export async function putIfMatch(client: S3Client, params: Omit<PutObjectCommandInput, 'IfMatch'>, etag: string): Promise<ConditionalPut> {
  const quoted = `"${unquote(etag)}"`;
  let head;
  try {
    head = await client.send(new HeadObjectCommand({ Bucket: params.Bucket, Key: params.Key }));
  } catch (e) {
    if (httpStatus(e) === 404) return { ok: false };
    throw e;
  }
  if (head.ETag !== quoted) return { ok: false, ...(head.ETag ? { currentEtag: unquote(head.ETag) } : {}) };
  try {
    const out = await client.send(new PutObjectCommand({ ...params, IfMatch: quoted }));
    return { ok: true, ...(out.ETag ? { etag: unquote(out.ETag) } : {}), ...(out.VersionId ? { versionId: out.VersionId } : {}) };
  } catch (e) {
    const status = httpStatus(e);
    if (status === 412 || status === 409) return { ok: false };
    throw e;
  }
}
