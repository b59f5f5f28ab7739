/**
 * The loop end to end under `npm start`, with nothing written by hand: a real fusion request
 * (its decision logged to the local store), its feedback POSTed with the answer's decisionId,
 * and `fusion dataset` turning the pair into the training line. It runs once answers carry a
 * `decisionId` and the local server logs decisions (the decision-log work of issue 19).
 */
import { copyFile, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import type { Io } from '../../functions/cli/io.js';
import { main } from '../../functions/cli/main.js';
import { FusionResponse } from '../../functions/fusion/contract.js';
import { type LocalServer, startServer } from '../../functions/local/server.js';

/** Whether answers carry a decisionId yet (known when tests are collected). */
const logsDecisions = 'decisionId' in (FusionResponse as unknown as { _zod: { def: { shape: object } } })._zod.def.shape;
const PREDICTIONS = { text: { probabilities: [0.1, 0.2, 0.7] }, video: { probabilities: [0.2, 0.5, 0.3] }, audio: { label: 'positive', confidence: 0.6 } };

let dir: string;
let server: LocalServer;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fusion-loop-'));
  await copyFile(join(import.meta.dirname, '../../examples/profiles/sentiment.json'), join(dir, 'sentiment.json'));
  server = await startServer({ port: 0, env: { FUSION_STORE_DIR: dir, FUSION_LOG_PAYLOADS: 'true' } });
});
afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Waits until the local decision log holds `decisionId` (the server may buffer lines briefly). */
async function logged(decisionId: string): Promise<void> {
  const day = join(dir, 'decisions', `dt=${new Date().toISOString().slice(0, 10)}`);
  for (const deadline = Date.now() + 5000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
    const files = await readdir(day).catch(() => [] as string[]);
    for (const f of files) if ((await readFile(join(day, f), 'utf8')).includes(decisionId)) return;
  }
  throw new Error(`decision ${decisionId} was not logged to ${day} within 5 s`);
}

const post = async (path: string, body: unknown) => {
  const res = await fetch(server.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe.skipIf(!logsDecisions)('decision, feedback and dataset with the local server', () => {
  it('should make the training line of a fused decision from the feedback naming its decisionId', async () => {
    const fused = await post('/v1/fuse/average', { profile: 'sentiment', predictions: PREDICTIONS });
    expect(fused.status).toBe(200);
    const decisionId = fused.body.decisionId as string;
    expect(decisionId).toMatch(/\S/);
    await logged(decisionId);
    // Checked against the logged decision: a classification decision takes a label, not a value.
    expect((await post('/v1/feedback', { decisionId, value: 1 })).status).toBe(400);
    expect((await post('/v1/feedback', { decisionId, label: 'neutral', source: 'review' })).body).toEqual({ accepted: true, id: decisionId, source: 'review', checked: 'decision' });

    let stdout = '';
    let stderr = '';
    const io: Io = { stdin: process.stdin, stdout: { write: (s: string) => ((stdout += s), true) }, stderr: { write: (s: string) => ((stderr += s), true) }, env: { FUSION_STORE_DIR: dir } };
    expect(await main(['dataset', '--profile', 'sentiment', '--since', '1d'], io), stderr).toBe(0);
    expect(stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([{ id: decisionId, predictions: PREDICTIONS, label: 'neutral' }]);
    expect(JSON.parse(stderr)).toMatchObject({ decisions: 1, labelled: 1, orphanLabels: 0 });
  });
});
