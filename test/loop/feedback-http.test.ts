/**
 * `POST /v1/feedback` through the local server, as deployed (the Firehose sink, against a local
 * endpoint speaking Firehose's protocol) and as `npm start` runs it (the local store's files).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import { type LocalServer, startServer } from '../../functions/local/server.js';
import { type FakeFirehose, startFirehose } from '../support/firehose.js';

const STREAM = 'late-fusion-feedback';
let firehose: FakeFirehose;
let server: LocalServer;
let dir: string;

const aws = (endpoint: string) => ({
  FUSION_FEEDBACK_STREAM: STREAM,
  AWS_ENDPOINT_URL_FIREHOSE: endpoint,
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'secret',
  FUSION_MAX_BODY_BYTES: '4096',
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fusion-feedback-'));
  firehose = await startFirehose();
  server = await startServer({ port: 0, env: { ...aws(firehose.url), FUSION_STORE_DIR: dir } });
});
afterAll(async () => {
  await server?.close();
  await firehose?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  firehose.mode = 'ok';
  firehose.records.length = 0;
  firehose.calls.length = 0;
});

const post = (url: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  fetch(`${url}/v1/feedback`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body), signal: AbortSignal.timeout(10_000) });

describe('POST /v1/feedback with the Firehose sink', () => {
  it('should answer 202 and put one JSON line (and a newline) per feedback on the stream', async () => {
    const before = new Date().toISOString();
    const res = await post(server.url, { decisionId: 'd-1', label: 'positive', source: 'review' });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: true, id: 'd-1', source: 'review', checked: 'schema' });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(firehose.records).toHaveLength(1);
    const { stream, data } = firehose.records[0]!;
    expect(stream).toBe(STREAM);
    expect(data.endsWith('}\n')).toBe(true);
    const line = JSON.parse(data) as Record<string, unknown>;
    expect(line).toMatchObject({ type: 'feedback', decisionId: 'd-1', label: 'positive', source: 'review' });
    expect(line.receivedAt! >= before).toBe(true);
  });

  it('should answer the same feedback posted again with the same 202 (the dataset keeps the latest per id and source)', async () => {
    const body = { joinId: 'clip-42', value: 3.5 };
    const answers = [];
    for (let i = 0; i < 2; i++) answers.push(await (await post(server.url, body)).json());
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[0]).toEqual({ accepted: true, id: 'clip-42', source: 'default', checked: 'schema' });
    expect(firehose.records.map((r) => JSON.parse(r.data).source)).toEqual(['default', 'default']);
  });

  it.each([
    [{ decisionId: 'd', joinId: 'j', label: 'a' }, 'decisionId', /exactly one of decisionId or joinId/],
    [{ label: 'a' }, 'decisionId', /exactly one of decisionId or joinId/],
    [{ decisionId: 'd', label: 'a', labels: ['a'] }, 'label', /exactly one outcome/],
    [{ decisionId: 'd' }, 'label', /exactly one outcome/],
    [{ decisionId: 'd', label: 'a', profile: 'x' }, 'profile', /unknown field "profile"; feedback has only the fields/],
    [{ decisionId: 'd b', label: 'a' }, 'decisionId', /letters, digits/],
    [{ decisionId: 'd', value: '3' }, 'value', /finite number/],
    [{ decisionId: 'd', label: 'a', source: 'x'.repeat(65) }, 'source', /1 to 64/],
  ])('should refuse %j with a 400 problem naming %s, storing nothing', async (body, path, message) => {
    const res = await post(server.url, body);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const p = (await res.json()) as { type: string; errors: { path: string; message: string }[] };
    expect(p.type).toBe('urn:problem:late-fusion:invalid-request');
    expect(p.errors[0]!.path).toBe(path);
    expect(p.errors[0]!.message).toMatch(message);
    expect(firehose.calls).toEqual([]);
  });

  it('should refuse a body that is not JSON (400), not sent as JSON (415), too large (413) or a GET (405)', async () => {
    expect((await post(server.url, '{"decisionId":')).status).toBe(400);
    expect((await post(server.url, 'x', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post(server.url, { decisionId: 'd', labels: Array.from({ length: 500 }, (_, i) => `label-${i}`) })).status).toBe(413);
    const get = await fetch(`${server.url}/v1/feedback`);
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
    expect(firehose.calls).toEqual([]);
  });

  it('should answer 503 with Retry-After when Firehose keeps failing, after the SDK retried', async () => {
    firehose.mode = 'unavailable';
    const res = await post(server.url, { decisionId: 'd-2', label: 'negative' });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    const p = (await res.json()) as { type: string; detail: string };
    expect(p.type).toBe('urn:problem:late-fusion:unavailable');
    expect(p.detail).toMatch(/ServiceUnavailableException\). Retry the request .* idempotent/);
    expect(firehose.calls.length).toBe(3);
    firehose.mode = 'ok';
    expect((await post(server.url, { decisionId: 'd-2', label: 'negative' })).status).toBe(202);
  });

  it('should answer 503 without retrying when the stream does not exist', async () => {
    firehose.mode = 'not-found';
    const res = await post(server.url, { decisionId: 'd-3', label: 'negative' });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/ResourceNotFoundException/);
    expect(firehose.calls).toEqual([['Firehose_20150804.PutRecord', STREAM]]);
  });

  it('should answer 503 when nothing listens at the Firehose endpoint', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
    const down = await startServer({ port: 0, env: { ...aws(`http://127.0.0.1:${closed}`), FUSION_STORE_DIR: dir } });
    try {
      const res = await post(down.url, { decisionId: 'd-4', label: 'negative' });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
    } finally {
      await down.close();
    }
  });
});
