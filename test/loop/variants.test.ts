/**
 * Shadows and canaries: through the HTTP handler with a local store (profiles and models as
 * files), and the core's `decideVariant` / `runShadows` on prepared requests.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  process.env.POWERTOOLS_METRICS_NAMESPACE = 'LateFusionTest';
});

import { withEnv } from '../../functions/http/config.js';
import { handler as learnedEntry } from '../../functions/http/entries/learned.js';
import { handler as averageEntry } from '../../functions/http/entries/average.js';
import { getStrategy, knownStrategy } from '../../functions/fusion/registry.js';
import { decideVariant, runShadows } from '../../functions/fusion/loop/shadow.js';
import type { FusionResponse } from '../../functions/fusion/schemas.js';
import { chooseVariant } from '../../functions/fusion/loop/variant.js';
import { prepare, type ResolvedProfile } from '../../functions/fusion/prepare.js';
import { variantsHook } from '../../functions/loop/variants.js';
import { fuseOne } from '../../functions/fusion/fuse.js';
import { checkProfile } from '../../functions/store/index.js';
import { fuseArrived, joinContext } from '../../functions/fusion/join/reducer.js';
import { context, eventV2 } from '../http/events.js';
import { model as fitModel } from '../store/fixtures.js';

const classes = ['neg', 'pos'];
const modalities = ['text', 'audio'];

/** A logistic model that ignores its input: the intercept alone picks `label` (p = e/(1+e) ≈ 0.73). */
function constant(label: 'neg' | 'pos') {
  const m = fitModel(classes, modalities);
  m.params = { coef: [new Array(4).fill(0), new Array(4).fill(0)], intercept: label === 'neg' ? [1, 0] : [0, 1] };
  return m;
}

const base = { classes, modalities };
const REQUEST = { predictions: { text: { probabilities: [0.3, 0.7] }, audio: { probabilities: [0.6, 0.4] } } };

let dir: string;
let env: NodeJS.ProcessEnv;
const profiles: Record<string, unknown> = {
  plain: { name: 'plain', ...base, model: { key: 'models/neg.json' } },
  shadowed: {
    name: 'shadowed',
    ...base,
    model: { key: 'models/neg.json' },
    shadow: [{ strategy: 'learned', model: { key: 'models/pos.json' } }, { strategy: 'product' }, { strategy: 'average', weights: { audio: 0 } }],
  },
  broken: { name: 'broken', ...base, model: { key: 'models/neg.json' }, shadow: [{ strategy: 'learned', model: { key: 'models/gone.json' } }, { strategy: 'no-such-rule' }] },
  canary: { name: 'canary', ...base, model: { key: 'models/neg.json' }, canary: { model: { key: 'models/pos.json' }, fraction: 0.5 } },
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fusion-variants-'));
  await mkdir(join(dir, 'models'));
  await writeFile(join(dir, 'models/neg.json'), JSON.stringify(constant('neg')));
  await writeFile(join(dir, 'models/pos.json'), JSON.stringify(constant('pos')));
  for (const [name, p] of Object.entries(profiles)) await writeFile(join(dir, `${name}.json`), JSON.stringify(p));
  env = { ...process.env, FUSION_STORE_DIR: dir, FUSION_DECISION_LOG_SAMPLE: '1' };
});
afterAll(() => rm(dir, { recursive: true, force: true }));

let emf: { dims: Record<string, string>; metrics: Record<string, number> }[] = [];
let lines: Record<string, unknown>[] = [];
beforeEach(() => {
  emf = [];
  lines = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    for (const line of String(chunk).split('\n').filter(Boolean)) {
      const j = JSON.parse(line) as Record<string, unknown> & { _aws?: { CloudWatchMetrics: { Metrics: { Name: string }[] }[] } };
      if (j.type === 'decision') lines.push(j);
      if (!j._aws) continue;
      const names = j._aws.CloudWatchMetrics[0]!.Metrics.map((m) => m.Name);
      emf.push({ dims: { profile: j.profile as string, shadow: j.shadow as string }, metrics: Object.fromEntries(names.map((n) => [n, j[n] as number])) });
    }
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

async function post(entry: typeof learnedEntry, name: string, body: unknown) {
  const r = await withEnv(env, () => entry(eventV2('POST', `/v1/fuse/${name}`, body), context(`late-fusion-${name}`)));
  return { status: r.statusCode, body: JSON.parse(r.body) as Record<string, unknown> };
}

describe('shadows through the HTTP handler', () => {
  it('should answer byte for byte as the same profile without shadows', async () => {
    // The same client decision id, so the answers differ in nothing but the profile's name.
    const plain = await withEnv(env, () => learnedEntry(eventV2('POST', '/v1/fuse/learned', { ...REQUEST, profile: 'plain', decisionId: 'd-1' }), context()));
    const shadowed = await withEnv(env, () => learnedEntry(eventV2('POST', '/v1/fuse/learned', { ...REQUEST, profile: 'shadowed', decisionId: 'd-1' }), context()));
    expect(shadowed.statusCode).toBe(200);
    expect(shadowed.body.replace('"shadowed"', '"plain"')).toBe(plain.body);
    expect(JSON.parse(shadowed.body)).toMatchObject({ label: 'neg' });
  });

  it("should measure each shadow's agreement with the answer (ShadowAgreement)", async () => {
    await post(learnedEntry, 'learned', { ...REQUEST, profile: 'shadowed' });
    const agreement = Object.fromEntries(emf.filter((e) => 'ShadowAgreement' in e.metrics).map((e) => [e.dims.shadow, e.metrics.ShadowAgreement]));
    // The answer is "neg" (the primary model); product of (0.3, 0.7)·(0.6, 0.4) favours pos; average with audio at 0 is text alone: pos.
    expect(agreement).toEqual({ 'learned:models/pos.json': 0, product: 0, average: 0 });
  });

  it('should answer 200 when shadows fail, and count each failure', async () => {
    const r = await post(learnedEntry, 'learned', { ...REQUEST, profile: 'broken' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ label: 'neg', strategy: 'learned' });
    const failures = emf.filter((e) => e.metrics.ShadowFailures).map((e) => [e.dims.shadow, e.metrics.ShadowFailures]);
    expect(failures.sort()).toEqual([['learned:models/gone.json', 1], ['no-such-rule', 1]]);
  });

  it("should put each shadow's result, or its error, in the decision line", async () => {
    await post(learnedEntry, 'learned', { ...REQUEST, profile: 'broken', decisionId: 'log-1' });
    await post(learnedEntry, 'learned', { ...REQUEST, profile: 'shadowed', decisionId: 'log-2' });
    const byId = Object.fromEntries(lines.map((l) => [l.decisionId, l.shadows]));
    expect(byId['log-1']).toEqual([
      { name: 'learned:models/gone.json', error: expect.stringMatching(/gone\.json/) },
      { name: 'no-such-rule', error: 'strategy "no-such-rule" is not available here' },
    ]);
    expect(byId['log-2']).toEqual([
      { name: 'learned:models/pos.json', label: 'pos', confidence: expect.closeTo(Math.E / (1 + Math.E), 12), agree: false },
      { name: 'product', label: 'pos', confidence: expect.any(Number), agree: false },
      { name: 'average', label: 'pos', confidence: expect.closeTo(0.7, 12), agree: false },
    ]);
  });

  it('should run a shadow of another strategy from a strategy route (the registry is loaded on demand)', async () => {
    const r = await post(averageEntry, 'average', { ...REQUEST, profile: 'shadowed' });
    expect(r.status).toBe(200);
    expect(r.body.strategy).toBe('average');
    expect(emf.some((e) => e.dims.shadow === 'learned:models/pos.json' && e.metrics.ShadowAgreement === 1)).toBe(true);
  });
});

describe('canary', () => {
  it('should answer with the canary model for canary ids and say which variant answered (worked example)', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const r = await post(learnedEntry, 'learned', { ...REQUEST, profile: 'canary' });
      expect(r.status).toBe(200);
      // neg.json always answers neg, pos.json (the canary) always pos, at e/(1+e).
      expect(r.body.label).toBe(r.body.variant === 'canary' ? 'pos' : 'neg');
      expect(r.body.confidence).toBeCloseTo(Math.E / (1 + Math.E), 12);
      seen.add(r.body.variant as string);
    }
    expect(seen).toEqual(new Set(['canary', 'primary']));
  });

  it('should keep a retry on its variant: the same client decisionId, the same variant and answer', async () => {
    for (let i = 0; i < 20; i++) {
      const id = `retry-${i}`;
      const first = await post(learnedEntry, 'learned', { ...REQUEST, profile: 'canary', decisionId: id });
      const again = await post(learnedEntry, 'learned', { ...REQUEST, profile: 'canary', decisionId: id });
      expect(again.body).toEqual(first.body);
      expect(first.body.variant).toBe(chooseVariant(id, 0.5));
    }
    const line = lines.find((l) => l.decisionId === 'retry-0')!;
    expect(line.variant).toBe(chooseVariant('retry-0', 0.5));
  });

  it('should give a profile without a canary no variant field', async () => {
    expect((await post(learnedEntry, 'learned', { ...REQUEST, profile: 'plain' })).body).not.toHaveProperty('variant');
  });
});

describe('the core: decideVariant and runShadows', () => {
  const neg = constant('neg');
  const pos = constant('pos');
  const resolved = (extra: Record<string, unknown>, more: Partial<ResolvedProfile> = {}): ResolvedProfile => ({
    profile: checkProfile({ name: 'p', ...base, model: { key: 'models/neg.json' }, ...extra }, 'test'),
    model: neg,
    ...more,
  });
  const strategies = knownStrategy;
  const learned = getStrategy('learned');

  it('should choose the variant from the id alone, so a retry with the same id gets the same answer', () => {
    const r = resolved({ canary: { model: { key: 'models/pos.json' }, fraction: 0.3 } }, { canaryModel: { model: pos } });
    for (let i = 0; i < 200; i++) {
      const id = `decision-${i}`;
      const a = decideVariant(learned, prepare({ ...REQUEST, profile: 'p' }, () => r), id, strategies);
      const b = decideVariant(learned, prepare({ ...REQUEST, profile: 'p' }, () => r), id, strategies);
      expect(a.variant).toBe(chooseVariant(id, 0.3));
      expect(b).toEqual(a);
      expect(a.response.label).toBe(a.variant === 'canary' ? 'pos' : 'neg');
    }
  });

  it('should send a share of 10,000 decisions to the canary within binomial bounds (4 sigma)', () => {
    const r = resolved({ canary: { model: { key: 'models/pos.json' }, fraction: 0.2 } }, { canaryModel: { model: pos } });
    const p = prepare({ ...REQUEST, profile: 'p' }, () => r);
    let canary = 0;
    for (let i = 0; i < 10_000; i++) if (decideVariant(learned, p, `d-${i}`, strategies).variant === 'canary') canary++;
    expect(Math.abs(canary - 2000)).toBeLessThan(4 * Math.sqrt(10_000 * 0.2 * 0.8));
  });

  it('should leave canary decisions to the primary when the canary model failed to load', () => {
    const r = resolved({ canary: { model: { key: 'models/x.json' }, fraction: 1 } }, { canaryModel: { error: 'no such model' } });
    const d = decideVariant(learned, prepare({ ...REQUEST, profile: 'p' }, () => r), 'any', strategies);
    expect(d).toMatchObject({ variant: 'primary', response: { label: 'neg', variant: 'primary' } });
  });

  it('should never change the answer: the hook answers exactly as plain decide, shadows or not', () => {
    const specs = [{ strategy: 'learned', model: { key: 'models/pos.json' } }, { strategy: 'dempster-shafer' }, { strategy: 'vote' }];
    const r = resolved({ shadow: specs, adaptiveWeights: 'entropy' }, { shadowModels: [{ model: pos }, undefined, undefined] });
    for (const strategy of ['average', 'product', 'learned', 'vote']) {
      const rule = getStrategy(strategy);
      const hook = variantsHook(strategies, () => 'id');
      const withShadows = fuseOne(rule, { ...REQUEST, profile: 'p' }, () => r, { decide: hook.decide });
      const without = fuseOne(rule, { ...REQUEST, profile: 'p' }, () => resolved({ adaptiveWeights: 'entropy' }));
      expect(JSON.stringify(withShadows).replace(/"stale":false,?/, '')).toBe(JSON.stringify(without).replace(/"stale":false,?/, ''));
      expect(hook.records[0]!.shadows.map((s) => s.name)).toEqual(['learned:models/pos.json', 'dempster-shafer', 'vote']);
      expect(hook.records[0]!.shadows.every((s) => s.error === undefined)).toBe(true);
    }
  });

  it('should turn a throwing shadow into {name, error} and still compare the others', () => {
    const p = prepare({ ...REQUEST, profile: 'p' }, () =>
      resolved({ shadow: [{ strategy: 'learned', model: { key: 'models/bad.json' } }, { strategy: 'average' }] }, { shadowModels: [{ model: { format: 'fusion-model' } }, undefined] }),
    );
    const answer = fuseOne(getStrategy('learned'), { ...REQUEST, profile: 'p' }, () => resolved({}));
    const out = runShadows(p, answer, strategies);
    expect(out[0]).toMatchObject({ name: 'learned:models/bad.json', error: expect.stringMatching(/model/) });
    // average of (0.3, 0.7) and (0.6, 0.4) is (0.45, 0.55): pos, where the primary answered neg.
    expect(out[1]).toEqual({ name: 'average', label: 'pos', confidence: expect.closeTo(0.55, 12), agree: false });
  });
});

describe('joins', () => {
  it('should choose a join\'s variant from its joinId and answer with the canary model there', () => {
    const resolved: ResolvedProfile = {
      profile: checkProfile({ name: 'j', ...base, model: { key: 'models/neg.json' }, join: { strategy: 'learned', windowSeconds: 30 }, canary: { model: { key: 'models/pos.json' }, fraction: 0.5 } }, 'test'),
      model: constant('neg'),
      canaryModel: { model: constant('pos') },
    };
    const arrivals = Object.fromEntries(Object.entries(REQUEST.predictions).map(([m, prediction]) => [m, { prediction, at: 0 }]));
    for (let i = 0; i < 30; i++) {
      const joinId = `join-${i}`;
      const r = fuseArrived({ joinId, profile: 'j', arrivals } as never, modalities, joinContext(resolved, joinId)) as FusionResponse;
      expect(r.variant).toBe(chooseVariant(joinId, 0.5));
      expect(r.label).toBe(r.variant === 'canary' ? 'pos' : 'neg');
    }
  });
});
