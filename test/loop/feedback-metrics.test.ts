/**
 * The feedback route's metrics, as the EMF records it writes: `FeedbackAccepted` per task and
 * `FeedbackRejected` per reason (the problem type), never with an id or a source in them.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
});

import { type LocalServer, startServer } from '../../functions/local/server.js';
import type { EmfRecord } from '../../functions/observability.js';

let dir: string;
let good: LocalServer;
let broken: LocalServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'feedback-metrics-'));
  // A store "directory" that is a file: the local sink cannot write, so feedback is answered 503.
  await writeFile(join(dir, 'not-a-dir'), '');
  good = await startServer({ port: 0, env: { FUSION_STORE_DIR: join(dir, 'store') } });
  broken = await startServer({ port: 0, env: { FUSION_STORE_DIR: join(dir, 'not-a-dir') } });
});
afterAll(async () => {
  await good?.close();
  await broken?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The EMF records written to stdout while `fn` runs. */
async function emf(fn: () => Promise<unknown>): Promise<EmfRecord[]> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  try {
    await fn();
  } finally {
    spy.mockRestore();
  }
  return out.split('\n').filter((l) => l.startsWith('{"_aws"')).map((l) => JSON.parse(l) as EmfRecord);
}

const post = (server: LocalServer, body: string, init: { method?: 'POST' | 'GET'; type?: string } = {}) =>
  fetch(`${server.url}/v1/feedback`, {
    method: init.method ?? 'POST',
    headers: { 'content-type': init.type ?? 'application/json' },
    ...(init.method === 'GET' ? {} : { body }),
    signal: AbortSignal.timeout(10_000),
  }).then(async (r) => (await r.arrayBuffer(), r.status));

/** Each record's metric names with its dimensions (service first) and their values. */
const summary = (records: EmfRecord[]) =>
  records.map((r) => {
    const d = r._aws.CloudWatchMetrics[0]!;
    return { metrics: d.Metrics.map((m) => [m.Name, m.Unit, r[m.Name]]), dimensions: Object.fromEntries(d.Dimensions[0]!.map((k) => [k, r[k]])) };
  });

describe('POST /v1/feedback metrics (EMF)', () => {
  it('should count accepted feedback per task, one record each, in the LateFusion namespace', async () => {
    const records = await emf(async () => {
      expect(await post(good, JSON.stringify({ decisionId: 'secret-id-1', label: 'positive', source: 'reviewer-alice' }))).toBe(202);
      expect(await post(good, JSON.stringify({ joinId: 'secret-id-2', value: 2.5 }))).toBe(202);
      expect(await post(good, JSON.stringify({ decisionId: 'secret-id-3', labels: ['dog'], source: 'tagger' }))).toBe(202);
    });
    expect(records.map((r) => r._aws.CloudWatchMetrics[0]!.Namespace)).toEqual(['LateFusion', 'LateFusion', 'LateFusion']);
    expect(summary(records)).toEqual(
      ['classification', 'regression', 'multilabel'].map((task) => ({ metrics: [['FeedbackAccepted', 'Count', 1]], dimensions: { service: 'late-fusion', task } })),
    );
    expect(JSON.stringify(records)).not.toMatch(/secret-id|reviewer-alice|tagger/);
  });

  it('should count each refusal once, by its problem type', async () => {
    const records = await emf(async () => {
      expect(await post(good, JSON.stringify({ decisionId: 'secret-id-4', label: 'a', value: 1, source: 'reviewer-bob' }))).toBe(400);
      expect(await post(good, '{"decisionId": ')).toBe(400);
      expect(await post(good, 'decisionId=x', { type: 'text/plain' })).toBe(415);
      // GET /v1/feedback is not a route: API Gateway (and the local server) send it to the meta function's 405.
      expect(await post(good, '', { method: 'GET' })).toBe(405);
      expect(await post(broken, JSON.stringify({ decisionId: 'secret-id-5', label: 'a' }))).toBe(503);
    });
    expect(summary(records)).toEqual(
      ['invalid-request', 'invalid-json', 'unsupported-media-type', 'unavailable'].map((reason) => ({
        metrics: [['FeedbackRejected', 'Count', 1]],
        dimensions: { service: 'late-fusion', reason },
      })),
    );
    expect(JSON.stringify(records)).not.toMatch(/secret-id|reviewer-bob/);
  });
});
