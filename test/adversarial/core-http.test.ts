/**
 * Requests an attacker would send to `npm start`, each answered in proportion to the question:
 * capped problem objects, no store read for an invalid request, responses bounded before the
 * work, operator policy a request cannot override, and every problem of a request at once.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import { type LocalServer, startServer } from '../../functions/local/server.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { type S3Fixture, startS3 } from '../support/s3.js';

let local: LocalServer;
let s3: S3Fixture;
let proxy: FaultProxy;
let stored: LocalServer;

beforeAll(async () => {
  local = await startServer({ port: 0, env: { ...process.env } });
  s3 = await startS3();
  proxy = await startFaultProxy(s3.endpoint);
  await s3.put('profiles/duo.json', { name: 'duo', classes: ['neg', 'pos'], modalities: ['text', 'audio'], minModalities: 2 });
  await s3.put('profiles/wrongname.json', { name: 'duo', classes: ['neg', 'pos'], modalities: ['text', 'audio'] });
  stored = await startServer({ port: 0, env: { ...process.env, ...s3.env, AWS_ENDPOINT_URL_S3: proxy.endpoint, FUSION_CACHE_TTL_SECONDS: '60' } });
});
afterAll(async () => {
  await local?.close();
  await stored?.close();
  await proxy?.close();
  await s3?.stop();
});

interface Answer {
  status: number;
  bytes: number;
  body: Record<string, unknown> & { errors?: { path: string; message: string }[]; errorsTruncated?: number; detail?: string; type?: string };
}

async function post(server: LocalServer, strategy: string, body: unknown): Promise<Answer> {
  const res = await fetch(`${server.url}/v1/fuse/${strategy}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  return { status: res.status, bytes: Buffer.byteLength(text), body: JSON.parse(text) };
}

const valid = { classes: ['neg', 'pos'], predictions: { text: { probabilities: [0.3, 0.7] }, audio: { probabilities: [0.6, 0.4] } } };

describe('amplification: the answer stays proportionate to the question', () => {
  it('should reject 5,000-character class names with a 400 naming the limit', async () => {
    const classes = Array.from({ length: 20 }, (_, i) => `${i}`.padEnd(5000, 'x'));
    const a = await post(local, 'average', { classes, predictions: { text: { label: classes[0] } } });
    expect(a.status).toBe(400);
    expect(a.body.errors![0]!.message).toMatch(/at most 256 characters/);
    expect(a.bytes).toBeLessThan(16_000);
  });

  it('should answer 20,000 unknown probability keys with at most 20 errors of at most 500 characters, and keep serving', async () => {
    const classes = Array.from({ length: 20 }, (_, i) => `${i}`.padEnd(256, 'c'));
    const probabilities = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, 0]));
    const body = JSON.stringify({ classes, predictions: { text: { probabilities } } });
    const a = await post(local, 'average', body);
    expect(a.status).toBe(400);
    expect(a.body.errors!.length).toBe(20);
    expect(a.body.errorsTruncated).toBeGreaterThan(0);
    for (const e of a.body.errors!) expect(e.message.length).toBeLessThanOrEqual(500);
    expect(a.body.errors![0]!.message).toMatch(/\.\.\. and 10 more$/);
    expect(a.bytes).toBeLessThan(body.length);
    expect((await post(local, 'average', valid)).status).toBe(200);
  });

  it('should refuse a batch naming 1,000 distinct profiles with a 400 before any store read', async () => {
    const before = proxy.count();
    const items = Array.from({ length: 1000 }, (_, i) => ({ profile: `p${i}`, predictions: { text: { label: 'a' } } }));
    const a = await post(stored, 'average', { items });
    expect(a.status).toBe(400);
    expect(a.body.errors!.some((e) => /at most 8 distinct profiles/.test(e.message))).toBe(true);
    expect(proxy.count()).toBe(before);
  });

  it('should refuse an invalid request naming a profile without reading the store', async () => {
    const before = proxy.count();
    const a = await post(stored, 'average', { profile: 'duo', predictions: { text: { probabilities: 'x' } } });
    expect(a.status).toBe(400);
    expect(proxy.count()).toBe(before);
  });

  it('should answer 413 response-too-large for 1,000 bare labels over 1,000 classes, saying how to split', async () => {
    const classes = Array.from({ length: 1000 }, (_, i) => `class-${i}`);
    const items = Array.from({ length: 1000 }, () => ({ predictions: { t: { label: 'class-1' } } }));
    const a = await post(local, 'average', { classes, items });
    expect(a.status).toBe(413);
    expect(a.body.type).toBe('urn:problem:late-fusion:response-too-large');
    expect(a.body.detail).toMatch(/Split the batch into requests of at most \d+ items/);
  });

  it('should answer 413 at once for 1,000 empty items inheriting 1,000 classes and 64 modalities', async () => {
    const classes = Array.from({ length: 1000 }, (_, i) => `class-${i}`);
    const predictions = Object.fromEntries(Array.from({ length: 64 }, (_, k) => [`m${k}`, { label: 'class-0' }]));
    const started = performance.now();
    const a = await post(local, 'average', { classes, predictions, items: Array.from({ length: 1000 }, () => ({})) });
    expect(a.status).toBe(413);
    expect(performance.now() - started).toBeLessThan(1500);
  });
});

describe('policy and silent mistakes', () => {
  it('should refuse a request lowering a profile’s minModalities, naming the profile’s minimum', async () => {
    const a = await post(stored, 'average', { profile: 'duo', predictions: { text: { probabilities: [0.3, 0.7] } }, options: { minModalities: 1 } });
    expect(a.status).toBe(400);
    expect(a.body.errors).toContainEqual({ path: 'options.minModalities', message: expect.stringMatching(/requires at least 2 modalities; a request may raise/) });
    const raised = await post(stored, 'average', { profile: 'duo', predictions: valid.predictions, options: { minModalities: 2 } });
    expect(raised.status).toBe(200);
  });

  it('should refuse misspelt weight and temperature keys with a profile, listing its modalities', async () => {
    const a = await post(stored, 'average', { profile: 'duo', predictions: valid.predictions, weights: { txt: 5 }, options: { temperatures: { adio: 2 } } });
    expect(a.status).toBe(400);
    expect(a.body.errors!.map((e) => e.path)).toEqual(['weights.txt', 'options.temperatures.adio']);
    expect(a.body.errors![0]!.message).toMatch(/its modalities are: text, audio/);
  });

  it('should warn, without a profile, about keys naming no sent or expected modality', async () => {
    const a = await post(local, 'average', { ...valid, modalities: ['text', 'audio', 'video'], weights: { txt: 5, video: 2 } });
    expect(a.status).toBe(200);
    expect(a.body.warnings).toEqual([{ path: 'weights.txt', message: expect.stringMatching(/no modality "txt" was sent or expected/) }]);
  });

  it('should report every problem of a request in one answer', async () => {
    const a = await post(local, 'average', {
      classes: ['neg', 'pos'],
      weight: { text: 1 },
      predictions: { text: { probabilities: [0.3, 0.6] }, audio: { label: 'maybe' } },
    });
    expect(a.status).toBe(400);
    expect(a.body.errors!.map((e) => e.path)).toEqual(['weight', 'predictions.text.probabilities', 'predictions.audio.label']);
  });

  it('should not serve a profile whose name differs from its key', async () => {
    const a = await post(stored, 'average', { profile: 'wrongname', predictions: valid.predictions });
    expect(a.status).toBe(503);
    expect(a.body.detail).toMatch(/stored as "wrongname" but its name is "duo"/);
  });
});
