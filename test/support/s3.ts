/**
 * A real S3-compatible server for tests: s3rver on 127.0.0.1, an ephemeral port and a fresh
 * temporary directory, with one bucket created.
 *
 * ```ts
 * const s3 = await startS3();                 // s3.endpoint = "http://127.0.0.1:PORT"
 * await s3.put('profiles/x.json', profile);   // JSON-encodes non-strings
 * const store = createStore({ ...process.env, ...s3.env });
 * await s3.stop();
 * ```
 *
 * What s3rver 3.7 does (checked on Node 24 with @aws-sdk/client-s3 v3): GET/PUT/HEAD/List,
 * ETags (MD5 of the body), conditional GET with `If-None-Match` → 304. What it does not do:
 * bucket versioning (`PutBucketVersioning` answers NotImplemented, a `versionId` query is
 * ignored and no `x-amz-version-id` is returned), `If-Match`, checksums. Versions in tests are
 * therefore ETags; see docs/store.md for how the store pins them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

/** The access key pair s3rver accepts (it checks SigV4 signatures). */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/** A running s3rver with a bucket. */
export interface S3Fixture {
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  bucket: string;
  /** A client for arranging test data (path-style, pointed at `endpoint`). */
  client: S3Client;
  /**
   * The environment the store reads to use this server: FUSION_BUCKET, AWS_ENDPOINT_URL_S3,
   * AWS_REGION and the access keys. Spread it over `process.env`; override the endpoint to
   * go through a fault proxy.
   */
  env: Record<string, string>;
  /** Writes an object: strings as they are, anything else as JSON. Returns its quoted ETag. */
  put(key: string, body: unknown): Promise<string>;
  /** Closes the server and the client and deletes the temporary directory. */
  stop(): Promise<void>;
}

/** A client for `endpoint` with s3rver's credentials and path-style addressing. */
export function s3Client(endpoint: string): S3Client {
  return new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
}

/** Starts s3rver on 127.0.0.1 port 0 in a temporary directory and creates `bucket`. */
export async function startS3({ bucket = 'fusion-test' }: { bucket?: string } = {}): Promise<S3Fixture> {
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = s3Client(endpoint);
  return {
    endpoint,
    bucket,
    client,
    env: {
      FUSION_BUCKET: bucket,
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    },
    async put(key, body) {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      const out = await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: text, ContentType: 'application/json' }));
      return out.ETag ?? '';
    },
    async stop() {
      client.destroy();
      server.httpServer.closeAllConnections();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
