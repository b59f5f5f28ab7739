/**
 * End to end as `npm start` runs it: a decision in the local store's decision log, feedback
 * POSTed to the local server (checked against that decision, stored in the local store), and
 * `fusion dataset` reading both back into the training line.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import type { Io } from '../../functions/cli/io.js';
import { main } from '../../functions/cli/main.js';
import { DataLine } from '../../functions/fusion/learned/data.js';
import { type LocalServer, startServer } from '../../functions/local/server.js';

const today = new Date().toISOString().slice(0, 10);
const INPUTS = { text: { probabilities: [0.1, 0.2, 0.7] }, audio: { label: 'positive', confidence: 0.6 } };
const decision = (id: string) => ({
  type: 'decision',
  decisionId: id,
  time: new Date().toISOString(),
  source: 'http',
  strategy: 'average',
  task: 'classification',
  profile: { name: 'sentiment', version: 'local' },
  modalities: {},
  missing: [],
  inputs: INPUTS,
  output: { label: 'positive', confidence: 0.7 },
  latencyMs: 0.2,
});
// A regression decision without inputs; its output also has the classification fields, which
// older readers of the decision line require.
const regression = (id: string) => ({ ...decision(id), task: 'regression', strategy: 'inverse-variance', inputs: undefined, output: { value: 2.1, label: '2.1', confidence: 1 } });

let dir: string;
let server: LocalServer;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fusion-feedback-e2e-'));
  await mkdir(join(dir, 'decisions', `dt=${today}`), { recursive: true });
  const lines = [decision('d-1'), decision('d-2'), regression('r-1')];
  await writeFile(join(dir, 'decisions', `dt=${today}`, 'local.jsonl'), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
  server = await startServer({ port: 0, env: { FUSION_STORE_DIR: dir } });
});
afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const post = async (body: unknown) => {
  const res = await fetch(`${server.url}/v1/feedback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

async function dataset(): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: Io = { stdin: process.stdin, stdout: { write: (s: string) => ((stdout += s), true) }, stderr: { write: (s: string) => ((stderr += s), true) }, env: { FUSION_STORE_DIR: dir } };
  const code = await main(['dataset', '--profile', 'sentiment', '--since', '1d'], io);
  return { code, stdout, stderr };
}

describe('feedback end to end with the local server and fusion dataset', () => {
  it('should check feedback against the logged decision’s task, naming the field and the fix', async () => {
    const wrong = await post({ decisionId: 'r-1', label: 'positive' });
    expect(wrong.status).toBe(400);
    expect((wrong.body.errors as { path: string; message: string }[])[0]).toEqual({
      path: 'label',
      message: 'the decision is a regression decision: give its outcome as "value" (the true number), not "label"',
    });
    expect((await post({ decisionId: 'd-1', labels: ['positive'] })).status).toBe(400);
    expect((await post({ decisionId: 'r-1', value: 2.5 })).body).toEqual({ accepted: true, id: 'r-1', source: 'default', checked: 'decision' });
  });

  it('should turn feedback into training lines: repeats counted once, the latest label per source winning', async () => {
    expect((await post({ decisionId: 'd-1', label: 'negative', source: 'review' })).body).toEqual({ accepted: true, id: 'd-1', source: 'review', checked: 'decision' });
    expect((await post({ decisionId: 'd-1', label: 'negative', source: 'review' })).status).toBe(202);
    await new Promise((r) => setTimeout(r, 5)); // a later receivedAt
    expect((await post({ decisionId: 'd-1', label: 'neutral', source: 'review' })).status).toBe(202);
    // Feedback for a decision the log does not hold (not logged yet, or sampled out) is kept.
    expect((await post({ decisionId: 'elsewhere', label: 'neutral' })).body.checked).toBe('schema');

    const stored = (await readFile(join(dir, 'feedback', `dt=${today}`, 'feedback.jsonl'), 'utf8')).trim().split('\n');
    expect(stored).toHaveLength(5); // r-1's value, d-1 three times, "elsewhere"

    const r = await dataset();
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([{ id: 'd-1', predictions: INPUTS, label: 'neutral' }]);
    expect(DataLine.safeParse(lines[0]).success).toBe(true);
    // r-1 is a regression decision: not in the classification data most of the profile's decisions make.
    expect(JSON.parse(r.stderr)).toMatchObject({ task: 'classification', decisions: 3, labelled: 1, unlabelled: 1, otherTask: 1, duplicates: 2, orphanLabels: 1, unreadableLines: 0 });
  });
});
