import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FusionResponse, Prediction } from '../../functions/fusion/index.js';
import { bordaPoints } from '../../functions/fusion/rules/borda.js';
import { FIXED, type Fixed, many, one, probs } from './support.js';

interface Scenario {
  classes: string[];
  names: string[];
  predictions: Prediction[];
  weights: number[];
}

const classNames = (C: number) => Array.from({ length: C }, (_, c) => `c${c}`);

/** A distribution over C classes from small integers: exact ties and zeros are common. */
const distribution = (C: number) =>
  fc.array(fc.integer({ min: 0, max: 20 }), { minLength: C, maxLength: C }).filter((v) => v.some((x) => x > 0)).map((v) => {
    const s = v.reduce((a, b) => a + b, 0);
    return v.map((x) => x / s);
  });

const prediction = (C: number): fc.Arbitrary<Prediction> =>
  fc.oneof(
    distribution(C).map((probabilities) => ({ probabilities })),
    fc.array(fc.double({ min: -20, max: 20, noNaN: true }), { minLength: C, maxLength: C }).map((logits) => ({ logits })),
    fc.record({ label: fc.integer({ min: 0, max: C - 1 }).map((c) => `c${c}`), confidence: fc.double({ min: 0, max: 1, noNaN: true }) }),
  );

const scenario = (kMin = 1, kMax = 5, pred = prediction): fc.Arbitrary<Scenario> =>
  fc.record({ C: fc.integer({ min: 2, max: 6 }), K: fc.integer({ min: kMin, max: kMax }) }).chain(({ C, K }) =>
    fc.record({
      classes: fc.constant(classNames(C)),
      names: fc.constant(Array.from({ length: K }, (_, k) => `m${k}`)),
      predictions: fc.array(pred(C), { minLength: K, maxLength: K }),
      weights: fc.array(fc.double({ min: 0.01, max: 10, noNaN: true }), { minLength: K, maxLength: K }),
    }),
  );

/** The request of a scenario with modalities in the given order. */
function request(s: Scenario, order = s.names.map((_, k) => k), extra: Record<string, unknown> = {}) {
  const predictions: Record<string, Prediction> = {};
  const weights: Record<string, number> = {};
  for (const k of order) {
    predictions[s.names[k]!] = s.predictions[k]!;
    weights[s.names[k]!] = s.weights[k]!;
  }
  return { classes: s.classes, predictions, weights, ...extra };
}

/** The calibrated distribution a prediction stands for, computed independently of the core. */
function own(p: Prediction, classes: string[]): number[] {
  if (p.logits) {
    const m = Math.max(...p.logits);
    const e = p.logits.map((z) => Math.exp(z - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / s);
  }
  if (p.label !== undefined) {
    const conf = p.confidence ?? 1;
    return classes.map((c) => (c === p.label ? conf : (1 - conf) / (classes.length - 1)));
  }
  return p.probabilities as number[];
}

function expectSame(a: FusionResponse, b: FusionResponse, classes: string[], tolerance = 1e-12): void {
  probs(a, classes).forEach((v, i) => expect(Math.abs(v - probs(b, classes)[i]!)).toBeLessThan(tolerance));
  expect(a.label).toBe(b.label);
}

const options = fc.record({ mode: fc.constantFrom('hard', 'confidence'), tieBreak: fc.constantFrom('first', 'average') }, { requiredKeys: [] });

describe('laws every fixed rule keeps', () => {
  it.each(FIXED)('%s: the output is a distribution, the label its argmax, contributions sum to 1 over the used modalities', (rule) => {
    fc.assert(
      fc.property(scenario(), options, (s, opts) => {
        const r = one(rule, request(s, undefined, { options: opts }));
        const p = probs(r, s.classes);
        for (const v of p) expect(v >= 0 && v <= 1 + 1e-12).toBe(true);
        expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
        expect(Math.max(...p) - r.confidence).toBeLessThanOrEqual(1e-12);
        expect(r.confidence).toBe(r.probabilities[r.label]);
        const shares = Object.values(r.contributions);
        expect(Object.keys(r.contributions)).toEqual(s.names);
        for (const v of shares) expect(v).toBeGreaterThanOrEqual(0);
        expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
        expect(r.modalities).toEqual({ used: s.names, missing: [] });
      }),
    );
  });

  it.each(FIXED)('%s: permuting the modalities changes nothing', (rule) => {
    fc.assert(
      fc.property(
        scenario(2).chain((s) => fc.tuple(fc.constant(s), fc.shuffledSubarray(s.names.map((_, k) => k), { minLength: s.names.length }))),
        options,
        ([s, order], opts) => {
          const a = one(rule, request(s, undefined, { options: opts }));
          const b = one(rule, request(s, order, { options: opts }));
          expectSame(a, b, s.classes);
          for (const m of s.names) expect(Math.abs(a.contributions[m]! - b.contributions[m]!)).toBeLessThan(1e-12);
        },
      ),
    );
  });

  it.each(['average', 'product', 'max', 'min', 'median'] as Fixed[])('%s: one modality alone returns its own distribution', (rule) => {
    fc.assert(
      fc.property(scenario(1, 1), (s) => {
        // The product rule uses weights as exponents, so only the default weight 1 leaves p unchanged.
        const input = rule === 'product' ? { classes: s.classes, predictions: { m0: s.predictions[0]! } } : request(s);
        const r = one(rule, input);
        const expected = own(s.predictions[0]!, s.classes);
        probs(r, s.classes).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 9));
        expect(r.contributions).toEqual({ m0: 1 });
      }),
    );
  });

  it.each(['average', 'vote', 'borda'] as Fixed[])('%s: scaling all weights changes nothing', (rule) => {
    fc.assert(
      fc.property(scenario(), fc.double({ min: 1e-3, max: 1e3, noNaN: true }), options, (s, scale, opts) => {
        const a = one(rule, request(s, undefined, { options: opts }));
        const b = one(rule, request({ ...s, weights: s.weights.map((w) => w * scale) }, undefined, { options: opts }));
        expectSame(a, b, s.classes, 1e-9);
      }),
    );
  });

  it.each(['average', 'max', 'min', 'median', 'product'] as Fixed[])('%s: an all-equal input is a fixed point', (rule) => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 6 }).chain((C) => fc.tuple(fc.constant(C), distribution(C), fc.integer({ min: 1, max: 6 }))), ([C, p, K]) => {
        const classes = classNames(C);
        const predictions = Object.fromEntries(Array.from({ length: K }, (_, k) => [`m${k}`, { probabilities: p }]));
        // Log-linear pooling keeps p when the exponents sum to 1.
        const weights = Object.fromEntries(Object.keys(predictions).map((m) => [m, rule === 'product' ? 1 / K : 1]));
        probs(one(rule, { classes, predictions, weights }), classes).forEach((v, i) => expect(v).toBeCloseTo(p[i]!, 9));
      }),
    );
  });

  it.each(FIXED)('%s: uniform inputs give a uniform output (vote: everyone votes the first class)', (rule) => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 8 }), fc.integer({ min: 1, max: 6 }), (C, K) => {
        const classes = classNames(C);
        const predictions = Object.fromEntries(Array.from({ length: K }, (_, k) => [`m${k}`, { probabilities: classes.map(() => 1 / C) }]));
        const r = one(rule, { classes, predictions });
        const expected = rule === 'vote' ? classes.map((_, c) => (c === 0 ? 1 : 0)) : classes.map(() => 1 / C);
        probs(r, classes).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 12));
        expect(r.label).toBe('c0');
      }),
    );
  });

  it.each(['average', 'product', 'vote', 'borda'] as Fixed[])('%s: adding a modality with weight 0 changes nothing', (rule) => {
    fc.assert(
      fc.property(scenario(1, 4).chain((s) => fc.tuple(fc.constant(s), prediction(s.classes.length))), options, ([s, extra], opts) => {
        const base = request(s, undefined, { options: opts });
        const a = one(rule, base);
        const b = one(rule, { ...base, predictions: { ...base.predictions, zero: extra }, weights: { ...base.weights, zero: 0 } });
        expectSame(a, b, s.classes);
        expect(b.contributions.zero).toBe(0);
        for (const m of s.names) expect(Math.abs(a.contributions[m]! - b.contributions[m]!)).toBeLessThan(1e-12);
        expect(b.votes).toEqual(a.votes);
      }),
    );
  });

  it.each(FIXED)('%s: a batch answers exactly what its items answer one by one', (rule) => {
    fc.assert(
      fc.property(fc.array(scenario(), { minLength: 1, maxLength: 4 }), (scenarios) => {
        const items = scenarios.map((s, i) => ({ id: i, ...request(s) }));
        expect(many(rule, { items }).results).toEqual(items.map((item) => one(rule, item)));
      }),
      { numRuns: 30 },
    );
  });
});

/** Few or many values, with exact ties (small integers) mixed with distinct ones. */
const values = (minLength: number, maxLength: number) =>
  fc.array(fc.oneof(fc.integer({ min: 0, max: 5 }), fc.double({ min: 0, max: 1, noNaN: true })), { minLength, maxLength, size: 'max' });

describe('rule internals', () => {
  it('should give borda points equal to the mean of the positions each group of tied classes occupies', () => {
    fc.assert(
      fc.property(fc.oneof(values(2, 16), values(17, 300)), (values) => {
        const C = values.length;
        const sorted = [...values].sort((a, b) => b - a);
        const expected = values.map((v) => {
          const positions = sorted.flatMap((x, i) => (x === v ? [C - 1 - i] : []));
          return positions.reduce((a, b) => a + b, 0) / positions.length;
        });
        expect([...bordaPoints(Float64Array.from(values))]).toEqual(expected);
      }),
    );
  });

  it('should compute the product rule in log space exactly like the direct product', () => {
    fc.assert(
      fc.property(scenario(1, 3, (C) => distribution(C).map((probabilities) => ({ probabilities }))), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 3, maxLength: 3 }), (s, ws) => {
        const weights = s.weights.map((_, k) => ws[k]!);
        const direct = s.classes.map((_, c) => s.predictions.reduce((acc, p, k) => acc * Math.max((p.probabilities as number[])[c]!, 1e-12) ** weights[k]!, 1));
        const total = direct.reduce((a, b) => a + b, 0);
        const r = one('product', request({ ...s, weights }));
        probs(r, s.classes).forEach((v, i) => expect(v).toBeCloseTo(direct[i]! / total, 9));
      }),
    );
  });
});
