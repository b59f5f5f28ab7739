import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Prediction, Profile } from '../../functions/fusion/index.js';
import { expectClose, one, probs } from './support.js';

const classNames = (C: number) => Array.from({ length: C }, (_, c) => `c${c}`);
const distribution = (C: number) =>
  fc.array(fc.integer({ min: 0, max: 20 }), { minLength: C, maxLength: C }).filter((v) => v.some((x) => x > 0)).map((v) => {
    const s = v.reduce((a, b) => a + b, 0);
    return v.map((x) => x / s);
  });

interface Scenario {
  classes: string[];
  dists: number[][];
  weights: number[];
}

const scenario = (kMin = 1): fc.Arbitrary<Scenario> =>
  fc.record({ C: fc.integer({ min: 2, max: 6 }), K: fc.integer({ min: kMin, max: 5 }) }).chain(({ C, K }) =>
    fc.record({
      classes: fc.constant(classNames(C)),
      dists: fc.array(distribution(C), { minLength: K, maxLength: K }),
      weights: fc.array(fc.double({ min: 0.01, max: 10, noNaN: true }), { minLength: K, maxLength: K }),
    }),
  );

function request(s: Scenario, order = s.dists.map((_, k) => k), weights = s.weights) {
  const predictions: Record<string, Prediction> = {};
  const w: Record<string, number> = {};
  for (const k of order) (predictions[`m${k}`] = { probabilities: s.dists[k]! }), (w[`m${k}`] = weights[k]!);
  return { classes: s.classes, predictions, weights: w, options: { adaptiveWeights: 'entropy' } };
}

/** w_k · (1 − H(p_k) / ln C), written from the definition. */
const effective = (s: Scenario) =>
  s.dists.map((d, k) => s.weights[k]! * (1 - -d.reduce((h, v) => (v > 0 ? h + v * Math.log(v) : h), 0) / Math.log(d.length)));

const ADAPTIVE = ['average', 'product', 'vote', 'dempster-shafer'] as const;
const defined = (s: Scenario) => {
  try {
    one('dempster-shafer', request(s));
    return true;
  } catch {
    return false;
  }
};

describe('options.adaptiveWeights: "entropy"', () => {
  it('should report effective weights w_k·(1 − H(p_k)/ln C) and average with them, contributions following them', () => {
    fc.assert(
      fc.property(scenario(), (s) => {
        const eff = effective(s);
        const r = one('average', request(s));
        const used = eff.some((w) => w > 1e-12) ? eff : s.weights;
        s.dists.forEach((_, k) => expect(r.effectiveWeights![`m${k}`]).toBeCloseTo(used[k]!, 12));
        const total = used.reduce((a, b) => a + b, 0);
        const expected = s.classes.map((_, c) => s.dists.reduce((acc, d, k) => acc + used[k]! * d[c]!, 0) / total);
        expectClose(probs(r, s.classes), expected, 9);
        const label = s.classes.indexOf(r.label);
        const support = s.dists.map((d, k) => used[k]! * d[label]!);
        const sum = support.reduce((a, b) => a + b, 0);
        if (sum > 0) s.dists.forEach((_, k) => expect(r.contributions[`m${k}`]).toBeCloseTo(support[k]! / sum, 9));
      }),
    );
  });

  it('should keep the weight of a sure prediction, give a uniform one weight 0, and fall back to the plain weights when all are uniform', () => {
    const classes = ['a', 'b', 'c'];
    const r = one('average', { classes, predictions: { sure: { probabilities: [0, 1, 0] }, unsure: { probabilities: [1 / 3, 1 / 3, 1 / 3] } }, weights: { sure: 2, unsure: 5 }, options: { adaptiveWeights: 'entropy' } });
    expect(r.effectiveWeights).toEqual({ sure: 2, unsure: 0 });
    expect(r.contributions).toEqual({ sure: 1, unsure: 0 });
    expectClose(probs(r, classes), [0, 1, 0]);
    const flat = one('vote', { classes, predictions: { x: { probabilities: [1 / 3, 1 / 3, 1 / 3] }, y: { logits: [0, 0, 0] } }, weights: { x: 2, y: 3 }, options: { adaptiveWeights: 'entropy' } });
    expect(flat.effectiveWeights).toEqual({ x: 2, y: 3 });
  });

  it.each(ADAPTIVE)('%s: permuting the modalities changes nothing', (rule) => {
    fc.assert(
      fc.property(scenario(2).filter((s) => rule !== 'dempster-shafer' || defined(s)), (s) => {
        const order = s.dists.map((_, k) => k).reverse();
        const a = one(rule, request(s));
        const b = one(rule, request(s, order));
        expectClose(probs(b, s.classes), probs(a, s.classes), 12);
        expect(b.label).toBe(a.label);
        expect(b.effectiveWeights).toEqual(a.effectiveWeights);
      }),
    );
  });

  it.each(['average', 'vote', 'dempster-shafer'] as const)('%s: scaling every weight changes nothing', (rule) => {
    fc.assert(
      fc.property(scenario().filter((s) => rule !== 'dempster-shafer' || defined(s)), fc.double({ min: 1e-3, max: 1e3, noNaN: true }), (s, scale) => {
        const a = one(rule, request(s));
        const b = one(rule, request(s, undefined, s.weights.map((w) => w * scale)));
        expectClose(probs(b, s.classes), probs(a, s.classes), 9);
      }),
    );
  });

  it('should leave the rules that do not list it (max, borda) unchanged, without effectiveWeights', () => {
    fc.assert(
      fc.property(scenario(), fc.constantFrom('max', 'median', 'borda'), (s, rule) => {
        const { options: _, ...plain } = request(s);
        const a = one(rule, request(s));
        expect(a.effectiveWeights).toBeUndefined();
        expect(a).toEqual(one(rule, plain));
      }),
      { numRuns: 50 },
    );
  });

  it('should come from a profile as a default', () => {
    const profile: Profile = { name: 'p', classes: ['a', 'b'], modalities: ['x', 'y'], adaptiveWeights: 'entropy' };
    const r = one('average', { profile: 'p', predictions: { x: { probabilities: [0.5, 0.5] }, y: { probabilities: [0.2, 0.8] } } }, () => ({ profile }));
    expect(r.effectiveWeights!.x).toBe(0);
    expectClose(probs(r, ['a', 'b']), [0.2, 0.8]);
  });
});
