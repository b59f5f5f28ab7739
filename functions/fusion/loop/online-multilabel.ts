/**
 * Online evaluation of multi-label decisions: each logged label set (the labels whose fused
 * score reached their threshold) against the true labels the feedback gives, per label and
 * over all labels (micro- and macro-F1, Hamming loss, exact-set accuracy), and the fused
 * scores' Brier score, mean per-label log loss and per-label calibration. A modality alone is
 * scored on the labels its summary puts over their threshold (its scores are not logged).
 */
import { multilabelMetrics } from '../learned/task-metrics.js';
import type { DecisionLine } from './decision-log.js';
import { type MultilabelModalityStats, multilabelDrift } from './drift-tasks.js';
import type { FeedbackLine } from './feedback.js';
import type { MultilabelReference } from './reference.js';
import { Groups, type ScoredSummary, joinLog, missingByDay, shadowCounts, variantCounts } from './online-join.js';

/** Equal-width bins of a label's reliability curve. */
export const LABEL_BINS = 10;
const CLIP = 1e-15;

export type { MultilabelModalityStats } from './drift-tasks.js';

/** What a multi-label profile says about the decisions being scored. */
export interface MultilabelProfileView {
  name: string;
  task: 'multilabel';
  labels: readonly string[];
  modalities: readonly string[];
  /** The profile's drift reference (positive share per label), for PSI. */
  reference?: MultilabelReference;
}

/** One label's scores; `ece` from the fused scores (null for a modality alone). */
export interface LabelScore {
  precision: number;
  recall: number;
  f1: number;
  support: number;
  ece: number | null;
}

/** Online scores of one source of label sets. */
export interface MultilabelScore {
  rows: number;
  microF1: number;
  macroF1: number;
  hamming: number;
  /** Share of rows whose label set is exactly the true one. */
  subsetAccuracy: number;
  /** Mean over rows and labels of (score − truth)²; null without scores (a modality alone). */
  brier: number | null;
  /** Mean over rows and labels of the binary log loss, scores clipped to [1e-15, 1 − 1e-15]; null without scores. */
  logLoss: number | null;
  perLabel: Record<string, LabelScore>;
}

/** The JSON summary of `fusion monitor` on a multi-label profile. */
export interface MultilabelSummary extends ScoredSummary<MultilabelScore, MultilabelModalityStats> {
  task: 'multilabel';
}

/** One reliability bin of one label of one strategy: mean score against the share of true rows. */
export interface LabelBin {
  source: string;
  label: string;
  score: number;
  positive: number;
  count: number;
}

/** What the report draws beyond the summary. */
export interface MultilabelCharts {
  reliability: LabelBin[];
}

class Sets {
  predicted: Uint8Array[] = [];
  truth: Uint8Array[] = [];
  scores: (Float64Array | undefined)[] = [];
  constructor(private readonly labels: readonly string[]) {}
  add(predicted: Uint8Array, truth: Uint8Array, scores?: Float64Array): void {
    this.predicted.push(predicted), this.truth.push(truth), this.scores.push(scores);
  }
  /** Per label: the bins of its scores against the truth. */
  bins(l: number): { score: number; positive: number; count: number }[] {
    const sum = new Float64Array(LABEL_BINS), pos = new Float64Array(LABEL_BINS), count = new Float64Array(LABEL_BINS);
    this.scores.forEach((s, i) => {
      if (!s) return;
      const b = Math.min(LABEL_BINS - 1, Math.floor(s[l]! * LABEL_BINS));
      (sum[b]! += s[l]!), (pos[b]! += this.truth[i]![l]!), count[b]!++;
    });
    return [...count].flatMap((n, b) => (n ? [{ score: sum[b]! / n, positive: pos[b]! / n, count: n }] : []));
  }
  summary(): MultilabelScore | undefined {
    const n = this.truth.length;
    if (!n) return undefined;
    const L = this.labels.length;
    const m = multilabelMetrics(this.predicted, this.truth, new Float64Array(L).fill(0.5));
    let exact = 0;
    for (let i = 0; i < n; i++) if (this.predicted[i]!.every((p, l) => p === this.truth[i]![l])) exact++;
    const scored = this.scores.flatMap((s, i) => (s ? [[s, this.truth[i]!] as const] : []));
    let brier = 0;
    let logLoss = 0;
    for (const [s, y] of scored)
      for (let l = 0; l < L; l++) {
        const p = Math.min(1 - CLIP, Math.max(CLIP, s[l]!));
        brier += (s[l]! - y[l]!) ** 2;
        logLoss -= y[l] ? Math.log(p) : Math.log(1 - p);
      }
    const cells = scored.length * L;
    const perLabel: Record<string, LabelScore> = {};
    this.labels.forEach((label, l) => {
      let tp = 0, fp = 0, fn = 0;
      for (let i = 0; i < n; i++) {
        const p = this.predicted[i]![l], t = this.truth[i]![l];
        if (p && t) tp++;
        else if (p) fp++;
        else if (t) fn++;
      }
      const precision = tp + fp ? tp / (tp + fp) : 0;
      const recall = tp + fn ? tp / (tp + fn) : 0;
      const ece = scored.length ? this.bins(l).reduce((a, b) => a + (b.count / scored.length) * Math.abs(b.score - b.positive), 0) : null;
      perLabel[label] = { precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0, support: tp + fn, ece };
    });
    return { rows: n, ...m, subsetAccuracy: exact / n, brier: cells ? brier / cells : null, logLoss: cells ? logLoss / cells : null, perLabel };
  }
}

/** Scores the multi-label decisions of `profile` against the `labels` feedback. */
export function multilabelMonitor(decisions: readonly DecisionLine[], feedback: Iterable<FeedbackLine>, profile: MultilabelProfileView): { summary: MultilabelSummary; charts: MultilabelCharts } {
  const { joined, otherTasks, mismatchedFeedback } = joinLog(decisions, feedback, profile.name, 'multilabel');
  const lines = joined.map((j) => j.decision);
  const L = profile.labels.length;
  const index = new Map(profile.labels.map((l, i) => [l, i]));
  // A set as 0/1 per profile label; undefined when it names a label the profile does not have.
  const indicator = (names: readonly string[]) => {
    const out = new Uint8Array(L);
    for (const name of names) {
      const i = index.get(name);
      if (i === undefined) return undefined;
      out[i] = 1;
    }
    return out;
  };
  const scoresOf = (s: Record<string, number>) => {
    const out = new Float64Array(L);
    for (let l = 0; l < L; l++) {
      const v = s[profile.labels[l]!];
      if (v === undefined || !Number.isFinite(v)) return undefined;
      out[l] = v;
    }
    return out;
  };
  const make = () => new Sets(profile.labels);
  const strategies = new Groups(make);
  const modalities = new Groups(make);
  const variants = new Groups(make);
  let labelled = 0;
  let unknownLabels = 0;
  for (const { decision: d, truth } of joined) {
    if (!truth) continue;
    const y = indicator(truth.labels!);
    const out = indicator(d.output.labels);
    if (!y || !out) {
      unknownLabels++;
      continue;
    }
    labelled++;
    const scores = scoresOf(d.output.scores);
    strategies.at(d.strategy).add(out, y, scores);
    variants.at(d.variant ?? 'primary').add(out, y, scores);
    for (const [m, s] of Object.entries(d.modalities)) {
      const set = profile.modalities.includes(m) ? indicator(s.labels) : undefined;
      if (set) modalities.at(m).add(set, y);
    }
  }
  const scores = (g: Map<string, Sets>) => Object.fromEntries([...g].map(([k, v]) => [k, v.summary()!]));
  const drift = multilabelDrift(lines, profile.labels, profile.modalities, profile.reference);
  const counts = variantCounts(lines);
  const summary: MultilabelSummary = {
    profile: profile.name,
    task: 'multilabel',
    decisions: lines.length,
    labelled,
    unknownLabels,
    otherTasks,
    mismatchedFeedback,
    byStrategy: scores(strategies),
    byModality: scores(modalities),
    byVariant: Object.fromEntries([...counts].map(([v, n]) => [v, { ...variants.get(v)?.summary(), decisions: n }])),
    shadows: Object.fromEntries(shadowCounts(lines)),
    missingByDay: missingByDay(lines, profile.modalities),
    drift,
  };
  const reliability = [...strategies].flatMap(([source, g]) => profile.labels.flatMap((label, l) => g.bins(l).map((b) => ({ source, label, ...b }))));
  return { summary, charts: { reliability } };
}
