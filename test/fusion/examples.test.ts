import { describe, expect, it } from 'vitest';
import { bordaPoints } from '../../functions/fusion/rules/borda.js';
import { expectClose, one, probs } from './support.js';

const AB = ['A', 'B'];
const two = (p: number[], q: number[]) => ({ classes: AB, predictions: { x: { probabilities: p }, y: { probabilities: q } } });

describe('average (sum rule)', () => {
  it('should average 0.7 and 0.6 into 0.65', () => {
    const r = one('average', two([0.7, 0.3], [0.6, 0.4]));
    expect(r.label).toBe('A');
    expect(r.probabilities.A).toBeCloseTo(0.65, 12);
    expect(r.confidence).toBe(r.probabilities.A);
  });

  it('should give 0.66 with weights 0.6 and 0.4', () => {
    const r = one('average', { ...two([0.7, 0.3], [0.6, 0.4]), weights: { x: 0.6, y: 0.4 } });
    expect(r.probabilities.A).toBeCloseTo(0.66, 12);
  });

  it('should renormalise weights over the modalities present and ignore weights of absent ones', () => {
    const r = one('average', { ...two([0.7, 0.3], [0.6, 0.4]), weights: { x: 3, y: 2, absent: 100 } });
    expect(r.probabilities.A).toBeCloseTo(0.66, 12);
  });

  it("should define contributions as each modality's weighted probability of the label, normalised", () => {
    const r = one('average', two([0.7, 0.3], [0.6, 0.4]));
    expect(r.contributions.x).toBeCloseTo(0.7 / 1.3, 12);
    expect(r.contributions.y).toBeCloseTo(0.6 / 1.3, 12);
  });
});

describe('product (log-linear pooling)', () => {
  it('should multiply and renormalise: 0.7·0.6 against 0.3·0.4', () => {
    const r = one('product', two([0.7, 0.3], [0.6, 0.4]));
    expectClose(probs(r, AB), [0.42 / 0.54, 0.12 / 0.54]);
  });

  it('should define contributions as w_k · p_k,label, normalised', () => {
    const r = one('product', { ...two([0.7, 0.3], [0.6, 0.4]), weights: { x: 2, y: 1 } });
    expect(r.contributions.x).toBeCloseTo(1.4 / 2, 12);
    expect(r.contributions.y).toBeCloseTo(0.6 / 2, 12);
  });

  it('should use weights as exponents, not renormalised', () => {
    const r = one('product', { ...two([0.7, 0.3], [0.6, 0.4]), weights: { x: 0.5, y: 0.5 } });
    const a = Math.sqrt(0.42);
    const b = Math.sqrt(0.12);
    expectClose(probs(r, AB), [a / (a + b), b / (a + b)]);
    const doubled = one('product', { ...two([0.7, 0.3], [0.6, 0.4]), weights: { x: 2, y: 2 } });
    expectClose(probs(doubled, AB), [0.42 ** 2 / (0.42 ** 2 + 0.12 ** 2), 0.12 ** 2 / (0.42 ** 2 + 0.12 ** 2)]);
  });

  it("should apply Kittler's prior correction prior^(1−K): two modalities leaning to the common class can favour the rare one", () => {
    // Each modality says 0.6 for A only because A is common (prior 0.8). f ∝ prior^(−1)·p1·p2 = [0.36/0.8, 0.16/0.2] = [0.45, 0.8].
    const r = one('product', { ...two([0.6, 0.4], [0.6, 0.4]), options: { priors: [0.8, 0.2] } });
    expect(r.label).toBe('B');
    expectClose(probs(r, AB), [0.45 / 1.25, 0.8 / 1.25]);
  });

  it('should leave the prior out when the weights sum to 1 (one modality, or weights 0.5 + 0.5)', () => {
    const r = one('product', { classes: AB, predictions: { x: { probabilities: [0.6, 0.4] } }, options: { priors: [0.8, 0.2] } });
    expectClose(probs(r, AB), [0.6, 0.4]);
  });

  it('should floor zero probabilities at epsilon so that one zero vetoes without producing NaN', () => {
    const r = one('product', { ...two([1, 0], [0.2, 0.8]), options: { epsilon: 1e-6 } });
    expect(r.label).toBe('A');
    expect(r.probabilities.B).toBeCloseTo((1e-6 * 0.8) / (0.2 + 1e-6 * 0.8), 12);
  });

  it('should stay finite for extreme weights', () => {
    const r = one('product', { ...two([0.7, 0.3], [0.4, 0.6]), weights: { x: 1e300, y: 1e300 } });
    expectClose(probs(r, AB), [1, 0]);
  });
});

describe('max, min and median', () => {
  it('should take per-class maxima and minima, then renormalise, and say they are unweighted', () => {
    const mx = one('max', { ...two([0.7, 0.3], [0.2, 0.8]), weights: { x: 100, y: 1 } });
    expectClose(probs(mx, AB), [0.7 / 1.5, 0.8 / 1.5]);
    expect(mx.weighted).toBe(false);
    const mn = one('min', two([0.7, 0.3], [0.2, 0.8]));
    expectClose(probs(mn, AB), [0.2 / 0.5, 0.3 / 0.5]);
    expect(mn.label).toBe('B');
    expect(mn.contributions.x).toBeCloseTo(0.3 / 1.1, 12); // p_k,label over the sum, weights ignored
  });

  it('should take the mean of the two middle values as the median of an even count', () => {
    const predictions = { a: { probabilities: [0.9, 0.1] }, b: { probabilities: [0.7, 0.3] }, c: { probabilities: [0.4, 0.6] }, d: { probabilities: [0.2, 0.8] } };
    const r = one('median', { classes: AB, predictions });
    expectClose(probs(r, AB), [0.55, 0.45]);
  });

  it('should take the median of many modalities (18: the mean of the 9th and 10th values)', () => {
    const a = [0.9, 0.1, 0.85, 0.15, 0.8, 0.2, 0.75, 0.25, 0.7, 0.3, 0.65, 0.35, 0.6, 0.4, 0.55, 0.45, 0.52, 0.48];
    const predictions = Object.fromEntries(a.map((x, k) => [`m${k}`, { probabilities: [x, 1 - x] }]));
    const r = one('median', { classes: AB, predictions });
    // Sorted, the 9th and 10th values of a are 0.48 and 0.52, and the same holds for 1 − a.
    expectClose(probs(r, AB), [0.5, 0.5]);
    const skewed = one('median', { classes: AB, predictions: { ...predictions, m16: { probabilities: [0.58, 0.42] }, m17: { probabilities: [0.57, 0.43] } } });
    expectClose(probs(skewed, AB), [0.56, 0.44]); // A: mean of 0.55 and 0.57; B: mean of 0.43 and 0.45
  });

  it('should ignore one outlier with an odd count', () => {
    const predictions = { a: { probabilities: [0.8, 0.2] }, b: { probabilities: [0.7, 0.3] }, c: { probabilities: [0, 1] } };
    const r = one('median', { classes: AB, predictions });
    expectClose(probs(r, AB), [0.7, 0.3]);
  });
});

describe('vote', () => {
  const ABC = { classes: ['A', 'B', 'C'] };
  it('should elect A from votes A, A, B and count the votes', () => {
    const r = one('vote', { ...ABC, predictions: { x: { label: 'A' }, y: { probabilities: [0.6, 0.3, 0.1] }, z: { label: 'B', confidence: 0.9 } } });
    expect(r.label).toBe('A');
    expectClose(probs(r, ABC.classes), [2 / 3, 1 / 3, 0]);
    expect(r.votes).toEqual({ A: 2, B: 1 });
    expect(r.contributions).toEqual({ x: 0.5, y: 0.5, z: 0 });
  });

  it('should weigh ballots by the renormalised weights', () => {
    const r = one('vote', { ...ABC, predictions: { x: { label: 'A' }, y: { label: 'A' }, z: { label: 'B' } }, weights: { z: 3 } });
    expect(r.label).toBe('B');
    expect(r.probabilities.B).toBeCloseTo(0.6, 12);
  });

  it('should multiply ballots by the confidence (given, else the largest probability) in confidence mode', () => {
    const predictions = { x: { label: 'A', confidence: 0.6 }, y: { probabilities: [0.5, 0.3, 0.2] }, z: { label: 'B', confidence: 0.9 } };
    const hard = one('vote', { ...ABC, predictions });
    expect(hard.label).toBe('A');
    const soft = one('vote', { ...ABC, predictions, options: { mode: 'confidence' } });
    expectClose(probs(soft, ABC.classes), [1.1 / 2, 0.9 / 2, 0]);
  });

  it('should vote for the first class when a modality’s probabilities tie', () => {
    const r = one('vote', { classes: AB, predictions: { x: { probabilities: [0.5, 0.5] } } });
    expect(r.votes).toEqual({ A: 1 });
  });
});

describe('borda', () => {
  it('should give C−1 … 0 points and let tied classes share the mean of their points', () => {
    expectClose([...bordaPoints(Float64Array.of(0.4, 0.3, 0.2, 0.1))], [3, 2, 1, 0]);
    expectClose([...bordaPoints(Float64Array.of(0.1, 0.4, 0.4, 0.1))], [0.5, 2.5, 2.5, 0.5]);
    expectClose([...bordaPoints(Float64Array.of(0.25, 0.25, 0.25, 0.25))], [1.5, 1.5, 1.5, 1.5]);
  });

  it('should sum the points of all modalities (a 3.5, b 4.5, c 3.5, d 0.5) and normalise', () => {
    const classes = ['a', 'b', 'c', 'd'];
    const r = one('borda', { classes, predictions: { x: { probabilities: [0.4, 0.3, 0.2, 0.1] }, y: { probabilities: [0.1, 0.4, 0.4, 0.1] } } });
    expectClose(probs(r, classes), [3.5 / 12, 4.5 / 12, 3.5 / 12, 0.5 / 12]);
    expect(r.label).toBe('b');
    expect(r.contributions.x).toBeCloseTo(2 / 4.5, 12);
  });
});

describe('inputs', () => {
  it('should read probabilities given as an object keyed by class exactly like an array', () => {
    const a = one('average', { classes: ['n', 'p'], predictions: { x: { probabilities: [0.2, 0.8] } } });
    const b = one('average', { classes: ['n', 'p'], predictions: { x: { probabilities: { p: 0.8, n: 0.2 } } } });
    expect(b.probabilities).toEqual(a.probabilities);
  });

  it('should find labels and probability keys in long class lists', () => {
    const classes = Array.from({ length: 40 }, (_, i) => `c${i}`);
    const keyed = Object.fromEntries(classes.map((c, i) => [c, i === 33 ? 0.61 : 0.01]));
    const r = one('vote', { classes, predictions: { x: { label: 'c37' }, y: { label: 'c37', confidence: 0.5 }, z: { probabilities: keyed } } });
    expect(r.votes).toEqual({ c37: 2, c33: 1 });
    expect(r.label).toBe('c37');
  });

  it('should renormalise probabilities that sum to 1 within 1e-3 exactly', () => {
    const r = one('average', { classes: AB, predictions: { x: { probabilities: [0.3, 0.7005] } } });
    expectClose(probs(r, AB), [0.3 / 1.0005, 0.7005 / 1.0005], 15);
  });

  it('should apply softmax to logits', () => {
    const r = one('average', { classes: AB, predictions: { x: { logits: [0, Math.log(3)] } } });
    expectClose(probs(r, AB), [0.25, 0.75]);
  });

  it('should spread 1 − confidence over the other classes of a label', () => {
    const r = one('average', { classes: ['a', 'b', 'c'], predictions: { x: { label: 'b', confidence: 0.7 } } });
    expectClose(probs(r, ['a', 'b', 'c']), [0.15, 0.7, 0.15]);
    const sure = one('average', { classes: ['a', 'b', 'c'], predictions: { x: { label: 'c' } } });
    expectClose(probs(sure, ['a', 'b', 'c']), [0, 0, 1]);
  });

  it('should calibrate with temperatures: p^(1/T) for probabilities, softmax(z/T) for logits', () => {
    const p = one('average', { classes: AB, predictions: { x: { probabilities: [0.2, 0.8] } }, options: { temperatures: { x: 0.5 } } });
    expectClose(probs(p, AB), [0.04 / 0.68, 0.64 / 0.68]);
    const z = one('average', { classes: AB, predictions: { x: { logits: [0, 1000] } }, options: { temperatures: { x: 1000 } } });
    expectClose(probs(z, AB), [1 / (1 + Math.E), Math.E / (1 + Math.E)]);
  });

  it('should echo the id and report expected modalities that are missing', () => {
    const r = one('average', { id: 'req-7', classes: AB, modalities: ['x', 'y', 'z'], predictions: { x: { probabilities: [0.5, 0.5] }, y: { label: 'B' } } });
    expect(r.id).toBe('req-7');
    expect(r.modalities).toEqual({ used: ['x', 'y'], missing: ['z'] });
  });

  it('should accept modality and class names that are also Object.prototype members', () => {
    const predictions = { constructor: { probabilities: { toString: 0.9, constructor: 0.1 } } };
    const r = one('vote', { classes: ['constructor', 'toString'], predictions, weights: { other: 1 }, options: { temperatures: { other: 2 } } });
    expect(r.label).toBe('toString');
    expect(r.votes).toEqual({ toString: 1 });
    expect(r.contributions).toEqual({ constructor: 1 });
  });
});

describe('tie-break', () => {
  // Votes A and B tie at 0.5; the plain average of the probabilities favours B (0.675 against 0.325).
  const tied = { classes: AB, predictions: { x: { probabilities: [0.55, 0.45] }, y: { probabilities: [0.1, 0.9] } } };

  it('should pick the earliest class by default (first)', () => {
    expect(one('vote', tied).label).toBe('A');
    expect(one('vote', { ...tied, options: { tieBreak: 'first' } }).label).toBe('A');
  });

  it('should pick the highest plain average probability with tieBreak "average"', () => {
    expect(one('vote', { ...tied, options: { tieBreak: 'average' } }).label).toBe('B');
  });

  it('should treat values within 1e-12 as tied', () => {
    const near = { classes: AB, predictions: { x: { probabilities: [0.5 - 1e-13, 0.5 + 1e-13] } } };
    expect(one('average', near).label).toBe('A');
    const apart = { classes: AB, predictions: { x: { probabilities: [0.5 - 1e-9, 0.5 + 1e-9] } } };
    expect(one('average', apart).label).toBe('B');
  });

  it('should fall back to the earliest class when the averages tie too', () => {
    const r = one('vote', { classes: ['a', 'b', 'c'], predictions: { x: { label: 'c' }, y: { label: 'b' } }, options: { tieBreak: 'average' } });
    expect(r.label).toBe('b');
  });
});
