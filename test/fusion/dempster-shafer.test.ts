import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Prediction, toProblem } from '../../functions/fusion/index.js';
import { expectClose, failure, many, one, probs } from './support.js';

const classNames = (C: number) => Array.from({ length: C }, (_, c) => `c${c}`);

/** A distribution from small integers: exact zeros and ties are common. */
const distribution = (C: number) =>
  fc.array(fc.integer({ min: 0, max: 20 }), { minLength: C, maxLength: C }).filter((v) => v.some((x) => x > 0)).map((v) => {
    const s = v.reduce((a, b) => a + b, 0);
    return v.map((x) => x / s);
  });

const prediction = (C: number): fc.Arbitrary<Prediction> =>
  fc.oneof(
    distribution(C).map((probabilities) => ({ probabilities })),
    fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: C, maxLength: C }).map((logits) => ({ logits })),
    fc.record({ label: fc.integer({ min: 0, max: C - 1 }).map((c) => `c${c}`), confidence: fc.double({ min: 0, max: 1, noNaN: true }) }),
  );

interface Scenario {
  classes: string[];
  predictions: Record<string, Prediction>;
  weights: Record<string, number>;
}

const scenario = (pred = prediction, kMin = 1, kMax = 5): fc.Arbitrary<Scenario> =>
  fc.record({ C: fc.integer({ min: 2, max: 6 }), K: fc.integer({ min: kMin, max: kMax }) }).chain(({ C, K }) =>
    fc.record({
      classes: fc.constant(classNames(C)),
      predictions: fc.array(pred(C), { minLength: K, maxLength: K }).map((ps) => Object.fromEntries(ps.map((p, k) => [`m${k}`, p]))),
      weights: fc.array(fc.double({ min: 0.01, max: 10, noNaN: true }), { minLength: K, maxLength: K }).map((ws) => Object.fromEntries(ws.map((w, k) => [`m${k}`, w]))),
    }),
  );

/** A mass function as a map from focal set (sorted class indices joined by ",", or "Θ") to mass. */
type Mass = Map<string, number>;

/** The mass function of a prediction, written from the definitions, independently of the core. */
function massOf(p: Prediction, classes: string[]): Mass {
  const m: Mass = new Map();
  if (p.label !== undefined) {
    const g = p.confidence ?? 1;
    m.set(String(classes.indexOf(p.label)), g);
    m.set('Θ', 1 - g);
    return m;
  }
  let d = p.probabilities as number[];
  if (p.logits) {
    const e = p.logits.map((z) => Math.exp(z - Math.max(...p.logits!)));
    d = e.map((x) => x / e.reduce((a, b) => a + b, 0));
  }
  d.forEach((v, c) => m.set(String(c), v));
  return m;
}

const discount = (m: Mass, r: number): Mass => {
  const out: Mass = new Map();
  for (const [A, v] of m) if (A !== 'Θ') out.set(A, r * v);
  out.set('Θ', 1 - r * (1 - (m.get('Θ') ?? 0)));
  return out;
};

/** Unnormalised conjunctive combination of two mass functions, focal set by focal set; conflict goes to "∅". */
function conjunctive(a: Mass, b: Mass): Mass {
  const out: Mass = new Map();
  for (const [A, x] of a)
    for (const [B, y] of b) {
      const meet = A === 'Θ' ? B : B === 'Θ' ? A : A === B ? A : '∅';
      out.set(meet, (out.get(meet) ?? 0) + x * y);
    }
  return out;
}

/** Dempster or Yager combination and the pignistic transform, pairwise: the reference. */
function reference(s: Scenario, combination: 'dempster' | 'yager') {
  const names = Object.keys(s.predictions);
  const max = Math.max(...names.map((m) => s.weights[m]!));
  let q: Mass = new Map([['Θ', 1]]);
  for (const m of names) q = conjunctive(q, discount(massOf(s.predictions[m]!, s.classes), s.weights[m]! / max));
  const K = q.get('∅') ?? 0;
  const C = s.classes.length;
  const single = (c: number) => q.get(String(c)) ?? 0;
  const theta = q.get('Θ') ?? 0;
  const m = combination === 'dempster' ? s.classes.map((_, c) => single(c) / (1 - K)) : s.classes.map((_, c) => single(c));
  const uncommitted = combination === 'dempster' ? theta / (1 - K) : theta + K;
  return { K, uncommitted, betP: m.map((v) => v + uncommitted / C) };
}

const request = (s: Scenario, extra: object = {}) => ({ classes: s.classes, predictions: s.predictions, weights: s.weights, ...extra });

/** Whether Dempster's rule is defined for the scenario (conflict below 1 − 1e-9, kept away from the threshold). */
const defined = (s: Scenario) => reference(s, 'dempster').K < 1 - 1e-9;

describe('dempster-shafer', () => {
  it.each(['dempster', 'yager'] as const)('%s: equals pairwise combination of the discounted mass functions, with conflict and uncommitted mass', (combination) => {
    fc.assert(
      fc.property(scenario().filter((s) => combination === 'yager' || defined(s)), (s) => {
        const r = one('dempster-shafer', request(s, { options: { combination } }));
        const ref = reference(s, combination);
        expectClose(probs(r, s.classes), ref.betP, 9);
        expect(r.conflict).toBeCloseTo(ref.K, 9);
        expect(r.uncommitted).toBeCloseTo(ref.uncommitted, 9);
      }),
    );
  });

  it('should give a distribution (BetP sums to 1) with contributions r_k normalised to sum 1', () => {
    fc.assert(
      fc.property(scenario(), fc.constantFrom('dempster', 'yager'), (s, combination) => {
        if (combination === 'dempster' && !defined(s)) return;
        const r = one('dempster-shafer', request(s, { options: { combination } }));
        const p = probs(r, s.classes);
        for (const v of p) expect(v).toBeGreaterThanOrEqual(0);
        expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
        const total = Object.values(s.weights).reduce((a, b) => a + b, 0);
        for (const m of Object.keys(s.predictions)) expect(r.contributions[m]).toBeCloseTo(s.weights[m]! / total, 12);
      }),
    );
  });

  it('should not change when the modalities are permuted', () => {
    fc.assert(
      fc.property(scenario(prediction, 2).filter(defined), fc.infiniteStream(fc.nat()), (s, picks) => {
        const names = Object.keys(s.predictions);
        const shuffled = [...names].sort(() => (picks.next().value % 2 ? 1 : -1));
        const reordered = { ...s, predictions: Object.fromEntries(shuffled.map((m) => [m, s.predictions[m]!])) };
        const a = one('dempster-shafer', request(s));
        const b = one('dempster-shafer', request(reordered));
        expectClose(probs(b, s.classes), probs(a, s.classes), 12);
        expect(b.label).toBe(a.label);
        expect(b.conflict).toBeCloseTo(a.conflict!, 12);
      }),
    );
  });

  it('should not change when every weight is scaled (reliabilities are w_k / max w)', () => {
    fc.assert(
      fc.property(scenario().filter(defined), fc.double({ min: 1e-3, max: 1e3, noNaN: true }), (s, scale) => {
        const scaled = { ...s, weights: Object.fromEntries(Object.entries(s.weights).map(([m, w]) => [m, w * scale])) };
        expectClose(probs(one('dempster-shafer', request(scaled)), s.classes), probs(one('dempster-shafer', request(s)), s.classes), 9);
      }),
    );
  });

  it("should equal the normalised product rule under Dempster's rule with equal weights and probabilities only", () => {
    const equal = (s: Scenario) => ({ ...s, weights: Object.fromEntries(Object.keys(s.predictions).map((m) => [m, 1])) });
    fc.assert(
      fc.property(scenario((C) => distribution(C).map((probabilities) => ({ probabilities }))).map(equal).filter(defined), (s) => {
        const { classes, predictions } = s;
        const ds = one('dempster-shafer', { classes, predictions });
        // ε far below any product of these probabilities, so the product rule's floor changes nothing.
        const product = one('product', { classes, predictions, options: { epsilon: 1e-300 } });
        expectClose(probs(ds, classes), probs(product, classes), 9);
        expect(ds.uncommitted).toBe(0);
      }),
    );
  });

  it("should agree with Yager's rule when there is no conflict (K = 0)", () => {
    // Every modality supports the same class, as a simple support function or a sure distribution.
    const agreeing = fc.record({ C: fc.integer({ min: 2, max: 6 }), K: fc.integer({ min: 1, max: 5 }) }).chain(({ C, K }) =>
      fc.integer({ min: 0, max: C - 1 }).chain((L) =>
        fc.record({
          classes: fc.constant(classNames(C)),
          predictions: fc
            .array(fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }).map((confidence): Prediction => ({ label: `c${L}`, confidence })), fc.constant<Prediction>({ probabilities: classNames(C).map((_, c) => +(c === L)) })), { minLength: K, maxLength: K })
            .map((ps) => Object.fromEntries(ps.map((p, k) => [`m${k}`, p]))),
          weights: fc.array(fc.double({ min: 0.01, max: 10, noNaN: true }), { minLength: K, maxLength: K }).map((ws) => Object.fromEntries(ws.map((w, k) => [`m${k}`, w]))),
        }),
      ),
    );
    fc.assert(
      fc.property(agreeing, (s) => {
        const d = one('dempster-shafer', request(s));
        const y = one('dempster-shafer', request(s, { options: { combination: 'yager' } }));
        expect(d.conflict).toBe(0);
        expectClose(probs(y, s.classes), probs(d, s.classes), 12);
        expect(y.uncommitted).toBeCloseTo(d.uncommitted!, 12);
      }),
    );
  });

  it('should answer a batch exactly as its items one by one', () => {
    fc.assert(
      fc.property(fc.array(scenario().filter(defined), { minLength: 1, maxLength: 4 }), (scenarios) => {
        const items = scenarios.map((s, i) => ({ id: i, ...request(s) }));
        expect(many('dempster-shafer', { items }).results).toEqual(items.map((item) => one('dempster-shafer', item)));
      }),
      { numRuns: 30 },
    );
  });

  describe('worked examples (docs/core.md)', () => {
    const classes = ['negative', 'neutral', 'positive'];
    const predictions = { text: { probabilities: [0.1, 0.3, 0.6] }, face: { label: 'neutral', confidence: 0.7 } };

    it("should combine a distribution and a label by Dempster's rule", () => {
      // q = (0.1·0.3, 0.3·1, 0.6·0.3) = (0.03, 0.3, 0.18), q(Θ) = 0, K = 0.49.
      const r = one('dempster-shafer', { classes, predictions });
      expectClose(probs(r, classes), [0.03 / 0.51, 0.3 / 0.51, 0.18 / 0.51]);
      expect(r.label).toBe('neutral');
      expect(r.conflict).toBeCloseTo(0.49, 12);
      expect(r.uncommitted).toBe(0);
      expect(r.contributions).toEqual({ text: 0.5, face: 0.5 });
    });

    it("should move the conflict to Θ under Yager's rule", () => {
      const r = one('dempster-shafer', { classes, predictions, options: { combination: 'yager' } });
      expectClose(probs(r, classes), [0.03 + 0.49 / 3, 0.3 + 0.49 / 3, 0.18 + 0.49 / 3]);
      expect(r.uncommitted).toBeCloseTo(0.49, 12);
    });

    it('should discount the less reliable modality by its weight', () => {
      // r_text = 1, r_face = 0.5: face's mass is 0.35 on neutral and 0.65 on Θ.
      // q = (0.1·0.65, 0.3·1, 0.6·0.65) = (0.065, 0.3, 0.39), K = 0.245.
      const r = one('dempster-shafer', { classes, predictions, weights: { text: 1, face: 0.5 } });
      expectClose(probs(r, classes), [0.065 / 0.755, 0.3 / 0.755, 0.39 / 0.755]);
      expect(r.label).toBe('positive');
      expect(r.conflict).toBeCloseTo(0.245, 12);
      expect(r.contributions.text).toBeCloseTo(2 / 3, 12);
    });

    it('should keep uncommitted mass when every modality is a label with confidence below 1', () => {
      // m1 = 0.6 on positive, m2 = 0.5 on negative: q = (0.5·0.4, 0, 0.6·0.5) = (0.2, 0, 0.3), q(Θ) = 0.2, K = 0.3.
      const r = one('dempster-shafer', { classes, predictions: { a: { label: 'positive', confidence: 0.6 }, b: { label: 'negative', confidence: 0.5 } } });
      const u = 0.2 / 0.7;
      expectClose(probs(r, classes), [0.2 / 0.7 + u / 3, u / 3, 0.3 / 0.7 + u / 3]);
      expect(r.uncommitted).toBeCloseTo(u, 12);
    });
  });

  it('should answer 422 total-conflict naming the modalities, and fuse the same input with Yager’s rule', () => {
    const input = { classes: ['a', 'b'], predictions: { left: { probabilities: [1, 0] }, right: { label: 'b' } } };
    const err = failure('dempster-shafer', input);
    const problem = toProblem(err);
    expect(problem.status).toBe(422);
    expect(problem.type).toBe('urn:problem:late-fusion:total-conflict');
    expect(problem.detail).toMatch(/left, right/);
    expect(problem.detail).toMatch(/yager/);
    expect(problem.errors?.[0]?.path).toBe('predictions');
    const r = one('dempster-shafer', { ...input, options: { combination: 'yager' } });
    expect(r.conflict).toBe(1);
    expectClose(probs(r, ['a', 'b']), [0.5, 0.5]);
    // Discounting one modality removes the total conflict.
    expect(one('dempster-shafer', { ...input, weights: { left: 1, right: 0.5 } }).label).toBe('a');
  });

  it('should name the batch item in total conflict', () => {
    const items = [{ predictions: { x: { probabilities: [0.5, 0.5] } } }, { predictions: { left: { probabilities: [1, 0] }, right: { probabilities: [0, 1] } } }];
    const err = failure('dempster-shafer', { classes: ['a', 'b'], items });
    expect(toProblem(err).status).toBe(422);
    expect(err.code).toBe('total-conflict');
    expect(err.message).toMatch(/^items\.1: Total conflict/);
    expect(err.errors[0]!.path).toBe('items.1.predictions');
  });

  it('should reject an unknown combination rule naming the valid ones', () => {
    const err = failure('dempster-shafer', { classes: ['a', 'b'], predictions: { x: { probabilities: [0.5, 0.5] } }, options: { combination: 'murphy' } });
    expect(err.errors).toEqual([{ path: 'options.combination', message: 'combination must be "dempster" or "yager"' }]);
  });
});
