/**
 * The loop closed end to end for regression and multi-label profiles, as `npm start` runs it:
 * decisions over HTTP (logged to the local store), feedback through POST /v1/feedback (checked
 * against the logged decision's task), and `fusion monitor` scoring them.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../functions/cli/main.js';
import { type LocalServer, startServer } from '../../functions/local/server.js';
import { flushDecisionLog } from '../../functions/loop/record.js';
import { captureIo } from '../learned/helpers.js';
import { logged } from '../support/decision-id.js';

let dir: string;
let server: LocalServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'monitor-tasks-local-'));
  await writeFile(join(dir, 'prices.json'), JSON.stringify({ name: 'prices', task: 'regression', modalities: ['a', 'b'] }));
  await writeFile(join(dir, 'tags.json'), JSON.stringify({ name: 'tags', task: 'multilabel', labels: ['cat', 'dog', 'sun'], modalities: ['img', 'txt'] }));
  server = await startServer({ port: 0, env: { PATH: process.env.PATH, POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true', FUSION_STORE_DIR: dir } });
});
afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function post(path: string, body: unknown) {
  // The server logs each decision line on stdout too: captured here, not printed.
  return (await logged(() => send(path, body))).result;
}

async function send(path: string, body: unknown) {
  const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function monitor(profile: string) {
  const io = captureIo();
  const code = await main(['monitor', '--profile', profile, '--since', '1d'], { ...io.io, env: { PATH: process.env.PATH, FUSION_STORE_DIR: dir } });
  expect(code, io.stderr()).toBe(0);
  return JSON.parse(io.stdout());
}

describe('fusion monitor on decisions and feedback of the local server', () => {
  it('should score regression answers against value feedback, and refuse a label for them', async () => {
    const truths = [12, 9, 20];
    const answers = [];
    for (const [i, a] of [10, 8, 19].entries()) {
      const r = await post('/v1/fuse/inverse-variance', { task: 'regression', profile: 'prices', predictions: { a: { value: a, std: 1 }, b: { value: a + 2 + i, std: 2 } } });
      expect(r.status).toBe(200);
      answers.push(r.body as unknown as { decisionId: string; value: number; std: number });
    }
    flushDecisionLog();
    for (const [i, a] of answers.entries()) expect((await post('/v1/feedback', { decisionId: a.decisionId, value: truths[i] })).body).toMatchObject({ checked: 'decision' });
    const wrong = await post('/v1/feedback', { decisionId: answers[0]!.decisionId, label: 'cheap' });
    expect(wrong.status).toBe(400);
    expect(JSON.stringify(wrong.body)).toContain('give its outcome as \\"value\\"');
    const s = await monitor('prices');
    const errors = answers.map((a, i) => a.value - truths[i]!);
    expect(s).toMatchObject({ task: 'regression', decisions: 3, labelled: 3, mismatchedFeedback: {} });
    expect(s.byStrategy['inverse-variance'].mae).toBeCloseTo(errors.reduce((x, e) => x + Math.abs(e), 0) / 3, 9);
    expect(s.byStrategy['inverse-variance'].rmse).toBeCloseTo(Math.sqrt(errors.reduce((x, e) => x + e * e, 0) / 3), 9);
    expect(s.byStrategy['inverse-variance'].withStd).toBe(3);
    const covered = answers.filter((a, i) => Math.abs(errors[i]!) <= 1.6448536269514722 * a.std).length;
    expect(s.byStrategy['inverse-variance'].coverage90).toBeCloseTo(covered / 3, 12);
    expect(s.byModality.a).toMatchObject({ rows: 3, mae: (2 + 1 + 1) / 3 });
  });

  it('should score multi-label answers against labels feedback', async () => {
    const one = await post('/v1/fuse/average', { task: 'multilabel', profile: 'tags', predictions: { img: { scores: [0.9, 0.2, 0.7] }, txt: { scores: [0.7, 0.4, 0.1] } } });
    const two = await post('/v1/fuse/average', { task: 'multilabel', profile: 'tags', predictions: { img: { scores: [0.1, 0.8, 0.2] } } });
    expect([one.body.labels, two.body.labels]).toEqual([['cat'], ['dog']]);
    flushDecisionLog();
    await post('/v1/feedback', { decisionId: one.body.decisionId, labels: ['cat', 'sun'] });
    await post('/v1/feedback', { decisionId: two.body.decisionId, labels: ['dog'] });
    const s = await monitor('tags');
    expect(s).toMatchObject({ task: 'multilabel', decisions: 2, labelled: 2 });
    // Answers {cat}, {dog} against {cat, sun}, {dog}: tp 2, fn 1; sun's F1 0.
    expect(s.byStrategy.average).toMatchObject({ rows: 2, hamming: 1 / 6, subsetAccuracy: 0.5, macroF1: 2 / 3 });
    expect(s.byStrategy.average.microF1).toBeCloseTo(4 / 5, 12);
    expect(s.byModality.txt).toMatchObject({ rows: 1, microF1: 2 / 3 });
    expect(s.missingByDay[0].missingRate).toEqual({ img: 0, txt: 0.5 });
  });
});
