import { certainty } from '../adaptive.js';
import { softmax, temper } from '../calibrate.js';
import type { Dataset } from './data.js';
import { minimize } from './lbfgs.js';
import { type Scored, score } from './metrics.js';
import type { Profile } from '../schemas.js';

const FLOOR = 1e-15;

/**
 * Each present modality's factor in an example: its certainty 1 − H/ln C with adaptive weights
 * (all 1 if every one is 0, as the rule falls back to the plain weights), else 1.
 */
function factors(dists: (Float64Array | undefined)[], adaptive: boolean): number[] {
  const a = dists.map((d) => (d ? (adaptive ? certainty(d) : 1) : 0));
  return a.some((v) => v > 0) ? a : dists.map((d) => (d ? 1 : 0));
}

/**
 * Average-rule weights on the simplex that minimise the log loss of the weighted average
 * Σ w_k a_k p_k / Σ w_k a_k (over each example's present modalities) on `data`, where a_k is 1,
 * or with `adaptive` the modality's certainty 1 − H(p_k)/ln C in that example. Weights are the
 * softmax of free parameters, solved with L-BFGS.
 */
export function fitWeights(data: Dataset, adaptive = false): number[] {
  const K = data.modalities.length;
  const q = data.examples.map((e) => e.dists.map((d) => (d ? Math.max(d[e.label]!, FLOOR) : NaN)));
  const a = data.examples.map((e) => factors(e.dists, adaptive));
  const n = q.length;
  const w = new Float64Array(K);
  const gw = new Float64Array(K);
  const r = minimize((v, grad) => {
    softmax(v, 1, w);
    gw.fill(0);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const row = q[i]!;
      const f = a[i]!;
      let S = 0, A = 0;
      for (let k = 0; k < K; k++) if (f[k]! > 0) (S += w[k]! * f[k]!), (A += w[k]! * f[k]! * row[k]!);
      loss += Math.log(S) - Math.log(A);
      for (let k = 0; k < K; k++) if (f[k]! > 0) gw[k]! += f[k]! * (1 / S - row[k]! / A) / n;
    }
    let dot = 0;
    for (let k = 0; k < K; k++) dot += w[k]! * gw[k]!;
    for (let k = 0; k < K; k++) grad[k] = w[k]! * (gw[k]! - dot);
    return loss / n;
  }, new Float64Array(K), { gtol: 1e-9, maxIter: 1000 });
  return Array.from(softmax(r.x, 1, w));
}

/** Mean negative log-likelihood of the true classes after tempering each distribution with T. */
function temperedNll(dists: Float64Array[], labels: number[], T: number): number {
  let loss = 0;
  for (let i = 0; i < dists.length; i++) loss -= Math.log(Math.max(temper(Float64Array.from(dists[i]!), T)[labels[i]!]!, FLOOR));
  return loss / dists.length;
}

/**
 * Each modality's temperature minimising its own negative log-likelihood (Guo et al. 2017,
 * "On calibration of modern neural networks"): a golden-section search over log T in
 * [−5, 5] on the examples where the modality is present. Expects uncalibrated distributions.
 */
export function fitTemperatures(data: Dataset): number[] {
  return data.modalities.map((_, k) => {
    const dists: Float64Array[] = [];
    const labels: number[] = [];
    for (const e of data.examples) if (e.dists[k]) dists.push(e.dists[k]!), labels.push(e.label);
    if (!dists.length) return 1;
    const f = (s: number) => temperedNll(dists, labels, Math.exp(s));
    const phi = (Math.sqrt(5) - 1) / 2;
    let lo = -5, hi = 5;
    let a = hi - phi * (hi - lo), b = lo + phi * (hi - lo);
    let fa = f(a), fb = f(b);
    for (let it = 0; it < 80 && hi - lo > 1e-9; it++) {
      if (fa <= fb) (hi = b), (b = a), (fb = fa), (a = hi - phi * (hi - lo)), (fa = f(a));
      else (lo = a), (a = b), (fa = fb), (b = lo + phi * (hi - lo)), (fb = f(b));
    }
    return Math.exp((lo + hi) / 2);
  });
}

/**
 * Scores the average rule with the profile's weights (adapted if the profile says so) on a data set. With `applyTemperatures`,
 * the profile's temperatures are applied to the (raw) distributions first.
 */
export function averageScore(data: Dataset, profile: Profile, applyTemperatures = false): Scored {
  const C = data.classes.length;
  const probs = data.examples.map((e) => {
    const f = new Float64Array(C);
    let total = 0;
    const a = factors(e.dists, profile.adaptiveWeights === 'entropy');
    data.modalities.forEach((m, k) => {
      const d = e.dists[k];
      if (!d) return;
      const w = (profile.weights?.[m] ?? 1) * a[k]!;
      const T = applyTemperatures ? profile.temperatures?.[m] : undefined;
      const p = T ? temper(Float64Array.from(d), T) : d;
      for (let c = 0; c < C; c++) f[c]! += w * p[c]!;
      total += w;
    });
    return total > 0 ? f.map((v) => v / total) : f.fill(1 / C);
  });
  return score(probs, data.examples.map((e) => e.label), C);
}
