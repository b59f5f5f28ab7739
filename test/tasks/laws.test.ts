import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuse, toProblem } from '../../functions/fusion/index.js';
import type { MultilabelResponse } from '../../functions/fusion/tasks/multilabel.js';
import type { RegressionResponse } from '../../functions/fusion/tasks/regression.js';

const names = (K: number) => Array.from({ length: K }, (_, k) => `m${k}`);
const value = fc.double({ min: -1e6, max: 1e6, noNaN: true });
const weight = fc.double({ min: 0.01, max: 100, noNaN: true });
const regression = (s: string, r: object) => fuse(s, { task: 'regression', ...r }) as RegressionResponse;
const multilabel = (s: string, r: object) => fuse(s, { task: 'multilabel', ...r }) as MultilabelResponse;

describe('regression laws', () => {
  it('inverse-variance equals the average when all stds are equal (same weights)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }).chain((K) => fc.tuple(fc.array(value, { minLength: K, maxLength: K }), fc.array(weight, { minLength: K, maxLength: K }))), fc.double({ min: 1e-3, max: 1e3, noNaN: true }), ([values, weights], std) => {
        const ms = names(values.length);
        const req = { predictions: Object.fromEntries(ms.map((m, k) => [m, { value: values[k]!, std }])), weights: Object.fromEntries(ms.map((m, k) => [m, weights[k]!])) };
        const iv = regression('inverse-variance', req);
        const avg = regression('average', req);
        expect(iv.value).toBeCloseTo(avg.value, 6);
        // std = sqrt(1 / Σ w_k / std²) = std / sqrt(Σ w_k)
        expect(iv.std! / (std / Math.sqrt(weights.reduce((a, b) => a + b, 0)))).toBeCloseTo(1, 10);
      }),
    );
  });

  it('inverse-variance with default weights has the classical std sqrt(1 / Σ 1/std²), no larger than any std', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(value, fc.double({ min: 1e-3, max: 1e3, noNaN: true })), { minLength: 1, maxLength: 8 }), (pairs) => {
        const ms = names(pairs.length);
        const r = regression('inverse-variance', { predictions: Object.fromEntries(ms.map((m, k) => [m, { value: pairs[k]![0], std: pairs[k]![1] }])) });
        const classical = Math.sqrt(1 / pairs.reduce((a, [, s]) => a + 1 / (s * s), 0));
        expect(r.std! / classical).toBeCloseTo(1, 10);
        expect(r.std!).toBeLessThanOrEqual(Math.min(...pairs.map(([, s]) => s)) * (1 + 1e-12));
      }),
    );
  });

  it('the median is permutation invariant', () => {
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 9 }).chain((v) => fc.tuple(fc.constant(v), fc.shuffledSubarray(v.map((_, i) => i), { minLength: v.length, maxLength: v.length }))), ([values, order]) => {
        const ms = names(values.length);
        const a = regression('median', { predictions: Object.fromEntries(ms.map((m, k) => [m, { value: values[k]! }])) });
        const b = regression('median', { predictions: Object.fromEntries(order.map((i, k) => [ms[k]!, { value: values[i]! }])) });
        expect(b.value).toBe(a.value);
      }),
    );
  });

  it('the average lies between the smallest and the largest value', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(value, weight), { minLength: 1, maxLength: 8 }), (pairs) => {
        const ms = names(pairs.length);
        const r = regression('average', { predictions: Object.fromEntries(ms.map((m, k) => [m, { value: pairs[k]![0] }])), weights: Object.fromEntries(ms.map((m, k) => [m, pairs[k]![1]])) });
        const vs = pairs.map(([v]) => v);
        expect(r.value).toBeGreaterThanOrEqual(Math.min(...vs) - 1e-6);
        expect(r.value).toBeLessThanOrEqual(Math.max(...vs) + 1e-6);
      }),
    );
  });
});

describe('multi-label laws', () => {
  const score = fc.double({ min: 1e-6, max: 1 - 1e-6, noNaN: true });
  it('the product with one modality of weight 1 is the identity', () => {
    fc.assert(
      fc.property(fc.array(score, { minLength: 1, maxLength: 10 }), (scores) => {
        const labels = scores.map((_, l) => `l${l}`);
        const r = multilabel('product', { labels, predictions: { only: { scores } }, weights: { only: 1 } });
        labels.forEach((l, i) => expect(r.scores[l]).toBeCloseTo(scores[i]!, 12));
      }),
    );
  });

  it('every per-label rule is permutation invariant in the modalities and stays in [0, 1]', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('average', 'product', 'max', 'min', 'median', 'vote'),
        fc.integer({ min: 1, max: 5 }).chain((L) => fc.array(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: L, maxLength: L }), { minLength: 1, maxLength: 5 })),
        (strategy, rows) => {
          const labels = rows[0]!.map((_, l) => `l${l}`);
          const ms = names(rows.length);
          const a = multilabel(strategy, { labels, predictions: Object.fromEntries(ms.map((m, k) => [m, { scores: rows[k]! }])) });
          const b = multilabel(strategy, { labels, predictions: Object.fromEntries([...ms].reverse().map((m, k) => [m, { scores: rows[rows.length - 1 - k]! }])) });
          labels.forEach((l) => {
            expect(b.scores[l]).toBeCloseTo(a.scores[l]!, 12);
            expect(a.scores[l]).toBeGreaterThanOrEqual(0);
            expect(a.scores[l]).toBeLessThanOrEqual(1);
          });
        },
      ),
    );
  });
});

describe('bounded input', () => {
  it('answers any JSON with a task either with a decision or a 4xx problem, never a crash', () => {
    const anyJson = fc.jsonValue({ maxDepth: 4 });
    const request = fc.record(
      {
        task: fc.constantFrom('regression', 'multilabel', 'classification', 'nope'),
        labels: fc.oneof(fc.array(fc.constantFrom('a', 'b', '__proto__', ''), { maxLength: 3 }), anyJson),
        predictions: fc.oneof(
          fc.dictionary(fc.constantFrom('x', 'y', '__proto__', ''), fc.oneof(fc.record({ value: fc.double() }), fc.record({ scores: fc.array(fc.double(), { maxLength: 3 }) }), anyJson), { maxKeys: 3 }),
          anyJson,
        ),
        weights: anyJson,
        options: anyJson,
        items: fc.array(anyJson, { maxLength: 3 }),
      },
      { requiredKeys: ['task'] },
    );
    fc.assert(
      fc.property(request, fc.constantFrom('average', 'median', 'inverse-variance', 'product', 'learned', 'borda'), (r, s) => {
        try {
          fuse(s, r);
        } catch (e) {
          expect(toProblem(e).status).toBeLessThan(500);
        }
      }),
      { numRuns: 400, seed: 17 },
    );
  });
});
