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
import { FusionResponse, BatchResponse } from '../../functions/fusion/schemas.js';
import { type LocalServer, startServer } from '../../functions/local/server.js';

let server: LocalServer;
beforeAll(async () => {
  server = await startServer({ port: 0, env: { ...process.env } });
});
afterAll(() => server.close());

const STRATEGIES = ['average', 'product', 'max', 'min', 'median', 'vote', 'borda'];
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
  } else {
    expect(FusionResponse.safeParse(answer).success || BatchResponse.safeParse(answer).success).toBe(true);
  }
  return res.status;
}

const strategy = fc.constantFrom(...STRATEGIES);
const weird = fc.oneof(
  fc.double(),
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e309', '0x10', '', null, true, [], {}),
  fc.constantFrom(1e308, -1e308, 5e-324, Number.MAX_SAFE_INTEGER * 1e10, -0),
  fc.string(),
);
const className = fc.oneof(fc.string({ unit: 'grapheme', minLength: 0, maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', '💥', 'e\u0301'));
const prediction = fc.oneof(
  fc.record({ probabilities: fc.array(weird, { maxLength: 6 }) }),
  fc.record({ probabilities: fc.dictionary(className, weird, { maxKeys: 5 }) }),
  fc.record({ logits: fc.array(fc.oneof(fc.double({ noNaN: true }), weird), { maxLength: 6 }) }),
  fc.record({ label: className, confidence: weird }, { requiredKeys: ['label'] }),
  weird,
);
/** Requests that look like the contract, with values drawn from everything that can go wrong. */
const nearlyValid = fc.record(
  {
    id: fc.oneof(fc.string(), fc.integer(), weird),
    profile: fc.oneof(fc.constantFrom('sentiment', 'nope', 'sentiment@v1', '../etc/passwd', ''), fc.string()),
    classes: fc.oneof(fc.uniqueArray(className, { minLength: 2, maxLength: 5 }), weird),
    modalities: fc.oneof(fc.array(fc.string(), { maxLength: 4 }), weird),
    predictions: fc.oneof(fc.dictionary(fc.oneof(fc.constantFrom('text', 'video', 'audio'), fc.string()), prediction, { maxKeys: 5 }), weird),
    weights: fc.oneof(fc.dictionary(fc.string(), weird, { maxKeys: 4 }), weird),
    options: fc.oneof(fc.record({ minModalities: weird, mode: weird, tieBreak: weird, epsilon: weird, temperatures: weird, priors: weird }, { requiredKeys: [] }), weird),
  },
  { requiredKeys: [] },
);
const batch = fc.record(
  { classes: fc.oneof(fc.constant(['a', 'b']), weird), weights: weird, items: fc.oneof(fc.array(nearlyValid, { maxLength: 4 }), weird) },
  { requiredKeys: ['items'] },
);

describe('fuzzing the local server', () => {
  const budget = { interruptAfterTimeLimit: 12_000, markInterruptAsFailure: false } as const;

  it('should answer arbitrary JSON values with a 4xx problem or a correct decision, never a 5xx', async () => {
    await fc.assert(fc.asyncProperty(strategy, fc.jsonValue(), async (s, v) => void (await check(s, JSON.stringify(v)))), { numRuns: 1000, ...budget });
  });

  it('should answer near-valid requests and batches with wrong types, NaN/Infinity strings, huge numbers and unicode names', async () => {
    await fc.assert(fc.asyncProperty(strategy, fc.oneof(nearlyValid, batch), async (s, v) => void (await check(s, JSON.stringify(v)))), { numRuns: 1500, ...budget });
  });

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
    expect(requests).toBeGreaterThan(1000);
    const req = { classes: ['neg', 'pos'], predictions: { text: { probabilities: [0.3, 0.7] }, audio: { logits: [0.1, 0.4] } } };
    const res = await fetch(`${server.url}/v1/fuse/average`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(req) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(fuse('average', req));
  });
});
