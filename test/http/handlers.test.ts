import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import { FusionError, UnavailableError } from '../../functions/fusion/errors.js';
import { fuse, STRATEGY_NAMES } from '../../functions/fusion/registry.js';
import { toProblem } from '../../functions/fusion/problem.js';
import { withEnv } from '../../functions/http/config.js';
import { type HttpHandler, httpStack } from '../../functions/http/handler.js';
import { handler as average } from '../../functions/http/entries/average.js';
import { handler as metaEntry } from '../../functions/http/entries/meta.js';
import { handler as vote } from '../../functions/http/entries/vote.js';
import type { HttpResult } from '../../functions/http/middleware.js';
import { entryFile } from '../../functions/http/routes.js';
import { withoutDecisionIds } from '../support/decision-id.js';
import { context, eventV1, eventV2 } from './events.js';

const CLASSES = ['negative', 'neutral', 'positive'];
const THREE = {
  classes: CLASSES,
  predictions: {
    text: { probabilities: [0.1, 0.2, 0.7] },
    video: { probabilities: { negative: 0.2, neutral: 0.5, positive: 0.3 } },
    audio: { logits: [0.1, 0.2, 1.5] },
  },
  weights: { text: 0.5, video: 0.3, audio: 0.2 },
};

const body = (r: HttpResult) => JSON.parse(r.body) as Record<string, unknown> & { errors?: { path: string; message: string }[] };
/** A 200 answer without its decisionId, after checking that id is the header's; a problem as it is. */
function answer(r: HttpResult): unknown {
  const { answer, ids } = withoutDecisionIds(body(r));
  expect(ids).toEqual(r.statusCode === 200 ? [r.headers['x-fusion-decision-id']] : []);
  return answer;
}
const post = (h: typeof average, payload: unknown, headers?: Record<string, string>) => h(eventV2('POST', '/v1/fuse/average', payload, headers), context());

function expectProblem(r: HttpResult, status: number, type: string) {
  expect(r.statusCode).toBe(status);
  expect(r.headers['Content-Type']).toBe('application/problem+json');
  const p = body(r);
  expect(p).toMatchObject({ status, type: `urn:problem:late-fusion:${type}` });
  expect(typeof p.title).toBe('string');
  expect(typeof p.detail).toBe('string');
  return p;
}

describe('POST /v1/fuse/<strategy>', () => {
  it('should answer a 3-modality average request with exactly the core’s decision', async () => {
    const r = await post(average, THREE);
    expect(r.statusCode).toBe(200);
    expect(r.headers['Content-Type']).toBe('application/json');
    expect(answer(r)).toEqual(fuse('average', THREE));
    expect(body(r)).toMatchObject({ strategy: 'average', label: 'positive' });
  });

  it('should answer every strategy’s route as the core does (decision or the same problem)', async () => {
    for (const name of STRATEGY_NAMES) {
      const { handler } = (await import(pathToFileURL(entryFile(name)).href)) as { handler: typeof average };
      const r = await handler(eventV2('POST', `/v1/fuse/${name}`, THREE), context(`late-fusion-${name}`));
      let expected: unknown;
      try {
        expected = fuse(name, THREE);
      } catch (e) {
        expected = toProblem(e);
      }
      expect(answer(r), name).toEqual(expected);
    }
  });

  it('should fuse a batch and keep item order and ids', async () => {
    const batch = { classes: ['a', 'b'], items: [{ id: 'x', predictions: { m: { probabilities: [0.9, 0.1] } } }, { id: 7, predictions: { m: { label: 'b' } } }] };
    const r = await post(vote, batch);
    expect(r.statusCode).toBe(200);
    const results = body(r).results as { id: unknown; label: string }[];
    expect(results.map((x) => [x.id, x.label])).toEqual([['x', 'a'], [7, 'b']]);
  });

  it('should load a named profile from the store, report missing modalities and say which profile it used', async () => {
    const r = await post(average, { profile: 'sentiment', predictions: { text: { probabilities: [0.1, 0.2, 0.7] }, audio: { label: 'negative', confidence: 0.9 } } });
    expect(r.statusCode).toBe(200);
    expect(body(r)).toMatchObject({ modalities: { used: ['text', 'audio'], missing: ['video'] }, profile: { name: 'sentiment', version: 'local', stale: false } });
    // sentiment weights text 0.5, audio 0.2 renormalised: (0.5*0.7 + 0.2*0.05) / 0.7
    expect((body(r).probabilities as Record<string, number>).positive).toBeCloseTo((0.5 * 0.7 + 0.2 * 0.05) / 0.7, 12);
  });

  it('should load profiles named by batch items', async () => {
    const r = await post(average, { items: [{ profile: 'sentiment', predictions: { text: { label: 'neutral' } } }, { classes: ['a', 'b'], predictions: { m: { label: 'a' } } }] });
    expect(r.statusCode).toBe(200);
    const [first, second] = body(r).results as { profile?: unknown; label: string }[];
    expect(first).toMatchObject({ label: 'neutral', profile: { name: 'sentiment' } });
    expect(second!.profile).toBeUndefined();
  });

  it('should accept a REST API (v1) proxy event', async () => {
    const r = await average(eventV1('POST', '/v1/fuse/average', THREE), context());
    expect(r.statusCode).toBe(200);
    expect(answer(r)).toEqual(fuse('average', THREE));
  });

  it('should return 400 invalid-json for a syntax error and for an empty body', async () => {
    expect(expectProblem(await post(average, '{"classes": ["a", "b"],'), 400, 'invalid-json').detail).toMatch(/not valid JSON/);
    expect(expectProblem(await post(average, ''), 400, 'invalid-json').detail).toMatch(/empty/);
  });

  it('should return 400 with every field error and its path', async () => {
    const p = expectProblem(
      await post(average, { classes: ['a', 'b'], predictions: { x: { probabilities: [0.5, 'high'] }, y: { logits: [1] } }, weights: { x: -1 }, colour: 'red' }),
      400,
      'invalid-request',
    );
    const paths = p.errors!.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['predictions.x.probabilities.1', 'weights.x', 'colour']));
    expect(p.errors!.length).toBeGreaterThanOrEqual(3);
  });

  it('should reject __proto__ keys with 400 naming the key', async () => {
    const p = expectProblem(await post(average, '{"classes":["a","b"],"predictions":{"__proto__":{"label":"a"}}}'), 400, 'invalid-request');
    expect(p.errors).toEqual([expect.objectContaining({ path: '__proto__' })]);
    const escaped = '{"predictions":{"\\u005f\\u005fproto\\u005f\\u005f":{"label":"a"}}}';
    expect(expectProblem(await post(average, escaped), 400, 'invalid-request').errors![0]!.path).toBe('__proto__');
    expectProblem(await post(average, '{"constructor":{"prototype":{"x":1}}}'), 400, 'invalid-request');
  });

  it('should return 404 saying how to list the profiles, without listing the store, for an unknown profile', async () => {
    const p = expectProblem(await post(average, { profile: 'sentimnet', predictions: { text: { label: 'positive' } } }), 404, 'not-found');
    expect(p.detail).toBe('Profile "sentimnet" was not found. List the stored profiles with `npx fusion profiles list`.');
  });

  it('should return 405 with an Allow header for GET', async () => {
    const r = await average(eventV2('GET', '/v1/fuse/average'), context());
    expectProblem(r, 405, 'method-not-allowed');
    expect(r.headers.Allow).toBe('POST');
  });

  it('should return 413 for a body over FUSION_MAX_BODY_BYTES (default 1 MiB)', async () => {
    const big = JSON.stringify({ classes: ['a', 'b'], pad: 'x'.repeat(1024 * 1024) });
    expect(expectProblem(await post(average, big), 413, 'payload-too-large').detail).toContain('1048576');
    const env = { ...process.env, FUSION_MAX_BODY_BYTES: '200' };
    const small = await withEnv(env, () => post(average, THREE));
    expect(expectProblem(small, 413, 'payload-too-large').detail).toContain('limit is 200');
  });

  it('should return 415 when the body is not declared as JSON', async () => {
    expectProblem(await post(average, THREE, { 'content-type': 'text/plain' }), 415, 'unsupported-media-type');
    const noType = eventV2('POST', '/v1/fuse/average', THREE);
    delete noType.headers['content-type'];
    expectProblem(await average(noType, context()), 415, 'unsupported-media-type');
  });

  it('should return 415 naming the header for a compressed body or a charset other than UTF-8', async () => {
    const gzip = expectProblem(await post(average, THREE, { 'content-type': 'application/json', 'content-encoding': 'gzip' }), 415, 'unsupported-media-type');
    expect(gzip.detail).toContain('Content-Encoding: gzip');
    const latin1 = expectProblem(await post(average, THREE, { 'content-type': 'application/json; charset=ISO-8859-1' }), 415, 'unsupported-media-type');
    expect(latin1.detail).toContain('charset "ISO-8859-1"');
    const accepted: Record<string, string>[] = [{ 'content-type': 'application/json; charset=utf-8' }, { 'content-type': 'application/json;charset="UTF8"' }, { 'content-type': 'application/json', 'content-encoding': 'identity' }];
    for (const headers of accepted) expect((await post(average, THREE, headers)).statusCode, JSON.stringify(headers)).toBe(200);
  });

  it('should return 422 when fewer modalities than minModalities are present', async () => {
    const p = expectProblem(await post(average, { profile: 'sentiment', predictions: { text: { label: 'positive' } }, options: { minModalities: 2 } }), 422, 'insufficient-modalities');
    expect(p.detail).toMatch(/missing: video, audio/);
  });

  it('should return 503 when the store cannot read a profile', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fusion-http-'));
    try {
      await mkdir(join(dir, 'sentiment.json')); // a directory where the file should be: unreadable
      const env = { ...process.env, FUSION_STORE_DIR: dir };
      const r = await withEnv(env, () => post(average, { profile: 'sentiment', predictions: { text: { label: 'positive' } } }));
      expectProblem(r, 503, 'unavailable');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('errors never leak internals', () => {
  it('should answer an unexpected error with a generic 500 problem', async () => {
    const h: HttpHandler = httpStack().handler(async () => {
      throw new Error('ECONNREFUSED at /var/task/secret.js:12 token=abc');
    });
    const r = await h(eventV2('GET', '/v1/anything'), context());
    const p = expectProblem(r, 500, 'internal');
    expect(r.body).not.toMatch(/ECONNREFUSED|secret|token|var\/task/);
    expect(p.detail).toMatch(/request id/);
  });

  it('should expose a deliberate UnavailableError as 503 and keep security headers on problems', async () => {
    const h: HttpHandler = httpStack().handler(async () => {
      throw new UnavailableError('Profile "p" (profiles/p.json) cannot be loaded: timeout');
    });
    const r = await h(eventV2('GET', '/v1/anything'), context());
    expect(expectProblem(r, 503, 'unavailable').detail).toContain('profiles/p.json');
    expect(r.headers['X-Content-Type-Options']).toBe('nosniff');
  });

  it('should map an unknown FusionError code to a 500 without its message', async () => {
    const h: HttpHandler = httpStack().handler(async () => {
      throw new FusionError('mystery', 'internal detail');
    });
    const r = await h(eventV2('GET', '/x'), context());
    expectProblem(r, 500, 'internal');
    expect(r.body).not.toContain('internal detail');
  });
});

describe('meta routes', () => {
  it('should list every registry strategy with description, weighted, parameters and reference', async () => {
    const r = await metaEntry(eventV2('GET', '/v1/strategies'), context('late-fusion-meta'));
    expect(r.statusCode).toBe(200);
    const list = body(r).strategies as { name: string; description: string; weighted: boolean; parameters: string[]; reference: string }[];
    expect(list.map((s) => s.name)).toEqual(STRATEGY_NAMES);
    for (const s of list) {
      expect(s.description.length).toBeGreaterThan(10);
      expect(typeof s.weighted).toBe('boolean');
      expect(s.parameters.length).toBeGreaterThan(0);
      expect(s.reference.length).toBeGreaterThan(10);
    }
  });

  it('should answer health and the OpenAPI document', async () => {
    expect(body(await metaEntry(eventV2('GET', '/v1/health'), context()))).toEqual({ status: 'ok', strategies: STRATEGY_NAMES });
    const doc = body(await metaEntry(eventV2('GET', '/v1/openapi.json'), context()));
    expect(doc.openapi).toBe('3.1.0');
  });

  it('should return 404 listing the strategies for an unknown strategy, and the routes for an unknown path', async () => {
    const p = expectProblem(await metaEntry(eventV2('POST', '/v1/fuse/avrage', THREE), context()), 404, 'not-found');
    for (const name of STRATEGY_NAMES) expect(p.detail).toContain(name);
    expect(expectProblem(await metaEntry(eventV2('GET', '/v2/nothing'), context()), 404, 'not-found').detail).toContain('GET /v1/health');
  });

  it('should return 405 for a known path with the wrong method', async () => {
    const r = await metaEntry(eventV2('DELETE', '/v1/strategies'), context());
    expectProblem(r, 405, 'method-not-allowed');
    expect(r.headers.Allow).toBe('GET');
    const fuseGet = await metaEntry(eventV2('GET', '/v1/fuse/average'), context());
    expect(fuseGet.headers.Allow).toBe('POST');
  });

  it('should serve meta routes from a REST API (v1) event too', async () => {
    const r = await metaEntry(eventV1('GET', '/v1/health'), context());
    expect(body(r).status).toBe('ok');
  });
});
