/**
 * Online evaluation: logged decisions joined with their feedback, scored per strategy, per
 * modality alone, per variant (primary / canary) and per shadow, plus the label-free view
 * (missing rates per day, drift). `onlineMonitor` dispatches on the profile's task; this file
 * scores classification, `online-regression.ts` and `online-multilabel.ts` the other two.
 *
 * A classification line keeps only each answer's top label and its confidence, so each answer
 * is scored as the distribution that puts `confidence` on its label and spreads the rest evenly
 * over the other classes (a confidence below 1/C counts as 1/C, so the label stays the top
 * class). Accuracy and calibration (ECE, reliability) are exact; log loss and Brier are those
 * of that distribution.
 */
import type { EvalEntry, Evaluation } from '../learned/evaluate.js';
import { perClass } from '../learned/analysis.js';
import { score } from '../learned/metrics.js';
import type { DecisionLine } from './decision-log.js';
import type { FeedbackLine } from './feedback.js';
import { type ModalityStats, modalityStats } from './monitor.js';
import { Groups, type ScoredSummary, type ShadowCounts, joinLog, missingByDay, shadowCounts, variantCounts } from './online-join.js';
import { type MultilabelCharts, type MultilabelProfileView, type MultilabelSummary, multilabelMonitor } from './online-multilabel.js';
import { type RegressionCharts, type RegressionProfileView, type RegressionSummary, regressionMonitor } from './online-regression.js';

export type { SummaryBase } from './online-join.js';
export type { MultilabelSummary, MultilabelScore } from './online-multilabel.js';
export type { RegressionSummary, RegressionScore } from './online-regression.js';

/** What a classification profile says about the decisions being scored. */
export interface ClassificationProfileView {
  name: string;
  task?: 'classification';
  classes: readonly string[];
  modalities: readonly string[];
  /** The profile's drift reference shares, by modality. */
  reference?: Record<string, number[]>;
}

/** What the profile says about the decisions being scored, by task. */
export type OnlineProfile = ClassificationProfileView | RegressionProfileView | MultilabelProfileView;

/** Accuracy and friends of one answer source over the labelled decisions. */
export interface OnlineScore {
  rows: number;
  accuracy: number;
  logLoss: number;
  ece: number;
  meanConfidence: number;
}

/** The JSON summary of `fusion monitor` on a classification profile. */
export interface ClassificationSummary extends ScoredSummary<OnlineScore, ModalityStats, Partial<OnlineScore> & ShadowCounts> {
  task: 'classification';
}

/** The JSON summary of `fusion monitor` (and what the report shows), by task. */
export type OnlineSummary = ClassificationSummary | RegressionSummary | MultilabelSummary;

/** What `onlineMonitor` gives: the summary, and what the report draws beyond it. */
export type OnlineResult =
  | { summary: ClassificationSummary; evaluation?: Evaluation }
  | { summary: RegressionSummary; charts: RegressionCharts }
  | { summary: MultilabelSummary; charts: MultilabelCharts };

/** The distribution a logged (label, confidence) stands for; undefined for a label not in `classes`. */
export function topLabelDistribution(label: string, confidence: number, index: ReadonlyMap<string, number>): Float64Array | undefined {
  const k = index.get(label);
  if (k === undefined) return undefined;
  const C = index.size;
  const p = Math.min(1, Math.max(Number.isFinite(confidence) ? confidence : 0, 1 / C));
  const out = new Float64Array(C).fill((1 - p) / (C - 1));
  out[k] = p;
  return out;
}

class Group {
  probs: Float64Array[] = [];
  labels: number[] = [];
  add(p: Float64Array | undefined, y: number): void {
    if (p) this.probs.push(p), this.labels.push(y);
  }
  entry(name: string, kind: EvalEntry['kind'], C: number): EvalEntry | undefined {
    if (!this.probs.length) return undefined;
    const s = score(this.probs, this.labels, C);
    return { name, kind, rows: s.rows, metrics: s.metrics, reliability: s.reliability, confusion: s.confusion, perClass: perClass(s.confusion) };
  }
  summary(C: number): OnlineScore | undefined {
    if (!this.probs.length) return undefined;
    const { metrics, rows } = score(this.probs, this.labels, C);
    let mean = 0;
    for (const p of this.probs) mean += Math.max(...p) / rows;
    return { rows, accuracy: metrics.accuracy, logLoss: metrics.logLoss, ece: metrics.ece, meanConfidence: mean };
  }
}

/**
 * Scores `decisions` of `profile` against `feedback`, by the profile's task. Repeated decision
 * lines (the same decisionId) count once; lines of another task and feedback of another task's
 * kind are counted (`otherTasks`, `mismatchedFeedback`), never scored.
 */
export function onlineMonitor(decisions: readonly DecisionLine[], feedback: Iterable<FeedbackLine>, profile: OnlineProfile): OnlineResult {
  if (profile.task === 'regression') return regressionMonitor(decisions, feedback, profile);
  if (profile.task === 'multilabel') return multilabelMonitor(decisions, feedback, profile);
  return classificationMonitor(decisions, feedback, profile);
}

/**
 * A classification profile's summary, and an evaluation in the shape of `fusion evaluate`'s
 * (undefined when no decision has a usable label) for the report.
 */
export function classificationMonitor(decisions: readonly DecisionLine[], feedback: Iterable<FeedbackLine>, profile: ClassificationProfileView): { summary: ClassificationSummary; evaluation?: Evaluation } {
  const { joined, otherTasks, mismatchedFeedback } = joinLog(decisions, feedback, profile.name, 'classification');
  const lines = joined.map((j) => j.decision);
  const index = new Map(profile.classes.map((c, i) => [c, i]));
  const C = profile.classes.length;
  const strategies = new Groups(() => new Group());
  const modalities = new Groups(() => new Group());
  const variants = new Groups(() => new Group());
  const shadows = new Groups(() => new Group());
  let labelled = 0;
  let unknownLabels = 0;

  for (const { decision: d, truth } of joined) {
    if (!truth) continue;
    const y = index.get(truth.label!);
    const out = topLabelDistribution(d.output.label, d.output.confidence, index);
    // A label outside the profile's classes (given, or answered under an older profile) is counted, not scored.
    if (y === undefined || !out) {
      unknownLabels++;
      continue;
    }
    labelled++;
    strategies.at(d.strategy).add(out, y);
    variants.at(d.variant ?? 'primary').add(out, y);
    for (const [m, s] of Object.entries(d.modalities)) if (profile.modalities.includes(m)) modalities.at(m).add(topLabelDistribution(s.label, s.confidence, index), y);
    for (const s of d.shadows ?? [])
      if (s.error === undefined && s.label !== undefined && s.confidence !== undefined) shadows.at(s.name).add(topLabelDistribution(s.label, s.confidence, index), y);
  }

  const scores = (m: Map<string, Group>) =>
    Object.fromEntries([...m].flatMap(([k, g]) => {
      const s = g.summary(C);
      return s ? [[k, s]] : [];
    }));
  const counts = variantCounts(lines);
  const summary: ClassificationSummary = {
    profile: profile.name,
    task: 'classification',
    decisions: lines.length,
    labelled,
    unknownLabels,
    otherTasks,
    mismatchedFeedback,
    byStrategy: scores(strategies),
    byModality: scores(modalities),
    byVariant: Object.fromEntries([...counts].map(([v, n]) => [v, { ...variants.get(v)?.summary(C), decisions: n }])),
    shadows: Object.fromEntries([...shadowCounts(lines)].map(([name, c]) => [name, { ...shadows.get(name)?.summary(C), ...c }])),
    missingByDay: missingByDay(lines, profile.modalities),
    drift: modalityStats(lines, profile.modalities, profile.classes, profile.reference),
  };

  const entries = [
    ...[...strategies].map(([k, g]) => g.entry(k, 'rule', C)),
    ...(counts.has('canary') ? [...variants].map(([k, g]) => g.entry(`variant ${k}`, 'model', C)) : []),
    ...[...shadows].map(([k, g]) => g.entry(`shadow ${k}`, 'model', C)),
    ...profile.modalities.map((m) => modalities.get(m)?.entry(m, 'modality', C)),
  ].filter((e): e is EvalEntry => e !== undefined);
  if (!labelled || !entries.length) return { summary };
  const fused = entries.filter((e) => e.kind !== 'modality');
  const best = (fused.length ? fused : entries).reduce((a, b) => (b.metrics.logLoss < a.metrics.logLoss ? b : a)).name;
  return { summary, evaluation: { profile: profile.name, classes: [...profile.classes], rows: labelled, best, entries } };
}
