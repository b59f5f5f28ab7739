import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import type { Io } from '../../functions/cli/io.js';
import { main } from '../../functions/cli/main.js';
import { type LocalServer, startServer } from '../../functions/local/server.js';
import type { Json } from '../events/shapes.js';

/** Joins of regression and multi-label profiles over HTTP, through the local server (`npm start`). */
const dir = mkdtempSync(join(tmpdir(), 'task-joins-'));
const profiles = {
  sentiment: { name: 'sentiment', task: 'regression', modalities: ['text', 'audio', 'video'], weights: { text: 0.5, audio: 0.2, video: 0.3 }, join: { strategy: 'average', quorum: 2, windowSeconds: 30 } },
  precise: { name: 'precise', task: 'regression', modalities: ['a', 'b'], join: { strategy: 'inverse-variance', windowSeconds: 30 } },
  tags: { name: 'tags', task: 'multilabel', labels: ['person', 'dog', 'outdoor'], modalities: ['image', 'audio'], thresholds: { dog: 0.3 }, join: { strategy: 'median', windowSeconds: 30 } },
  voting: { name: 'voting', task: 'regression', modalities: ['a', 'b'], join: { strategy: 'vote', windowSeconds: 30 } },
};
for (const [name, p] of Object.entries(profiles)) writeFileSync(join(dir, `${name}.json`), JSON.stringify(p));
const env = { ...process.env, FUSION_STORE_DIR: dir, FUSION_BUCKET: '' };

let server: LocalServer;
beforeAll(async () => {
  server = await startServer({ port: 0, env });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const call = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${server.url}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }), signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: (await res.json()) as Json };
};
const put = (path: string, body: unknown) => call('PUT', `/v1/joins/${path}`, body);
/** The decision of an outcome, without the join's own fields. */
// Without the join's own fields, and without decisionId (the join's is its joinId; a synchronous answer's is new).
const decisionOf = ({ state: _s, joinId: _j, trigger: _t, decidedAt: _d, arrivals: _a, decisionId: _id, ...rest }: Json) => rest;

describe('PUT /v1/joins with regression and multi-label profiles (local server)', () => {
  it('should decide a regression join with the last arrival, equal to POST /v1/fuse/average with the same predictions and profile', async () => {
    const P = { text: { value: 1.8, std: 0.5 }, audio: { value: 0.9 }, video: { value: 1.1, std: 2 } };
    expect((await put('sentiment/r1/text', P.text)).status).toBe(202);
    expect((await put('sentiment/r1/audio', P.audio)).status).toBe(202);
    const last = await put('sentiment/r1/video', P.video);
    expect(last.status).toBe(200);
    const sync = await call('POST', '/v1/fuse/average', { task: 'regression', id: 'r1', profile: 'sentiment', predictions: P });
    expect(sync.status).toBe(200);
    expect(last.body).toMatchObject({ state: 'decided', trigger: 'complete', joinId: 'r1', task: 'regression' });
    expect(decisionOf(last.body)).toEqual(decisionOf(sync.body));
    expect(last.body.decisionId).toBe(last.body.joinId);
    expect(sync.body.value).toBeCloseTo(0.5 * 1.8 + 0.2 * 0.9 + 0.3 * 1.1, 12);
    expect((await call('GET', '/v1/joins/sentiment/r1')).body).toEqual(last.body);
  });

  it('should decide a multi-label join equal to POST /v1/fuse/median, with the profile’s per-label thresholds', async () => {
    const P = { image: { scores: [0.9, 0.35, 0.2] }, audio: { scores: { person: 0.7, dog: 0.3, outdoor: 0.6 } } };
    expect((await put('tags/m1/image', P.image)).status).toBe(202);
    const last = await put('tags/m1/audio', P.audio);
    expect(last.status).toBe(200);
    const sync = await call('POST', '/v1/fuse/median', { task: 'multilabel', id: 'm1', profile: 'tags', predictions: P });
    expect(decisionOf(last.body)).toEqual(decisionOf(sync.body));
    expect(last.body.decisionId).toBe(last.body.joinId);
    expect(last.body).toMatchObject({ task: 'multilabel', labels: ['person', 'dog'] });
  });

  it('should answer 400 naming the field to an arrival of the wrong form for the profile’s task', async () => {
    const cases: [string, unknown, string, string][] = [
      ['sentiment/e1/text', { probabilities: [0.2, 0.8] }, 'value', 'value is required'],
      ['sentiment/e1/text', { value: 1, std: 0 }, 'std', 'std must be > 0'],
      ['sentiment/e1/text', { value: 1, colour: 'red' }, 'colour', 'a regression prediction has only the fields value, std'],
      ['precise/e1/a', { value: 1 }, 'std', 'inverse-variance'],
      ['tags/e1/image', { scores: [0.5, 0.5] }, 'scores', '3'],
      ['tags/e1/image', { scores: { cat: 0.5 } }, 'scores.cat', 'not one of the labels'],
      ['tags/e1/image', { scores: [0.5, 1.5, 0] }, 'scores.1', 'between 0 and 1'],
      ['tags/e1/image', { value: 1 }, 'value', 'a multi-label prediction has only the fields scores'],
    ];
    for (const [path, body, field, message] of cases) {
      const res = await put(path, body);
      expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      const error = (res.body.errors as { path: string; message: string }[]).find((e) => e.path === field);
      expect(error?.message, `${path} ${JSON.stringify(body)}: ${JSON.stringify(res.body.errors)}`).toContain(message);
    }
    // None of them opened a join.
    expect((await call('GET', '/v1/joins/sentiment/e1')).status).toBe(404);
  });

  it('should refuse a join whose strategy has no form for the profile’s task, at use and at publish, listing those that have one', async () => {
    const res = await put('voting/v1/a', { value: 1 });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: 'join.strategy', message: expect.stringContaining('strategy "vote" has no regression form') }]);
    expect(res.body.errors[0].message).toContain('average, median, learned, inverse-variance');
    let stderr = '';
    const io: Io = { stdin: Readable.from(['']), stdout: { write: () => true }, stderr: { write: (s: string) => void (stderr += s) }, env };
    const code = await main(['publish', '--profile', join(dir, 'voting.json')], io);
    expect(code).toBe(2);
    expect(JSON.parse(stderr).errors).toEqual([{ path: 'join.strategy', message: expect.stringContaining('no regression form') }]);
  });
});
