/**
 * Bucket versioning for tests, as a small HTTP layer in front of s3rver (which has none: it
 * answers `PutBucketVersioning` with NotImplemented and ignores `versionId`). Point a client at
 * `endpoint` instead of s3rver's and the bucket behaves like a versioned S3 bucket for what
 * the store, the retrain function and `fusion profiles history|rollback` use:
 *
 * - `PutObject` is passed to s3rver, then the stored object (body, ETag, type, `x-amz-meta-*`)
 *   is recorded as a new version and the answer carries `x-amz-version-id`;
 *   `If-Match` on PUT is enforced here (412 PreconditionFailed, 404 without an object), which
 *   s3rver ignores;
 * - `GetObject` / `HeadObject` with `versionId` answer from the recorded versions
 *   (404 NoSuchVersion for an unknown one); without it they are s3rver's, plus the current
 *   `x-amz-version-id`;
 * - `ListObjectVersions` (`GET /bucket?versions&prefix=P`) lists the recorded versions, newest
 *   first per key, without pagination.
 *
 * Everything else (List, DELETE, multipart) passes through unversioned. Like the fault proxy it
 * forwards the `Host` header unchanged, so SigV4 signatures made for this address verify upstream.
 *
 * ```ts
 * const s3 = await startS3();
 * const versioned = await startVersioning(s3);
 * const env = { ...s3.env, AWS_ENDPOINT_URL_S3: versioned.endpoint };
 * versioned.beforeNextPut(() => ...);   // a concurrent writer, just before the next PUT lands
 * ```
 */
import { randomBytes } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { S3Fixture } from './s3.js';

/** One recorded version of an object. */
export interface ObjectVersion {
  versionId: string;
  /** Quoted, as S3 sends it. */
  etag: string;
  body: Buffer;
  contentType: string;
  lastModified: Date;
  /** `x-amz-meta-*` values by name without the prefix. */
  metadata: Record<string, string>;
}

/** The versioning layer: its endpoint, the recorded versions, and a hook for races. */
export interface VersionedS3 {
  endpoint: string;
  /** Versions of `key`, oldest first. */
  versions(key: string): ObjectVersion[];
  /** Runs `fn` when the next object PUT arrives, before its `If-Match` is checked. */
  beforeNextPut(fn: () => Promise<void>): void;
  close(): Promise<void>;
}

const xmlEscape = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function s3Error(res: ServerResponse, status: number, code: string, message: string, head = false): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error>`;
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
  res.end(head ? undefined : body);
}

/** Starts the layer in front of `s3` (its bucket) on 127.0.0.1, a free port. */
export async function startVersioning(s3: S3Fixture): Promise<VersionedS3> {
  const upstream = new URL(s3.endpoint);
  const store = new Map<string, ObjectVersion[]>();
  const hooks: (() => Promise<void>)[] = [];
  let writes: Promise<unknown> = Promise.resolve(); // PUTs one at a time, so each records its own body

  /** Forwards the request (with `body`) to s3rver; resolves with its status, headers and body. */
  function forward(req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const up = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
        readAll(r).then((b) => resolve({ status: r.statusCode ?? 502, headers: r.headers, body: b }), reject);
      });
      up.on('error', reject);
      up.end(body);
    });
  }

  function reply(res: ServerResponse, status: number, headers: Record<string, string | string[] | undefined>, body: Buffer, extra: Record<string, string> = {}): void {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(headers)) if (v !== undefined && k !== 'transfer-encoding' && k !== 'connection') out[k] = v;
    // A HEAD answer keeps upstream's Content-Length (the object's), with no body.
    if (res.req.method !== 'HEAD') out['content-length'] = String(body.length);
    res.writeHead(status, { ...out, ...extra });
    res.end(body);
  }

  const latest = (key: string) => store.get(key)?.at(-1);

  async function put(req: IncomingMessage, res: ServerResponse, key: string, body: Buffer): Promise<void> {
    const ifMatch = req.headers['if-match'];
    if (typeof ifMatch === 'string') {
      const current = latest(key);
      if (!current) return s3Error(res, 404, 'NoSuchKey', 'The specified key does not exist.');
      if (ifMatch !== current.etag && ifMatch !== '*') return s3Error(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
    }
    const up = await forward(req, body);
    if (up.status !== 200) return reply(res, up.status, up.headers, up.body);
    // What s3rver stored (it decodes aws-chunked bodies and keeps the metadata): the new version.
    const got = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    const version: ObjectVersion = {
      versionId: randomBytes(24).toString('base64url').replace(/[-_]/g, '.').slice(0, 32), // S3's alphabet: letters, digits, '.'
      etag: got.ETag ?? '',
      body: Buffer.from(await got.Body!.transformToByteArray()),
      contentType: got.ContentType ?? 'application/octet-stream',
      lastModified: new Date(),
      metadata: got.Metadata ?? {},
    };
    store.set(key, [...(store.get(key) ?? []), version]);
    reply(res, 200, up.headers, up.body, { 'x-amz-version-id': version.versionId });
  }

  function getVersion(res: ServerResponse, key: string, versionId: string, head: boolean): void {
    const v = store.get(key)?.find((x) => x.versionId === versionId);
    if (!v) return s3Error(res, 404, 'NoSuchVersion', 'The specified version does not exist.', head);
    const meta = Object.fromEntries(Object.entries(v.metadata).map(([k, val]) => [`x-amz-meta-${k}`, val]));
    res.writeHead(200, {
      etag: v.etag,
      'content-type': v.contentType,
      'content-length': v.body.length,
      'last-modified': v.lastModified.toUTCString(),
      'x-amz-version-id': v.versionId,
      ...meta,
    });
    res.end(head ? undefined : v.body);
  }

  function listVersions(res: ServerResponse, prefix: string): void {
    const keys = [...store.keys()].filter((k) => k.startsWith(prefix)).sort();
    const entries = keys.flatMap((key) => {
      const all = store.get(key)!;
      return all
        .map((v, i) => ({ v, latest: i === all.length - 1 }))
        .reverse()
        .map(({ v, latest: isLatest }) =>
          `<Version><Key>${xmlEscape(key)}</Key><VersionId>${v.versionId}</VersionId><IsLatest>${isLatest}</IsLatest>` +
            `<LastModified>${v.lastModified.toISOString()}</LastModified><ETag>${xmlEscape(v.etag)}</ETag><Size>${v.body.length}</Size>` +
            '<StorageClass>STANDARD</StorageClass></Version>',
        );
    });
    const body = Buffer.from(
      '<?xml version="1.0" encoding="UTF-8"?>\n<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
        `<Name>${xmlEscape(s3.bucket)}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyMarker></KeyMarker><VersionIdMarker></VersionIdMarker>` +
        `<MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>${entries.join('')}</ListVersionsResult>`,
    );
    res.writeHead(200, { 'content-type': 'application/xml', 'content-length': body.length });
    res.end(body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const versionId = url.searchParams.get('versionId');
    if (bucket === s3.bucket && !key && req.method === 'GET' && url.searchParams.has('versions')) return listVersions(res, url.searchParams.get('prefix') ?? '');
    if (bucket === s3.bucket && key && req.method === 'PUT' && !req.headers['x-amz-copy-source'] && !url.searchParams.has('uploadId')) {
      const body = await readAll(req);
      for (const hook of hooks.splice(0)) await hook(); // may PUT through this layer: before this PUT queues
      const run = writes.then(() => put(req, res, key, body));
      writes = run.catch(() => undefined);
      return run;
    }
    if (bucket === s3.bucket && key && (req.method === 'GET' || req.method === 'HEAD')) {
      if (versionId) return getVersion(res, key, versionId, req.method === 'HEAD');
      const up = await forward(req, Buffer.alloc(0));
      const current = latest(key);
      const same = current && up.status === 200 && up.headers.etag === current.etag;
      return reply(res, up.status, up.headers, up.body, same ? { 'x-amz-version-id': current.versionId } : {});
    }
    const up = await forward(req, await readAll(req));
    reply(res, up.status, up.headers, up.body);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) s3Error(res, 500, 'InternalError', String(e));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    versions: (key) => [...(store.get(key) ?? [])],
    beforeNextPut: (fn) => void hooks.push(fn),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
