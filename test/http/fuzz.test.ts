/**
 * Fuzzing the local server over real HTTP: arbitrary and malformed bodies must all be answered
 * with a 4xx problem object (or a correct 200), never a 5xx, never a hang.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import { fuse } from '../../functions/fusion/registry.js';
import { SEED, adversarial, batch, nearlyValid, strategy } from '../support/fuzz-corpus.js';
import { BatchResponse, FusionResponse } from '../../functions/fusion/contract.js';
import { withoutDecisionIds } from '../support/decision-id.js';
import { type LocalServer, startServer } from '../../functions/local/server.js';

let server: LocalServer;
beforeAll(async () => {
  server = await startServer({ port: 0, env: { ...process.env } });
});
afterAll(() => server.close());

let requests = 0;

/** Posts `body` and checks the answer's shape; returns the status. */
async function check(strategy: string, body: string, contentType = 'application/json'): Promise<number> {
  requests++;
  const res = await fetch(`${server.url}/v1/fuse/${strategy}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  expect(res.status, text.slice(0, 300)).toBeLessThan(500);
  const answer = JSON.parse(text) as { status?: number; type?: string; detail?: string };
  if (res.status >= 400) {
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(answer.status).toBe(res.status);
    expect(answer.type).toMatch(/^urn:problem:late-fusion:/);
    expect(typeof answer.detail).toBe('string');
    // Problems stay proportionate: at most 20 errors, each message at most 500 characters.
    const errors = (answer as { errors?: { message: string }[] }).errors ?? [];
    expect(errors.length).toBeLessThanOrEqual(20);
    for (const e of errors) expect(e.message.length).toBeLessThanOrEqual(500);
  } else {
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(5_000_000);
    expect(FusionResponse.safeParse(answer).success || BatchResponse.safeParse(answer).success).toBe(true);
  }
  return res.status;
}

describe('fuzzing the local server', () => {
  // Seeded: every run sends the same 10,000+ bodies, so a failure reproduces exactly.
  const budget = { seed: SEED } as const;

  it('should answer arbitrary JSON values with a 4xx problem or a correct decision, never a 5xx', async () => {
    await fc.assert(fc.asyncProperty(strategy, fc.jsonValue(), async (s, v) => void (await check(s, JSON.stringify(v)))), { numRuns: 2000, ...budget });
  });

  it('should answer near-valid requests and batches with wrong types, NaN/Infinity strings, huge numbers and unicode names', async () => {
    await fc.assert(fc.asyncProperty(strategy, fc.oneof(nearlyValid, batch), async (s, v) => void (await check(s, JSON.stringify(v)))), { numRuns: 3000, ...budget });
  });

  it('should answer long names, many unknown keys, many profiles and large implied outputs with a bounded 4xx or a correct decision', async () => {
    await fc.assert(
      fc.asyncProperty(strategy, adversarial, async (s, body) => {
        const before = requests;
        await check(s, body);
        expect(requests).toBe(before + 1);
      }),
      { numRuns: 4300, ...budget },
    );
  }, 240_000);

  it('should answer truncated JSON with 4xx, and raw bytes, duplicate keys and __proto__ keys never with 5xx', async () => {
    const valid = JSON.stringify({ classes: ['a', 'b'], predictions: { x: { probabilities: [0.4, 0.6] }, y: { logits: [1, 2] } } });
    const truncated = fc.nat({ max: valid.length - 1 }).map((n) => valid.slice(0, n));
    await fc.assert(fc.asyncProperty(strategy, truncated, async (s, body) => void expect(await check(s, body)).toBeGreaterThanOrEqual(400)), { numRuns: 300, ...budget });
    const raw = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.constantFrom(
        '{"classes":["a","b"],"classes":7,"predictions":{"x":{"label":"a"}}}',
        '{"classes":["a","b"],"predictions":{"x":{"label":"a"},"x":{"label":"b"}}}',
        '{"__proto__":{"polluted":true},"classes":["a","b"]}',
        '{"classes":["a","b"],"predictions":{"x":{"probabilities":{"__proto__":1,"a":0.5,"b":0.5}}}}',
        '{"constructor":{"prototype":{"polluted":true}}}',
        '{"classes":["a","b"],"predictions":{"x":{"probabilities":[NaN,Infinity]}}}',
        '{"classes":["a","b"],"predictions":{"x":{"probabilities":[1e999,-1e999]}}}',
        '\uFEFF{}',
        'null',
        '',
      ),
    );
    await fc.assert(fc.asyncProperty(strategy, raw, async (s, body) => void (await check(s, body))), { numRuns: 400, ...budget });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('should survive deep nesting, 10k modalities and 100k classes', async () => {
    for (const depth of [1_000, 100_000]) {
      expect(await check('average', `{"classes":${'['.repeat(depth)}${']'.repeat(depth)}}`)).toBe(400);
      expect(await check('average', `{"predictions":{"x":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}}`)).toBe(400);
    }
    const many = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`m${i}`, { probabilities: [0.5, 0.5] }]));
    expect(await check('median', JSON.stringify({ classes: ['a', 'b'], predictions: many }))).toBe(400);
    const classes = Array.from({ length: 100_000 }, (_, i) => `c${i}`);
    expect(await check('vote', JSON.stringify({ classes, predictions: { x: { label: 'c1' } } }))).toBeGreaterThanOrEqual(400);
    const wide = Array.from({ length: 20_000 }, (_, i) => `${i}`);
    expect(await check('vote', JSON.stringify({ classes: wide }))).toBe(400);
  });

  it('should still answer correctly after the fuzzing', async () => {
    expect(requests).toBeGreaterThanOrEqual(10_000);
    const req = { classes: ['neg', 'pos'], predictions: { text: { probabilities: [0.3, 0.7] }, audio: { logits: [0.1, 0.4] } } };
    const res = await fetch(`${server.url}/v1/fuse/average`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(req) });
    expect(res.status).toBe(200);
    const { answer, ids } = withoutDecisionIds(await res.json());
    expect(answer).toEqual(fuse('average', req));
    expect(ids).toEqual([res.headers.get('x-fusion-decision-id')]);
  });
});
