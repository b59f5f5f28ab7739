/**
 * Decision lines of regression and multi-label profiles for the drift tests: each modality's
 * value (regression) or labels over threshold (multi-label), as the decision log carries them.
 */
import type { MultilabelDecision, RegressionDecision } from '../../functions/fusion/loop/decision-log.js';

const head = (id: string, profile: string, time: string, missing: string[]) => ({
  type: 'decision' as const, decisionId: id, time, source: 'http' as const, strategy: 'average', profile: { name: profile, version: 'v1' }, missing, latencyMs: 0.1,
});

/** A regression decision whose modalities logged these values; the answer is their mean. */
export function regLine(id: string, values: Record<string, number>, profile = 'prices', time = '2026-11-30T12:00:00.000Z', modalities = ['a', 'b']): RegressionDecision {
  const entries = Object.entries(values);
  const out = entries.reduce((a, [, v]) => a + v, 0) / (entries.length || 1);
  return {
    ...head(id, profile, time, modalities.filter((m) => !(m in values))),
    task: 'regression',
    modalities: Object.fromEntries(entries.map(([m, value]) => [m, { value, weight: 1, contribution: 1 / entries.length }])),
    output: { value: out },
  };
}

/** A multi-label decision whose modalities put these labels over their thresholds; the answer is their union. */
export function mlLine(id: string, labels: Record<string, string[]>, profile = 'tags', time = '2026-11-30T12:00:00.000Z', modalities = ['img', 'txt']): MultilabelDecision {
  const entries = Object.entries(labels);
  const union = [...new Set(entries.flatMap(([, l]) => l))];
  return {
    ...head(id, profile, time, modalities.filter((m) => !(m in labels))),
    task: 'multilabel',
    modalities: Object.fromEntries(entries.map(([m, l]) => [m, { labels: l, confidence: 0.8, weight: 1, contribution: 1 / entries.length }])),
    output: { labels: union, scores: Object.fromEntries(union.map((l) => [l, 0.9])) },
  };
}
