import type { Readable } from 'node:stream';

/** S3 helpers of the store, shared with the event handlers: the body within the deadline, failures in words, ETags. */

/** Matches S3 ETags (MD5, or MD5-parts for multipart uploads): the versions of unversioned buckets. */
export const ETAG = /^[0-9a-f]{32}(-\d+)?$/;

/** Reads a body whole within the deadline; a short body (connection cut) is an error. */
export async function readBody(body: Readable | undefined, deadline: AbortSignal, expected: number | undefined): Promise<string> {
  if (!body) return '';
  const abort = () => body.destroy(new Error('deadline exceeded while reading the body'));
  if (deadline.aborted) abort();
  deadline.addEventListener('abort', abort, { once: true });
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of body) chunks.push(chunk as Buffer);
  } finally {
    deadline.removeEventListener('abort', abort);
  }
  const buf = Buffer.concat(chunks);
  if (expected !== undefined && buf.length !== expected) throw new Error(`truncated body: ${buf.length} of ${expected} bytes`);
  return buf.toString('utf8');
}

/** The HTTP status of a failed S3 call, if it got an answer. */
export function httpStatus(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/** Why an S3 call failed, in words for logs and 503 details. */
export function describe(e: unknown, timeoutMs: number, deadline?: AbortSignal, last?: unknown): string {
  const err = e as Error & { $metadata?: { httpStatusCode?: number; attempts?: number }; code?: string };
  if (deadline?.aborted || err.name === 'TimeoutError') {
    const before = last && last !== e ? `; the last attempt before it: ${describe(last, timeoutMs)}` : '';
    return `timed out after ${timeoutMs} ms (FUSION_S3_TIMEOUT_MS)${before}`;
  }
  const attempts = err.$metadata?.attempts ? ` after ${err.$metadata.attempts} attempt(s)` : '';
  if (err.$metadata?.httpStatusCode) return `S3 answered ${err.$metadata.httpStatusCode} ${err.name}${attempts}`;
  if (err.code) return `connection failed (${err.code}: ${err.message})${attempts}`;
  return err.message || String(e);
}

/** An ETag without its quotes (and weak prefix), as reported to callers. */
export function unquote(etag: string): string {
  return etag.replace(/^(W\/)?"|"$/g, '');
}
