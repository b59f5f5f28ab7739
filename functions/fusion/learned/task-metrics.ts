/** Scores of the regression and multi-label tasks. */
import type { MultilabelMetrics } from './multilabel.js';
import type { RegressionMetrics } from './ridge.js';

/** RMSE, MAE and R² of predictions against true values. */
export function regressionMetrics(pred: readonly number[], y: readonly number[]): RegressionMetrics {
  const n = y.length;
  const mean = y.reduce((a, b) => a + b, 0) / n;
  let se = 0, ae = 0, tot = 0;
  for (let i = 0; i < n; i++) {
    se += (pred[i]! - y[i]!) ** 2;
    ae += Math.abs(pred[i]! - y[i]!);
    tot += (y[i]! - mean) ** 2;
  }
  return { rmse: Math.sqrt(se / n), mae: ae / n, r2: tot > 0 ? 1 - se / tot : 0 };
}

/** F1 from counts; 0 when there is nothing to find and nothing found (scikit-learn's zero_division). */
const f1 = (tp: number, fp: number, fn: number) => (tp ? (2 * tp) / (2 * tp + fp + fn) : 0);

/** Micro- and macro-F1 and Hamming loss of fused scores at per-label thresholds. */
export function multilabelMetrics(scores: readonly ArrayLike<number>[], y: readonly ArrayLike<number>[], thresholds: ArrayLike<number>): MultilabelMetrics {
  const L = thresholds.length;
  const tp = new Float64Array(L), fp = new Float64Array(L), fn = new Float64Array(L);
  let wrong = 0;
  scores.forEach((s, i) => {
    for (let l = 0; l < L; l++) {
      const p = s[l]! >= thresholds[l]! ? 1 : 0;
      const t = y[i]![l]!;
      if (p && t) tp[l]!++;
      else if (p) (fp[l]!++, wrong++);
      else if (t) (fn[l]!++, wrong++);
    }
  });
  const sum = (a: Float64Array) => a.reduce((x, v) => x + v, 0);
  let macro = 0;
  for (let l = 0; l < L; l++) macro += f1(tp[l]!, fp[l]!, fn[l]!);
  return { microF1: f1(sum(tp), sum(fp), sum(fn)), macroF1: macro / L, hamming: wrong / (scores.length * L) };
}

/**
 * Average precision of one label's scores (scikit-learn's `average_precision_score`): Σ over
 * distinct thresholds, highest first, of (recall gained) × precision. NaN without positives.
 */
export function averagePrecision(scores: readonly number[], y: readonly number[]): number {
  const order = scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const positives = y.reduce((a, b) => a + b, 0);
  if (!positives) return NaN;
  let tp = 0, fp = 0, ap = 0, recall = 0;
  for (let j = 0; j < order.length; j++) {
    const i = order[j]!;
    if (y[i]) tp++;
    else fp++;
    if (j + 1 < order.length && scores[order[j + 1]!] === scores[i]) continue;
    const r = tp / positives;
    ap += (r - recall) * (tp / (tp + fp));
    recall = r;
  }
  return ap;
}

/**
 * The threshold maximising one label's F1 on training scores: the midpoint below the best
 * cut among distinct scores (ties: the cut closest to 0.5). `fallback` when the label has no
 * positives.
 */
export function bestThreshold(scores: readonly number[], y: readonly number[], fallback = 0.5): number {
  const positives = y.reduce((a, b) => a + b, 0);
  if (!positives) return fallback;
  const order = scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let tp = 0, fp = 0, best = -1, threshold = fallback;
  for (let j = 0; j < order.length; j++) {
    const i = order[j]!;
    if (y[i]) tp++;
    else fp++;
    const next = j + 1 < order.length ? scores[order[j + 1]!]! : 0;
    if (next === scores[i]) continue;
    const cut = (scores[i]! + next) / 2;
    const f = f1(tp, fp, positives - tp);
    if (f > best + 1e-12 || (Math.abs(f - best) <= 1e-12 && Math.abs(cut - 0.5) < Math.abs(threshold - 0.5))) (best = f), (threshold = cut);
  }
  return threshold;
}
