import { GetObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { putIfMatch } from '../../functions/events/conditional-put.js';
import type { FaultProxy } from '../support/fault-proxy.js';
import { useS3BehindProxy } from '../support/s3-behind-proxy.js';
import { type S3Fixture, s3Client } from '../support/s3.js';

let s3: S3Fixture;
let proxy: FaultProxy;

useS3BehindProxy((a, b) => ((s3 = a), (proxy = b)));

const body = async (key: string) => (await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))).Body!.transformToString();

describe('putIfMatch', () => {
  it('should write when the ETag still matches, sending If-Match with the quoted ETag', async () => {
    const etag = await s3.put('p.json', '{"v":1}');
    const client = s3Client(s3.endpoint);
    const sent: (string | undefined)[] = [];
    client.middlewareStack.add((next) => async (args) => {
      const req = args.request as { method?: string; headers?: Record<string, string> };
      if (req.method === 'PUT') sent.push(req.headers?.['if-match']);
      return next(args);
    }, { step: 'finalizeRequest' });
    const out = await putIfMatch(client, { Bucket: s3.bucket, Key: 'p.json', Body: '{"v":2}' }, etag);
    expect(out.ok).toBe(true);
    expect(sent).toEqual([etag]);
    expect(await body('p.json')).toBe('{"v":2}');
  });

  it('should refuse, and leave the object alone, when another writer changed it since it was read', async () => {
    const read = await s3.put('q.json', '{"v":1}');
    const other = await s3.put('q.json', '{"v":"other"}');
    const out = await putIfMatch(s3.client, { Bucket: s3.bucket, Key: 'q.json', Body: '{"v":2}' }, read);
    expect(out).toEqual({ ok: false, currentEtag: other.replace(/"/g, '') });
    expect(await body('q.json')).toBe('{"v":"other"}');
  });

  it('should treat S3 answering 412 PreconditionFailed (a write between HEAD and PUT) as refused', async () => {
    const etag = await s3.put('r.json', '{"v":1}');
    proxy.set({ kind: 'status', status: 412, code: 'PreconditionFailed' }, { methods: ['PUT'] });
    try {
      expect(await putIfMatch(s3Client(proxy.endpoint), { Bucket: s3.bucket, Key: 'r.json', Body: '{"v":2}' }, etag)).toEqual({ ok: false });
    } finally {
      proxy.heal();
    }
    expect(await body('r.json')).toBe('{"v":1}');
  });

  it('should refuse when the object was deleted', async () => {
    expect(await putIfMatch(s3.client, { Bucket: s3.bucket, Key: 'gone.json', Body: '{}' }, '0123456789abcdef0123456789abcdef')).toEqual({ ok: false });
  });
});
