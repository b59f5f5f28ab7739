/**
 * Drift of regression and multi-label profiles: the training reference `fusion train` and
 * retraining store, and the label-free statistics of logged decisions with their PSI against it
 * (the daily summariser and `fusion monitor` both call these).
 *
 * - Regression: each modality's value histogram. The bins are cut at the training deciles
 *   (numpy's default linear quantiles), the first and last open-ended, so production values
 *   outside the training range still land in a bin; equal deciles merge. PSI is over the bins.
 * - Multi-label: each modality's positive share per label, the share of rows in which it puts
 *   the label at or over its threshold: exactly what the decision line logs of it (its scores
 *   are logged only with payloads). A modality's PSI is the mean over labels of each label's
 *   two-bin (positive, negative) PSI: a label's prevalence moving is drift even when every
 *   label moves together, which PSI over the normalised label shares would miss, and the mean
 *   keeps the 0.2 rule's scale whatever the number of labels (it equals the one label's PSI
 *   when there is one). `labelPsi` says which label moved.
 */
import type { TaskData } from '../learned/task-data.js';
import type { DecisionLine, MultilabelDecision, RegressionDecision } from './decision-log.js';
import { PSI_ALERT, psi, shares } from './psi.js';
import { type MultilabelReference, REFERENCE_LIMITS, type RegressionReference } from './reference.js';

/** Bins of a regression reference (before equal deciles merge). */
export const REGRESSION_BINS = 10;

/** Label-free statistics of one regression modality over the period. */
export interface RegressionModalityStats {
  decisions: number;
  missingRate: number;
  meanValue: number | null;
  meanStd: number | null;
  /** Mean |modality value − the decision's value|: how far it sits from the answer. */
  meanAbsDeviation: number | null;
  meanContribution: number | null;
  /** Shares of its values in the reference's bins, when the profile has a reference for it. */
  binShares?: number[];
  /** PSI against the reference histogram, when the profile has one and the modality was present. */
  psi?: number;
  drift?: boolean;
}

/** Label-free statistics of one multi-label modality over the period. */
export interface MultilabelModalityStats {
  decisions: number;
  missingRate: number;
  meanConfidence: number | null;
  /** Mean share of labels on which the modality's set and the answer's differ. */
  disagreementRate: number | null;
  meanContribution: number | null;
  /** Share of its decisions in which it put each label over its threshold. */
  labelShares: Record<string, number>;
  /** Each label's two-bin PSI against the reference, when the profile has one. */
  labelPsi?: Record<string, number>;
  /** The mean of `labelPsi` over the labels. */
  psi?: number;
  drift?: boolean;
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const r6 = (x: number) => Math.round(x * 1e6) / 1e6;

/**
 * The inner edges of `bins` equal-count bins of `values`: the quantiles k/bins, k = 1..bins−1,
 * interpolated linearly between order statistics (numpy.quantile's default), equal ones merged.
 */
export function quantileEdges(values: readonly number[], bins = REGRESSION_BINS): number[] {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const edges: number[] = [];
  if (!n) return edges;
  for (let k = 1; k < bins; k++) {
    const h = ((n - 1) * k) / bins;
    const lo = Math.floor(h);
    const e = sorted[lo]! + (h - lo) * (sorted[Math.min(lo + 1, n - 1)]! - sorted[lo]!);
    if (!edges.length || e > edges[edges.length - 1]!) edges.push(e);
  }
  return edges;
}

/** The bin of `v` among `edges`: how many edges are <= v (bins are closed on the left). */
export function binOf(edges: readonly number[], v: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edges[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** How many of `values` fall in each of the `edges.length + 1` bins. */
export function binCounts(edges: readonly number[], values: Iterable<number>): number[] {
  const out = new Array<number>(edges.length + 1).fill(0);
  for (const v of values) out[binOf(edges, v)]!++;
  return out;
}

/** Each modality's values over the rows where it is present. */
function valuesOf(rows: readonly { names: readonly string[]; values: ArrayLike<number> }[], m: string): number[] {
  const out: number[] = [];
  for (const r of rows) {
    const k = r.names.indexOf(m);
    if (k >= 0) out.push(r.values[k]!);
  }
  return out;
}

/**
 * The reference of regression training rows: per modality present in them, the edges of
 * `bins` bins at its training quantiles and its values' shares in those bins. Edges are kept
 * exact (production values are binned against them); shares are rounded to 6 digits.
 */
export function regressionReference(rows: readonly { names: readonly string[]; values: ArrayLike<number> }[], modalities: readonly string[], createdAt = new Date().toISOString(), bins = REGRESSION_BINS): RegressionReference {
  const histograms: RegressionReference['histograms'] = {};
  for (const m of modalities.slice(0, REFERENCE_LIMITS.maxModalities)) {
    const values = valuesOf(rows, m);
    if (!values.length) continue;
    const edges = quantileEdges(values, Math.min(bins, REFERENCE_LIMITS.maxBins));
    histograms[m] = { edges, shares: shares(binCounts(edges, values)).map(r6) };
  }
  return { rows: rows.length, histograms, createdAt: createdAt.slice(0, 40) };
}

/**
 * The reference of multi-label training rows: per modality, the share of the rows where it is
 * present in which its score for each label reaches `thresholds` (the profile's, as the decision
 * line applies them). A modality absent from every row has all-zero shares.
 */
export function multilabelReference(rows: readonly { names: readonly string[]; scores: readonly ArrayLike<number>[] }[], modalities: readonly string[], thresholds: ArrayLike<number>, createdAt = new Date().toISOString()): MultilabelReference {
  const L = thresholds.length;
  const labelShares: MultilabelReference['labelShares'] = {};
  for (const m of modalities.slice(0, REFERENCE_LIMITS.maxModalities)) {
    const positive = new Array<number>(L).fill(0);
    let present = 0;
    for (const r of rows) {
      const k = r.names.indexOf(m);
      if (k < 0) continue;
      present++;
      for (let l = 0; l < L; l++) if (r.scores[k]![l]! >= thresholds[l]!) positive[l]!++;
    }
    labelShares[m] = positive.map((c) => (present ? r6(c / present) : 0));
  }
  return { rows: rows.length, labelShares, createdAt: createdAt.slice(0, 40) };
}

/** The two-bin PSI of a positive share against its reference, with the classification PSI's epsilon. */
export const binaryPsi = (expected: number, actual: number): number => psi([expected, 1 - expected], [actual, 1 - actual]);

/** Statistics of each regression modality over `all`'s regression lines, with PSI against `reference`. */
export function regressionDrift(all: readonly DecisionLine[], modalities: readonly string[], reference?: RegressionReference): Record<string, RegressionModalityStats> {
  const lines = all.filter((l): l is RegressionDecision => l.task === 'regression');
  const out: Record<string, RegressionModalityStats> = {};
  for (const m of modalities) {
    const present = lines.filter((d) => d.modalities[m]);
    const s = present.map((d) => d.modalities[m]!);
    const stats: RegressionModalityStats = {
      decisions: lines.length,
      missingRate: lines.length ? (lines.length - present.length) / lines.length : 0,
      meanValue: mean(s.map((x) => x.value)),
      meanStd: mean(s.flatMap((x) => (x.std === undefined ? [] : [x.std]))),
      meanAbsDeviation: mean(present.map((d) => Math.abs(d.modalities[m]!.value - d.output.value))),
      meanContribution: mean(s.map((x) => x.contribution)),
    };
    const ref = reference?.histograms[m];
    if (ref && s.length) {
      stats.binShares = shares(binCounts(ref.edges, s.map((x) => x.value)));
      stats.psi = psi(ref.shares, stats.binShares);
      stats.drift = stats.psi > PSI_ALERT;
    }
    out[m] = stats;
  }
  return out;
}

/** Statistics of each multi-label modality over `all`'s multi-label lines, with PSI against `reference`. */
export function multilabelDrift(all: readonly DecisionLine[], labels: readonly string[], modalities: readonly string[], reference?: MultilabelReference): Record<string, MultilabelModalityStats> {
  const lines = all.filter((l): l is MultilabelDecision => l.task === 'multilabel');
  const L = labels.length;
  const index = new Map(labels.map((l, i) => [l, i]));
  const out: Record<string, MultilabelModalityStats> = {};
  for (const m of modalities) {
    const present = lines.filter((d) => d.modalities[m]);
    const counts = new Float64Array(L);
    const differ: number[] = [];
    for (const d of present) {
      const own = new Set(d.modalities[m]!.labels);
      const answer = new Set(d.output.labels);
      for (const l of own) if (index.has(l)) counts[index.get(l)!]!++;
      differ.push(labels.filter((l) => own.has(l) !== answer.has(l)).length / (L || 1));
    }
    const share = (i: number) => (present.length ? counts[i]! / present.length : 0);
    const stats: MultilabelModalityStats = {
      decisions: lines.length,
      missingRate: lines.length ? (lines.length - present.length) / lines.length : 0,
      meanConfidence: mean(present.map((d) => d.modalities[m]!.confidence)),
      disagreementRate: mean(differ),
      meanContribution: mean(present.map((d) => d.modalities[m]!.contribution)),
      labelShares: Object.fromEntries(labels.map((l, i) => [l, share(i)])),
    };
    const ref = reference?.labelShares[m];
    if (ref && ref.length === L && L && present.length) {
      const each = labels.map((_, i) => binaryPsi(ref[i]!, share(i)));
      stats.labelPsi = Object.fromEntries(labels.map((l, i) => [l, each[i]!]));
      stats.psi = mean(each)!;
      stats.drift = stats.psi > PSI_ALERT;
    }
    out[m] = stats;
  }
  return out;
}

/**
 * The drift reference of a parsed regression or multi-label data set; a multi-label one at
 * `thresholds` (default: the profile's, as each row was prepared with).
 */
export function taskReference(data: TaskData, createdAt?: string, thresholds?: ArrayLike<number>): RegressionReference | MultilabelReference {
  if (data.task === 'regression') return regressionReference(data.rows, data.profile.modalities, createdAt);
  return multilabelReference(data.rows, data.profile.modalities, thresholds ?? data.rows[0]?.thresholds ?? [], createdAt);
}
