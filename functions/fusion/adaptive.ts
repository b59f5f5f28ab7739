/**
 * Confidence-adaptive weights (`options.adaptiveWeights: "entropy"`): each modality's weight
 * follows how sure its calibrated distribution is, request by request, in the spirit of dynamic
 * classifier selection (Cruz, Sabourin & Cavalcanti, Dynamic classifier selection: recent
 * advances and perspectives, Information Fusion 2018).
 */
import type { Prepared } from './prepare.js';
import type { Strategy } from './strategy.js';

/** The parameter a strategy lists when it adapts its weights; the others ignore the option. */
export const ADAPTIVE = 'options.adaptiveWeights';

/**
 * 1 − H(d) / ln C, with H the Shannon entropy in nats: 1 for a sure prediction, 0 for a
 * uniform one. Clamped to [0, 1] against rounding.
 */
export function certainty(d: ArrayLike<number>): number {
  const C = d.length;
  let h = 0;
  for (let c = 0; c < C; c++) {
    const v = d[c]!;
    if (v > 0) h -= v * Math.log(v);
  }
  const r = 1 - h / Math.log(C);
  return r > 0 ? (r < 1 ? r : 1) : 0;
}

/**
 * Gives the request effective weights w_k · certainty(p_k) in place of its weights (and the
 * normalised weights recomputed), also reported in `effectiveWeights`; if every effective
 * weight is 0 the plain weights stay. Adapts once: a request already adapted is left as it is.
 * The weight arrays are replaced, not written into, so a shallow copy keeps the original.
 */
export function adapt(p: Prepared): Prepared {
  if (p.effectiveWeights) return p;
  const K = p.weights.length;
  const eff: number[] = new Array(K);
  let max = 0;
  for (let k = 0; k < K; k++) {
    const w = p.weights[k]! * certainty(p.dists[k]!);
    eff[k] = w;
    if (w > max) max = w;
  }
  if (!(max > 0)) {
    p.effectiveWeights = p.weights;
    return p;
  }
  const normWeights: number[] = new Array(K);
  let sum = 0;
  for (let k = 0; k < K; k++) sum += normWeights[k] = eff[k]! / max;
  for (let k = 0; k < K; k++) normWeights[k]! /= sum;
  p.weights = eff;
  p.normWeights = normWeights;
  p.effectiveWeights = eff;
  return p;
}

/**
 * The request as `strategy` sees it: adapted (in place) when it asks for adaptive weights and
 * the strategy lists them. `decide` runs one strategy on a request; callers running several
 * strategies on one prepared request pass each a shallow copy.
 */
export function forStrategy(strategy: Strategy, p: Prepared): Prepared {
  return p.adaptive && strategy.parameters.includes(ADAPTIVE) ? adapt(p) : p;
}
