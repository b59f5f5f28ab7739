import { type Strategy, normalise } from '../strategy.js';

/**
 * Product rule / log-linear pooling: f_c ∝ Π_k max(p_kc, ε)^w_k · prior_c^(1 − Σ_k w_k).
 * Weights are exponents, used as given; the prior factor is Kittler's correction for the
 * prior being counted once per modality. Computed in log space.
 */
export const product: Strategy = {
  name: 'product',
  description: 'Product rule (log-linear pooling): weights as exponents, optional prior correction.',
  weighted: true,
  parameters: ['weights', 'options.adaptiveWeights', 'options.priors', 'options.epsilon', 'options.temperatures', 'options.minModalities', 'options.tieBreak'],
  reference: 'Kittler, Hatef, Duin & Matas, On combining classifiers, IEEE TPAMI 1998',
  combine(p, out) {
    const K = p.dists.length;
    const C = out.length;
    // Exponents are divided by the largest weight s and multiplied back at the end, so that
    // huge weights sharpen the result instead of overflowing the sums.
    let s = 0;
    for (let k = 0; k < K; k++) if (p.weights[k]! > s) s = p.weights[k]!;
    let wSum = 0;
    const eps = p.epsilon;
    for (let c = 0; c < C; c++) out[c] = 0;
    for (let k = 0; k < K; k++) {
      const w = p.weights[k]! / s;
      if (w === 0) continue;
      wSum += w;
      const d = p.dists[k]!;
      for (let c = 0; c < C; c++) out[c]! += w * Math.log(d[c]! > eps ? d[c]! : eps);
    }
    const exponent = 1 / s - wSum; // (1 − Σ_k w_k) / s
    if (p.priors && exponent !== 0) {
      let total = 0;
      for (let c = 0; c < C; c++) total += p.priors[c]!;
      for (let c = 0; c < C; c++) out[c]! += exponent * Math.log(p.priors[c]! / total);
    }
    let max = -Infinity;
    for (let c = 0; c < C; c++) if (out[c]! > max) max = out[c]!;
    for (let c = 0; c < C; c++) out[c] = Math.exp(s * (out[c]! - max));
    normalise(out);
  },
  support: (p, k, c) => p.weights[k]! * p.dists[k]![c]!,
};
