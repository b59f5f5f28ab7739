/**
 * The decision log over HTTP, through the local server as `npm start` runs it: one line per
 * decision with the answer's decisionId, the header, client ids, payloads, and the loop closed
 * end to end with `fusion dataset` reading the local store.
 */
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../../functions/cli/io.js';
import { main } from '../../functions/cli/main.js';
import { feedbackLine } from '../../functions/fusion/loop/feedback.js';
import { DecisionLine } from '../../functions/fusion/loop/decision-log.js';
import { logged } from '../support/decision-id.js';
import { type LocalServer, startServer } from '../../functions/local/server.js';
import { flushDecisionLog } from '../../functions/loop/record.js';

const HEADER = 'x-fusion-decision-id';
const REQUEST = { classes: ['neg', 'pos'], predictions: { text: { probabilities: [0.3, 0.7] }, audio: { logits: [0.1, 0.4] } } };

let dir: string;
let server: LocalServer;
let plain: LocalServer;
let plainDir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'local-loop-'));
  plainDir = await mkdtemp(join(tmpdir(), 'local-loop-plain-'));
  await copyFile(resolve(import.meta.dirname, '../../examples/profiles/sentiment.json'), join(dir, 'sentiment.json'));
  const base = { PATH: process.env.PATH, POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true', FUSION_DECISION_LOG_SAMPLE: '1' };
  server = await startServer({ port: 0, env: { ...base, FUSION_STORE_DIR: dir, FUSION_LOG_PAYLOADS: 'true' } });
  plain = await startServer({ port: 0, env: { ...base, FUSION_STORE_DIR: plainDir } });
});
afterAll(async () => {
  await server?.close();
  await plain?.close();
  await Promise.all([dir, plainDir].filter(Boolean).map((d) => rm(d, { recursive: true, force: true })));
});


async function post(base: LocalServer, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base.url}/v1/fuse/average`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, header: res.headers.get(HEADER), body: (await res.json()) as Record<string, unknown> & { results?: Record<string, unknown>[] } };
}

async function storeLines(root: string): Promise<DecisionLine[]> {
  flushDecisionLog(); // the local server writes its store every 200 ms
  const days = await readdir(join(root, 'decisions'));
  const out: DecisionLine[] = [];
  for (const day of days)
    for (const f of await readdir(join(root, 'decisions', day)))
      for (const l of (await readFile(join(root, 'decisions', day, f), 'utf8')).split('\n').filter(Boolean)) out.push(DecisionLine.parse(JSON.parse(l)));
  return out;
}

describe('decision log over HTTP (local server)', () => {
  it('should answer with a decisionId equal to the header and log exactly one line with it, on stdout and in the local store', async () => {
    const { result: r, lines } = await logged(() => post(server, REQUEST));
    expect(r.status).toBe(200);
    expect(r.header).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.body.decisionId).toBe(r.header);
    expect(lines.map((l) => [l.decisionId, l.source, l.task])).toEqual([[r.header, 'http', 'classification']]);
    expect((await storeLines(dir)).filter((l) => l.decisionId === r.header)).toHaveLength(1);
  });

  it('should give each batch item "<header id>:<index>" and log one line per item', async () => {
    const batch = { classes: ['neg', 'pos'], items: [1, 2, 3].map((i) => ({ id: i, predictions: { text: { probabilities: [0.1 * i, 1 - 0.1 * i] } } })) };
    const { result: r, lines } = await logged(() => post(server, batch, { [HEADER]: 'batch-7' }));
    expect(r.header).toBe('batch-7');
    expect(r.body.results!.map((x) => x.decisionId)).toEqual(['batch-7:0', 'batch-7:1', 'batch-7:2']);
    expect(lines.map((l) => l.decisionId)).toEqual(['batch-7:0', 'batch-7:1', 'batch-7:2']);
  });

  it('should keep a client’s id from the header or the field, so a retry logs the same id', async () => {
    const first = await logged(() => post(server, REQUEST, { [HEADER]: 'retry-1' }));
    const retry = await logged(() => post(server, REQUEST, { [HEADER]: 'retry-1' }));
    expect([first.result.header, first.result.body.decisionId, retry.result.body.decisionId]).toEqual(['retry-1', 'retry-1', 'retry-1']);
    expect([...first.lines, ...retry.lines].map((l) => l.decisionId)).toEqual(['retry-1', 'retry-1']);
    const field = await logged(() => post(server, { ...REQUEST, decisionId: 'field.id:2' }));
    expect([field.result.header, field.result.body.decisionId, field.lines[0]!.decisionId]).toEqual(['field.id:2', 'field.id:2', 'field.id:2']);
    expect((await logged(() => post(server, { ...REQUEST, decisionId: 'same' }, { [HEADER]: 'same' }))).result.body.decisionId).toBe('same');
  });

  it('should answer 400 naming the header or field for a bad or conflicting id, and log nothing', async () => {
    const { result, lines } = await logged(async () => [
      await post(server, REQUEST, { [HEADER]: 'has space' }),
      await post(server, REQUEST, { [HEADER]: 'x'.repeat(129) }),
      await post(server, { ...REQUEST, decisionId: 'bad/slash' }),
      await post(server, { ...REQUEST, decisionId: 'a' }, { [HEADER]: 'b' }),
    ]);
    expect(result.map((r) => r.status)).toEqual([400, 400, 400, 400]);
    expect(result.map((r) => (r.body.errors as { path: string }[])[0]!.path)).toEqual([HEADER, HEADER, 'decisionId', 'decisionId']);
    expect(lines).toEqual([]);
  });

  it('should log inputs only when FUSION_LOG_PAYLOADS=true, and always the modality summaries', async () => {
    const withPayloads = await logged(() => post(server, REQUEST));
    const without = await logged(() => post(plain, REQUEST));
    expect(withPayloads.lines[0]!.inputs).toEqual(REQUEST.predictions);
    expect(without.lines[0]!.inputs).toBeUndefined();
    expect(Object.keys(without.lines[0]!.modalities)).toEqual(['text', 'audio']);
    expect((await storeLines(plainDir)).map((l) => l.decisionId)).toEqual([without.result.header]);
  });

  it('should close the loop: fuse with a profile, write feedback, and fusion dataset finds the labelled decision', async () => {
    const predictions = { text: { probabilities: [0.1, 0.2, 0.7] }, video: { label: 'neutral', confidence: 0.6 } };
    const { result: r, lines } = await logged(() => post(server, { profile: 'sentiment', predictions }));
    expect(r.status).toBe(200);
    expect(lines.map((l) => [l.decisionId, l.profile])).toEqual([[r.header, { name: 'sentiment', version: 'local' }]]);
    const id = r.header!;
    // The feedback engineer's POST /v1/feedback writes this layout; here the test writes it.
    const day = new Date().toISOString().slice(0, 10);
    await mkdir(join(dir, 'feedback', `dt=${day}`), { recursive: true });
    await writeFile(join(dir, 'feedback', `dt=${day}`, 'local.jsonl'), `${JSON.stringify(feedbackLine({ decisionId: id, label: 'negative' }))}\n`);
    flushDecisionLog(); // as the server does within 200 ms
    let stdout = '';
    let stderr = '';
    const io: Io = { stdin: process.stdin, stdout: { write: (s: string) => ((stdout += s), true) }, stderr: { write: (s: string) => ((stderr += s), true) }, env: { PATH: process.env.PATH, FUSION_STORE_DIR: dir } };
    expect(await main(['dataset', '--profile', 'sentiment', '--since', '1d'], io), stderr).toBe(0);
    expect(stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([{ id, predictions, label: 'negative' }]);
    expect(JSON.parse(stderr)).toMatchObject({ decisions: 1, labelled: 1, orphanLabels: 0, unreadableLines: 0 });
  });
});
