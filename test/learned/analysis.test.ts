import { describe, expect, it } from 'vitest';
import { STRATEGIES } from '../../functions/fusion/index.js';
import { ablation, bootstrap, diversity, evaluate, parseDataset, perClass, pointMetrics, quantile, ruleSubject, score } from '../../functions/fusion/learned/index.js';
import { head, load } from './helpers.js';

const digits = load('digits-3view');
const data = parseDataset(head(digits.testText, 200), digits.profile);
const C = data.classes.length;
const alone = (k: number) => ({ probs: data.examples.map((e) => e.dists[k]!), labels: data.examples.map((e) => e.label) });

describe('bootstrap intervals', () => {
  const { probs, labels } = alone(0);

  it('should sum rows to exactly the metrics score() computes (the identity resample)', () => {
    const m = pointMetrics(probs, labels, C);
    const s = score(probs, labels, C).metrics;
    for (const k of Object.keys(s) as (keyof typeof s)[]) expect(m[k], k).toBeCloseTo(s[k], 12);
  });

  it('should bracket the point estimate, repeat with the same seed and move with another', () => {
    const a = bootstrap(probs, labels, C, { resamples: 200, seed: 1 });
    const s = score(probs, labels, C).metrics;
    for (const k of Object.keys(s) as (keyof typeof s)[]) {
      expect(a[k].low, k).toBeLessThanOrEqual(s[k]);
      expect(a[k].high, k).toBeGreaterThanOrEqual(s[k]);
    }
    expect(bootstrap(probs, labels, C, { resamples: 200, seed: 1 })).toEqual(a);
    expect(bootstrap(probs, labels, C, { resamples: 200, seed: 2 })).not.toEqual(a);
  });

  it('should narrow as the data grows (about 1/√n)', () => {
    const width = (n: number) => {
      const i = bootstrap(probs.slice(0, n), labels.slice(0, n), C, { resamples: 300 }).accuracy;
      return i.high - i.low;
    };
    expect(width(200)).toBeLessThan(width(50));
  });

  it('should interpolate quantiles as numpy does', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([0, 10], 0.025)).toBeCloseTo(0.25, 12);
  });
});

describe('per-class scores', () => {
  it("should match scikit-learn's precision_recall_fscore_support on a worked example", () => {
    // y_true = [0, 0, 1, 1], y_pred = [0, 0, 0, 1]; class 2 never occurs (zero_division=0).
    const s = perClass([[2, 0, 0], [1, 1, 0], [0, 0, 0]]);
    expect(s[0]).toMatchObject({ precision: 2 / 3, recall: 1, support: 2 });
    expect(s[0]!.f1).toBeCloseTo(0.8, 12);
    expect(s[1]).toMatchObject({ precision: 1, recall: 0.5, support: 2 });
    expect(s[1]!.f1).toBeCloseTo(2 / 3, 12);
    expect(s[2]).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
  });
});

describe('diversity', () => {
  const d = diversity(data);

  it('should give each modality with itself correlation 1 and disagreement 0, and be symmetric', () => {
    d.modalities.forEach((_, i) => {
      expect(d.errorCorrelation[i]![i]).toBeCloseTo(1, 12);
      expect(d.disagreement[i]![i]).toBe(0);
      d.modalities.forEach((_, j) => expect(d.disagreement[i]![j]).toBe(d.disagreement[j]![i]));
    });
  });

  it('should count disagreement as the share of rows whose top classes differ', () => {
    const top = (k: number) => data.examples.map((e) => e.dists[k]!.indexOf(Math.max(...e.dists[k]!)));
    const [a, b] = [top(0), top(1)];
    expect(d.disagreement[0]![1]).toBeCloseTo(a.filter((x, i) => x !== b[i]).length / a.length, 12);
    expect(d.rows[0]![1]).toBe(200);
  });
});

describe('modality ablation', () => {
  const rows = ablation(data, digits.profile, [ruleSubject(STRATEGIES.average), ruleSubject(STRATEGIES.vote)]);

  it('should score a rule with only one modality kept as that modality alone', () => {
    data.modalities.forEach((m, k) => {
      const s = score(alone(k).probs, alone(k).labels, C).metrics;
      expect(rows[0]!.only[m]!.accuracy).toBeCloseTo(s.accuracy, 12);
      expect(rows[0]!.only[m]!.logLoss).toBeCloseTo(s.logLoss, 12);
    });
  });

  it('should score a rule without a modality as the rule on a profile that never had it', () => {
    const profile = { ...digits.profile, modalities: ['top', 'bottom'] };
    const text = head(digits.testText, 200).split('\n').map((l) => {
      const line = JSON.parse(l);
      delete line.predictions.profile;
      return JSON.stringify(line);
    });
    const ev = evaluate(parseDataset(text.join('\n'), profile), profile);
    expect(rows[0]!.without.profile!.accuracy).toBeCloseTo(ev.entries.find((e) => e.name === 'average')!.metrics.accuracy, 12);
    expect(rows[1]!.without.profile!.logLoss).toBeCloseTo(ev.entries.find((e) => e.name === 'vote')!.metrics.logLoss, 12);
  });
});
