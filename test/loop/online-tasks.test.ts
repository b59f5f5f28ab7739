import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { DecisionLine } from '../../functions/fusion/loop/decision-log.js';
import type { FeedbackLine } from '../../functions/fusion/loop/feedback.js';
import { onlineMonitor } from '../../functions/fusion/loop/online.js';
import { multilabelMonitor } from '../../functions/fusion/loop/online-multilabel.js';
import { MAX_POINTS, regressionMonitor } from '../../functions/fusion/loop/online-regression.js';
import { expectedMultilabel, expectedRegression, multilabelDecisions, multilabelFeedback, multilabelProfile, regressionDecisions, regressionFeedback, regressionProfile, today, yesterday } from './synthetic-task-log.js';

const asLines = (rows: unknown[]) => rows as DecisionLine[];
const asFeedback = (rows: unknown[]) => rows as FeedbackLine[];
const closeTo = (actual: object, expected: Record<string, number | null>, digits = 12) => {
  const got = actual as Record<string, unknown>;
  for (const [k, v] of Object.entries(expected)) {
    if (v === null) expect(got[k], k).toBeNull();
    else expect(got[k], k).toBeCloseTo(v, digits);
  }
};
const reg = { name: 'prices', task: 'regression' as const, modalities: regressionProfile.modalities };
const ml = { name: 'tags', task: 'multilabel' as const, labels: multilabelProfile.labels, modalities: multilabelProfile.modalities };

describe('online regression scores (a worked example)', () => {
  const { summary } = regressionMonitor(asLines(regressionDecisions), asFeedback(regressionFeedback), reg);

  it('should score the answers with MAE, RMSE, R², bias, the 90% interval coverage and the Gaussian NLL', () => {
    expect(summary).toMatchObject({ task: 'regression', decisions: 5, labelled: 4, unknownLabels: 0 });
    closeTo(summary.byStrategy.average!, expectedRegression.average);
  });

  it('should score each modality alone on its own value and std', () => {
    closeTo(summary.byModality.a!, expectedRegression.a);
    closeTo(summary.byModality.b!, expectedRegression.b);
  });

  it('should count, never score, lines of another task and feedback of another kind', () => {
    expect(summary.otherTasks).toEqual({ classification: 1 });
    expect(summary.mismatchedFeedback).toEqual({ 'labels for regression': 1, 'label for regression': 1 });
  });

  it('should compare the variants and give missing rates per day and the modalities’ label-free statistics', () => {
    expect(summary.byVariant.primary).toMatchObject({ decisions: 4, rows: 3 });
    expect(summary.byVariant.canary).toMatchObject({ decisions: 1, rows: 1, mae: 1 });
    expect(summary.missingByDay).toEqual([
      { day: yesterday, decisions: 2, missingRate: { a: 0, b: 0 } },
      { day: today, decisions: 3, missingRate: { a: 0, b: 1 / 3 } },
    ]);
    expect(summary.drift.b).toMatchObject({ decisions: 5, missingRate: 0.2, meanStd: null, meanAbsDeviation: 3 / 4 });
    expect(summary.drift.a!.meanValue).toBeCloseTo((9 + 4 + 18 + 1 + 7) / 5, 12);
  });

  it('should keep at most MAX_POINTS evenly spaced points per source for the chart', () => {
    const many = Array.from({ length: 2 * MAX_POINTS + 7 }, (_, i) => ({ ...regressionDecisions[1]!, decisionId: `n${i}`, output: { value: i } }));
    const { charts } = regressionMonitor(asLines(many), asFeedback(many.map((d, i) => ({ type: 'feedback', decisionId: d.decisionId, value: i + 1, source: 's', receivedAt: 'x' }))), reg);
    const average = charts.points.filter((p) => p.source === 'average');
    expect(average).toHaveLength(MAX_POINTS);
    expect(average[0]).toMatchObject({ actual: 1, predicted: 0 });
    expect(average.at(-1)!.predicted).toBeGreaterThan(2 * MAX_POINTS - 5);
  });
});

describe('online multi-label scores (a worked example)', () => {
  const { summary, charts } = multilabelMonitor(asLines(multilabelDecisions), asFeedback(multilabelFeedback), ml);

  it('should score the label sets at the decision’s thresholds and the fused scores’ Brier and log loss', () => {
    expect(summary).toMatchObject({ task: 'multilabel', decisions: 5, labelled: 3, unknownLabels: 1, mismatchedFeedback: { 'value for multilabel': 1 } });
    closeTo(summary.byStrategy.average!, expectedMultilabel.average);
    expect(summary.byStrategy.average!.perLabel).toMatchObject({ cat: { f1: 1, support: 1 }, dog: { f1: 1, support: 1 }, sun: { precision: 0, recall: 0, f1: 0, support: 1 } });
  });

  it('should score each modality alone on the labels its summary puts over threshold', () => {
    closeTo(summary.byModality.img!, expectedMultilabel.img);
    closeTo(summary.byModality.txt!, expectedMultilabel.txt);
  });

  it('should give each label’s calibration: bins of the fused score against the share of true rows', () => {
    // sun's scores 0.6 (false), 0.4 (true), 0.2 (false): three bins, ECE (0.6 + 0.6 + 0.2) / 3.
    expect(charts.reliability.filter((b) => b.label === 'sun').map(({ score, positive, count }) => [score, positive, count])).toEqual([[0.2, 0, 1], [0.4, 1, 1], [0.6, 0, 1]]);
    expect(summary.byStrategy.average!.perLabel.sun!.ece).toBeCloseTo((0.6 + 0.6 + 0.2) / 3, 12);
  });

  it('should give each modality’s missing rate, disagreement with the answer and label shares', () => {
    expect(summary.drift.txt).toMatchObject({ decisions: 5, missingRate: 0.2 });
    // txt against the answer: m1 same, m2 differs on sun, m4 on cat, m5 same: (0 + 1 + 1 + 0) / 3 / 4.
    expect(summary.drift.txt!.disagreementRate).toBeCloseTo(2 / 12, 12);
    expect(summary.drift.img!.labelShares).toEqual({ cat: 0.6, dog: 0.2, sun: 0.2 });
  });
});

describe('mixed input', () => {
  it('should count regression and multi-label lines and value feedback under a classification profile without scoring them', () => {
    const lines = [...regressionDecisions.slice(0, 2).map((d) => ({ ...d, profile: { name: 'prices', version: 'v1' } })), ...multilabelDecisions.slice(0, 1).map((d) => ({ ...d, profile: { name: 'prices', version: 'v1' } }))];
    const cls = { ...regressionDecisions[6]!, decisionId: 'c2', output: { label: 'cheap', confidence: 0.9 }, modalities: {} };
    const r = onlineMonitor(asLines([...lines, cls]), asFeedback([{ type: 'feedback', decisionId: 'c2', value: 3, source: 's', receivedAt: 'x' }]), { name: 'prices', classes: ['cheap', 'dear'], modalities: ['a'] });
    expect(r.summary).toMatchObject({ task: 'classification', decisions: 1, labelled: 0, otherTasks: { regression: 2, multilabel: 1 }, mismatchedFeedback: { 'value for classification': 1 } });
    expect('evaluation' in r && r.evaluation).toBeFalsy();
  });
});

describe('parity with scikit-learn (test/fixtures/sklearn-online-golden.json, scripts/sklearn_online_golden.py)', () => {
  const golden = JSON.parse(readFileSync(new URL('../fixtures/sklearn-online-golden.json', import.meta.url), 'utf8'));

  it('should match mean_absolute_error, mean_squared_error, r2_score and scipy’s normal interval and log-pdf', () => {
    const g = golden.regression;
    const { summary } = regressionMonitor(g.decisions, g.feedback, { name: 'regression', task: 'regression', modalities: ['a', 'b'] });
    closeTo(summary.byStrategy.average!, g.expected.average, 10);
    closeTo(summary.byModality.a!, g.expected.a, 10);
    closeTo(summary.byModality.b!, g.expected.b, 10);
  });

  it('should match f1_score, hamming_loss, accuracy_score, brier_score_loss, log_loss and calibration_curve', () => {
    const g = golden.multilabel;
    const { summary, charts } = multilabelMonitor(g.decisions, g.feedback, { name: 'multilabel', task: 'multilabel', labels: g.labels, modalities: ['a'] });
    const { perLabel, ...rest } = g.expected.average;
    closeTo(summary.byStrategy.average!, rest, 10);
    for (const l of g.labels) closeTo(summary.byStrategy.average!.perLabel[l]!, perLabel[l], 10);
    const { perLabel: aPer, ...aRest } = g.expected.a;
    closeTo(summary.byModality.a!, aRest, 10);
    for (const l of g.labels) closeTo(summary.byModality.a!.perLabel[l]!, aPer[l], 10);
    for (const l of g.labels) {
      const bins = charts.reliability.filter((b) => b.label === l);
      expect(bins.map((b) => b.score)).toEqual(g.expected.calibration[l].score.map((x: number) => expect.closeTo(x, 10)));
      expect(bins.map((b) => b.positive)).toEqual(g.expected.calibration[l].positive.map((x: number) => expect.closeTo(x, 10)));
    }
  });
});
