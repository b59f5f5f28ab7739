/**
 * Online evaluation of regression decisions: each logged value (and, where the line carries
 * it, its standard deviation) against the true value the feedback gives. Point scores: MAE,
 * RMSE, R² and the mean error (bias); with a std, the share of true values inside the nominal
 * 90% Gaussian interval (value ± 1.645·std) and the mean Gaussian negative log-likelihood.
 */
import { regressionMetrics } from '../learned/task-metrics.js';
import type { DecisionLine } from './decision-log.js';
import { type RegressionModalityStats, regressionDrift } from './drift-tasks.js';
import type { FeedbackLine } from './feedback.js';
import type { RegressionReference } from './reference.js';
import { Groups, type ScoredSummary, joinLog, missingByDay, shadowCounts, variantCounts } from './online-join.js';

/** The standard normal's 95th percentile: value ± Z90·std is the central 90% interval. */
export const Z90 = 1.6448536269514722;
/** At most this many (actual, predicted) points per source go to the report's chart. */
export const MAX_POINTS = 500;

export type { RegressionModalityStats } from './drift-tasks.js';

/** What a regression profile says about the decisions being scored. */
export interface RegressionProfileView {
  name: string;
  task: 'regression';
  modalities: readonly string[];
  /** The profile's drift reference (value histograms), for PSI. */
  reference?: RegressionReference;
}

/** Online scores of one source of values. */
export interface RegressionScore {
  rows: number;
  mae: number;
  rmse: number;
  /** Null when the true values are all equal (R² is undefined; scikit-learn warns). */
  r2: number | null;
  /** Mean of predicted − true: above 0, the source overestimates. */
  bias: number;
  /** Rows whose prediction carried a std > 0. */
  withStd: number;
  /** Share of those rows whose true value lies in value ± 1.645·std (0.9 when calibrated); null without any. */
  coverage90: number | null;
  /** Mean Gaussian negative log-likelihood of the true value over those rows; null without any. */
  nll: number | null;
}

/** The JSON summary of `fusion monitor` on a regression profile. */
export interface RegressionSummary extends ScoredSummary<RegressionScore, RegressionModalityStats> {
  task: 'regression';
}

/** Predicted against actual values for the report, at most `MAX_POINTS` per source (evenly spaced). */
export interface RegressionCharts {
  points: { source: string; kind: 'rule' | 'model' | 'modality'; actual: number; predicted: number }[];
}

class Values {
  pred: number[] = [];
  y: number[] = [];
  std: (number | undefined)[] = [];
  add(pred: number, y: number, std?: number): void {
    this.pred.push(pred), this.y.push(y), this.std.push(std);
  }
  summary(): RegressionScore | undefined {
    const n = this.y.length;
    if (!n) return undefined;
    let bias = 0;
    let withStd = 0;
    let covered = 0;
    let nll = 0;
    for (let i = 0; i < n; i++) {
      const e = this.pred[i]! - this.y[i]!;
      bias += e / n;
      const s = this.std[i];
      if (s === undefined || !(s > 0)) continue;
      withStd++;
      if (Math.abs(e) <= Z90 * s) covered++;
      nll += 0.5 * Math.log(2 * Math.PI * s * s) + (e * e) / (2 * s * s);
    }
    const m = regressionMetrics(this.pred, this.y);
    return { rows: n, ...m, r2: this.y.some((v) => v !== this.y[0]) ? m.r2 : null, bias, withStd, coverage90: withStd ? covered / withStd : null, nll: withStd ? nll / withStd : null };
  }
  points(source: string, kind: RegressionCharts['points'][number]['kind']): RegressionCharts['points'] {
    const step = Math.max(1, this.y.length / MAX_POINTS);
    const out: RegressionCharts['points'] = [];
    for (let i = 0; i < this.y.length && out.length < MAX_POINTS; i = Math.floor(out.length * step)) out.push({ source, kind, actual: this.y[i]!, predicted: this.pred[i]! });
    return out;
  }
}

/** Scores the regression decisions of `profile` against the `value` feedback. */
export function regressionMonitor(decisions: readonly DecisionLine[], feedback: Iterable<FeedbackLine>, profile: RegressionProfileView): { summary: RegressionSummary; charts: RegressionCharts } {
  const { joined, otherTasks, mismatchedFeedback } = joinLog(decisions, feedback, profile.name, 'regression');
  const lines = joined.map((j) => j.decision);
  const strategies = new Groups(() => new Values());
  const modalities = new Groups(() => new Values());
  const variants = new Groups(() => new Values());
  let labelled = 0;
  for (const { decision: d, truth } of joined) {
    if (!truth) continue;
    const y = truth.value!;
    labelled++;
    strategies.at(d.strategy).add(d.output.value, y, d.output.std);
    variants.at(d.variant ?? 'primary').add(d.output.value, y, d.output.std);
    for (const [m, s] of Object.entries(d.modalities)) if (profile.modalities.includes(m)) modalities.at(m).add(s.value, y, s.std);
  }
  const scores = (g: Map<string, Values>) => Object.fromEntries([...g].map(([k, v]) => [k, v.summary()!]));
  const drift = regressionDrift(lines, profile.modalities, profile.reference);
  const counts = variantCounts(lines);
  const summary: RegressionSummary = {
    profile: profile.name,
    task: 'regression',
    decisions: lines.length,
    labelled,
    unknownLabels: 0,
    otherTasks,
    mismatchedFeedback,
    byStrategy: scores(strategies),
    byModality: scores(modalities),
    byVariant: Object.fromEntries([...counts].map(([v, n]) => [v, { ...variants.get(v)?.summary(), decisions: n }])),
    shadows: Object.fromEntries(shadowCounts(lines)),
    missingByDay: missingByDay(lines, profile.modalities),
    drift,
  };
  const points = [
    ...[...strategies].flatMap(([k, v]) => v.points(k, 'rule')),
    ...(counts.has('canary') ? [...variants].flatMap(([k, v]) => v.points(`variant ${k}`, 'model')) : []),
    ...profile.modalities.flatMap((m) => modalities.get(m)?.points(`${m} (alone)`, 'modality') ?? []),
  ];
  return { summary, charts: { points } };
}
