import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { type S3Fixture, startS3 } from '../support/s3.js';
import { lambdaContext, s3Event } from './shapes.js';

let s3: S3Fixture;
let proxy: FaultProxy;
let handler: typeof import('../../functions/events/s3-batch.js').handler;

const request = (id: string | number, p: number) =>
  JSON.stringify({ id, classes: ['neg', 'pos'], predictions: { text: { probabilities: [1 - p, p] }, audio: { probabilities: [0.5, 0.5] } } });

beforeAll(async () => {
  s3 = await startS3();
  proxy = await startFaultProxy(s3.endpoint);
  Object.assign(process.env, s3.env, { AWS_ENDPOINT_URL_S3: proxy.endpoint, POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'ERROR' });
  await s3.put('profiles/sentiment.json', { name: 'sentiment', classes: ['negative', 'neutral', 'positive'], modalities: ['text', 'video', 'audio'], weights: { text: 0.5, video: 0.3, audio: 0.2 } });
  ({ handler } = await import('../../functions/events/s3-batch.js'));
});

afterAll(async () => {
  await proxy?.close();
  await s3?.stop();
});

async function text(key: string): Promise<string> {
  const out = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
  return out.Body!.transformToString();
}
const jsonl = async (key: string) => (await text(key)).split('\n').filter(Boolean).map((l) => JSON.parse(l));
async function exists(key: string): Promise<boolean> {
  try {
    await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
    return true;
  } catch {
    return false;
  }
}
async function upload(key: string, body: string) {
  const etag = await s3.put(key, body);
  return s3Event(s3.bucket, key, etag, Buffer.byteLength(body));
}

describe('S3 batch handler', () => {
  const key = 'batch/in/average/2026 11/ünïcödé résults+more.jsonl';
  const out = 'batch/out/average/2026 11/ünïcödé résults+more.jsonl';
  const errs = 'batch/out/average/2026 11/ünïcödé résults+more.errors.jsonl';

  it('should fuse every good line of a file with a spaced, unicode key and report the bad line with its number', async () => {
    const event = await upload(key, [request('a', 0.9), '{"id": "b", "classes": ', request('c', 0.2), JSON.stringify({ id: 'd', profile: 'sentiment', predictions: { text: { label: 'neutral' } } })].join('\n'));
    expect(event.Records[0]!.s3.object.key).toContain('+'); // encoded as S3 does: spaces as "+"

    const [outcome] = await handler(event, lambdaContext('s3-batch'));
    expect(outcome).toMatchObject({ status: 'fused', key, summary: { lines: 4, fused: 3, failed: 1 } });
    const results = await jsonl(out);
    expect(results.map((r) => [r.id, r.line, r.result.label])).toEqual([['a', 1, 'pos'], ['c', 3, 'neg'], ['d', 4, 'neutral']]);
    expect(results[0].result.probabilities.pos).toBeCloseTo(0.7, 12);
    expect(results[2].result.profile).toMatchObject({ name: 'sentiment', stale: false });
    const errors = await jsonl(errs);
    expect(errors).toEqual([{ line: 2, id: null, error: expect.objectContaining({ status: 400, detail: expect.stringContaining('line 2') }) }]);
  });

  it('should record the input ETag on the output and write nothing when the same event is delivered again', async () => {
    const etag = (await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }))).ETag!.replace(/"/g, '');
    const head = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: out }));
    expect(head.Metadata?.['source-etag']).toBe(etag);

    const writesBefore = proxy.count({ method: 'PUT' }) + proxy.count({ method: 'POST' });
    const [outcome] = await handler(s3Event(s3.bucket, key, etag), lambdaContext('s3-batch'));
    expect(outcome!.status).toBe('duplicate');
    expect(proxy.count({ method: 'PUT' }) + proxy.count({ method: 'POST' })).toBe(writesBefore);
    expect(proxy.count({ method: 'GET', pathIncludes: 'batch/in/' })).toBe(1);
  });

  it('should fuse a new version of the same key again and drop the old errors file when it has no bad line', async () => {
    const event = await upload(key, `${request('z', 0.6)}\n`);
    const [outcome] = await handler(event, lambdaContext('s3-batch'));
    expect(outcome).toMatchObject({ status: 'fused', summary: { lines: 1, fused: 1, failed: 0 } });
    expect((await jsonl(out)).map((r) => r.id)).toEqual(['z']);
    expect(await exists(errs)).toBe(false);
  });

  it('should stream a file larger than one multipart part and keep input order', async () => {
    const n = 20_000;
    const lines = Array.from({ length: n }, (_, i) => request(i, (i % 97) / 100 + 0.01));
    const event = await upload('batch/in/product/big.jsonl', lines.join('\n'));
    const [outcome] = await handler(event, lambdaContext('s3-batch'));
    expect(outcome).toMatchObject({ status: 'fused', summary: { lines: n, fused: n, failed: 0 } });
    const body = await text('batch/out/product/big.jsonl');
    expect(body.length).toBeGreaterThan(5 * 1024 * 1024);
    const ids = body.split('\n').filter(Boolean).map((l) => JSON.parse(l).id as number);
    expect(ids).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it('should answer every line of a file under an unknown strategy with a 404 naming the valid ones', async () => {
    const event = await upload('batch/in/mean/x.jsonl', `${request(1, 0.5)}\n${request(2, 0.5)}\n`);
    await handler(event, lambdaContext('s3-batch'));
    const errors = await jsonl('batch/out/mean/x.errors.jsonl');
    expect(errors.map((e) => [e.line, e.id, e.error.status])).toEqual([[1, 1, 404], [2, 2, 404]]);
    expect(errors[0].error.detail).toContain('average');
    expect(await text('batch/out/mean/x.jsonl')).toBe('');
  });

  it('should throw (so Lambda retries) and leave no output when the input cannot be read', async () => {
    const event = await upload('batch/in/average/flaky.jsonl', request(1, 0.5));
    proxy.set({ kind: 'status', status: 503 }, { methods: ['GET'], pathIncludes: 'batch/in/average/flaky' });
    try {
      await expect(handler(event, lambdaContext('s3-batch'))).rejects.toThrow();
    } finally {
      proxy.heal();
    }
    expect(await exists('batch/out/average/flaky.jsonl')).toBe(false);
    const [outcome] = await handler(event, lambdaContext('s3-batch'));
    expect(outcome!.status).toBe('fused');
  });

  it('should ignore keys outside batch/in/<strategy>/*.jsonl', async () => {
    const event = await upload('batch/in/average.txt', 'x');
    expect((await handler(event, lambdaContext('s3-batch')))[0]!.status).toBe('ignored');
  });

  it('should fuse regression and multi-label lines of one file beside classification ones', async () => {
    const lines = [
      JSON.stringify({ id: 'r', task: 'regression', predictions: { a: { value: 2 }, b: { value: 4 } } }),
      JSON.stringify({ id: 'm', task: 'multilabel', labels: ['x', 'y'], predictions: { a: { scores: [0.8, 0.1] } } }),
      JSON.stringify({ id: 'bad', task: 'regression', predictions: { a: { scores: [0.8] } } }),
      request('c', 0.9),
    ];
    const [outcome] = await handler(await upload('batch/in/average/tasks.jsonl', lines.join('\n')), lambdaContext('s3-batch'));
    expect(outcome).toMatchObject({ status: 'fused', summary: { lines: 4, fused: 3, failed: 1 } });
    const results = await jsonl('batch/out/average/tasks.jsonl');
    expect(results.map((r) => [r.id, r.result.task ?? 'classification'])).toEqual([['r', 'regression'], ['m', 'multilabel'], ['c', 'classification']]);
    expect(results[0].result.value).toBe(3);
    expect(results[1].result.labels).toEqual(['x']);
    expect((await jsonl('batch/out/average/tasks.errors.jsonl'))[0]).toMatchObject({ id: 'bad', line: 3, error: { status: 400 } });
  });

  it('should answer a Distributed Map batch with one record per item, in order, line = index + 1', async () => {
    const items = [
      { index: 500, request: JSON.parse(request('a', 0.8)) },
      { index: 501, request: { id: 'bad', classes: ['neg'] } },
      { index: 502, request: { id: 'p', profile: 'sentiment', predictions: { audio: { label: 'negative' } } } },
    ];
    const records = await handler({ BatchInput: { bucket: s3.bucket, key: 'batch/in-large/average/x.jsonl', strategy: 'average' }, Items: items }, lambdaContext('s3-batch'));
    expect(records.map((r) => [r.line, r.id, 'result' in r ? (r.result as { label: string }).label : r.error.status])).toEqual([[501, 'a', 'pos'], [502, 'bad', 400], [503, 'p', 'negative']]);
  });
});
