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
  parameters: ['weights', 'options.priors', 'options.epsilon', 'options.temperatures', 'options.minModalities', 'options.tieBreak'],
  reference: 'Kittler, Hatef, Duin & Matas, On combining classifiers, IEEE TPAMI 1998',
  combine(p, out) {
    const logEps = Math.log(p.epsilon);
    let wSum = 0;
    out.fill(0);
    for (let k = 0; k < p.dists.length; k++) {
      const d = p.dists[k]!;
      const w = p.weights[k]!;
      wSum += w;
      if (w === 0) continue;
      for (let c = 0; c < out.length; c++) out[c]! += w * (d[c]! > p.epsilon ? Math.log(d[c]!) : logEps);
    }
    if (p.priors && wSum !== 1) {
      let total = 0;
      for (let c = 0; c < out.length; c++) total += p.priors[c]!;
      for (let c = 0; c < out.length; c++) out[c]! += (1 - wSum) * Math.log(p.priors[c]! / total);
    }
    let max = -Infinity;
    for (let c = 0; c < out.length; c++) if (out[c]! > max) max = out[c]!;
    for (let c = 0; c < out.length; c++) out[c] = Math.exp(out[c]! - max);
    normalise(out);
  },
  support: (p, k, c) => p.weights[k]! * p.dists[k]![c]!,
};
