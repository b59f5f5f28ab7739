import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import { joinRuntime } from '../../functions/joins/config.js';
import { type LocalServer, startServer } from '../../functions/local/server.js';
import { withoutDecisionIds } from '../support/decision-id.js';
import { localCommands } from '../docs/commands.js';

const ROOT = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'joins-'));
cpSync(join(ROOT, 'examples/profiles'), dir, { recursive: true });
// A profile whose window is 1 s, for the real-time tests.
writeFileSync(
  join(dir, 'quick.json'),
  JSON.stringify({ name: 'quick', classes: ['no', 'yes'], modalities: ['a', 'b', 'c'], join: { strategy: 'product', quorum: 2, windowSeconds: 1 } }),
);
const env = { ...process.env, FUSION_STORE_DIR: dir };

let server: LocalServer;
beforeAll(async () => {
  server = await startServer({ port: 0, env });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const put = (path: string, body: unknown, base = server.url) =>
  fetch(`${base}/v1/joins/${path}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
const get = (path: string, base = server.url) => fetch(`${base}/v1/joins/${path}`, { signal: AbortSignal.timeout(10_000) });

const P = { text: { probabilities: [0.1, 0.2, 0.7] }, video: { logits: [0.3, 1.2, -0.4] }, audio: { label: 'negative', confidence: 0.8 } } as const;
type M = keyof typeof P;

describe('joins over HTTP (local server)', () => {
  it('should decide 200 joins x 3 modalities PUT concurrently in random order with 20% duplicates: 200 outcomes, each the synchronous answer', async () => {
    const memory = joinRuntime(env).memory!;
    const before = memory.outcomes.length;
    const puts: [string, M][] = [];
    for (let j = 0; j < 200; j++) for (const m of ['text', 'video', 'audio'] as const) puts.push([`c-${j}`, m]);
    const all = [...puts, ...puts.filter((_, i) => i % 5 === 0)].sort(() => Math.random() - 0.5);
    const statuses = await Promise.all(all.map(([id, m]) => put(`sentiment/${id}/${m}`, P[m]).then((r) => r.status)));
    expect(new Set(statuses)).toEqual(new Set([200, 202]));
    const delivered = memory.outcomes.slice(before);
    expect(delivered).toHaveLength(200);
    expect(new Set(delivered.map((d) => d.outcome.joinId)).size).toBe(200);
    const sync = await fetch(`${server.url}/v1/fuse/average`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ profile: 'sentiment', predictions: P }) }).then((r) => r.json() as Promise<object>);
    for (const { outcome } of delivered) {
      const { decidedAt: _d, arrivals: _a, state, joinId, trigger, id, ...decision } = outcome as unknown as Record<string, unknown>;
      expect({ state, trigger, id }).toEqual({ state: 'decided', trigger: 'complete', id: joinId });
      // A join's decision id is its joinId; the synchronous answer has its own.
      expect(decision).toEqual({ ...withoutDecisionIds(sync).answer as object, decisionId: joinId, profile: { name: 'sentiment', version: 'local', stale: false } });
    }
    const one = delivered[0]!.outcome;
    expect(await (await get(`sentiment/${one.joinId}`)).json()).toEqual(one);
  }, 30_000);

  it('should answer 409 to a different body, 400 to bad input and a profile without a join section, 404 to an unknown profile or join', async () => {
    expect((await put('sentiment/e1/text', P.text)).status).toBe(202);
    expect((await put('sentiment/e1/text', P.text)).status).toBe(202);
    const conflict = await put('sentiment/e1/text', P.audio);
    expect(conflict.status).toBe(409);
    expect(conflict.headers.get('content-type')).toBe('application/problem+json');
    const cases: [string, unknown, number, string][] = [
      ['sentiment/e1/face', P.text, 400, 'modality'],
      ['sentiment/e1/video', { probabilities: [0.5, 0.5] }, 400, 'probabilities'],
      ['sentiment/e1/video', { probabilities: [0.5, 0.5, 0], colour: 1 }, 400, 'colour'],
      ['sentiment/bad$id/video', P.video, 400, 'joinId'],
      ['digits-3view/e1/video', P.video, 400, 'profile'],
      ['nosuch/e1/video', P.video, 404, 'profile'],
    ];
    for (const [path, body, status, field] of cases) {
      const res = await put(path, body);
      expect(res.status, path).toBe(status);
      const problem = (await res.json()) as { errors?: { path: string }[]; detail: string };
      expect(JSON.stringify(problem), path).toContain(field);
    }
    expect((await get('sentiment/never')).status).toBe(404);
    const pending = (await (await get('sentiment/e1')).json()) as Record<string, unknown>;
    expect(pending).toMatchObject({ state: 'pending', arrived: ['text'], missing: ['video', 'audio'] });
    const wrong = await fetch(`${server.url}/v1/joins/sentiment/e1/text`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(wrong.status).toBeGreaterThanOrEqual(404);
  });
});

describe('docs/joins.md', () => {
  it('should run its curl examples as pasted (against this server): 202, 202, then the decision, which GET answers too', async () => {
    const commands = localCommands(readFileSync(join(ROOT, 'docs/joins.md'), 'utf8'));
    expect(commands).toHaveLength(4);
    const outputs: Record<string, unknown>[] = [];
    for (const command of commands) {
      const { stdout } = await promisify(execFile)('sh', ['-c', command.replaceAll('http://127.0.0.1:3000', server.url)]);
      outputs.push(JSON.parse(stdout) as Record<string, unknown>);
    }
    expect(outputs.map((o) => o.state)).toEqual(['pending', 'pending', 'decided', 'decided']);
    expect(outputs[3]).toEqual(outputs[2]);
  });
});

describe('npm start, end to end', () => {
  it('should close a 1 s window in real time with the quorum, then answer a late arrival 409 join-closed', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/fusion.js'), 'serve'], {
      cwd: ROOT,
      env: { ...env, PORT: '0', POWERTOOLS_LOG_LEVEL: 'SILENT' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 20_000);
        child.stdout.on('data', (d: Buffer) => {
          out += d;
          const m = /Late fusion API on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m) clearTimeout(timer), resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      const opened = Date.now();
      expect((await put('quick/rt-1/a', { probabilities: [0.3, 0.7] }, url)).status).toBe(202);
      expect((await put('quick/rt-1/b', { probabilities: [0.4, 0.6] }, url)).status).toBe(202);
      let state: Record<string, unknown> = {};
      while (Date.now() - opened < 5000) {
        state = (await (await get('quick/rt-1', url)).json()) as Record<string, unknown>;
        if (state.state !== 'pending') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(Date.now() - opened).toBeGreaterThanOrEqual(1000);
      expect(state).toMatchObject({ state: 'decided', trigger: 'window', modalities: { used: ['a', 'b'], missing: ['c'] } });
      const late = await put('quick/rt-1/c', { probabilities: [0.9, 0.1] }, url);
      expect(late.status).toBe(409);
      expect(await late.json()).toMatchObject({ type: expect.stringContaining('join-closed'), outcomeId: 'rt-1' });
      expect(await (await get('quick/rt-1', url)).json()).toEqual({ ...state, late: ['c'] });
    } finally {
      child.kill('SIGKILL');
    }
  }, 30_000);
});
