import { type Strategy, normalise } from '../strategy.js';

/** Sum rule / weighted averaging: f = Σ ŵ_k p_k (Kittler et al., "On combining classifiers", 1998). */
export const average: Strategy = {
  name: 'average',
  description: 'Sum rule: weighted average of the modalities’ calibrated distributions.',
  weighted: true,
  parameters: ['weights', 'options.adaptiveWeights', 'options.temperatures', 'options.minModalities', 'options.tieBreak'],
  reference: 'Kittler, Hatef, Duin & Matas, On combining classifiers, IEEE TPAMI 1998',
  combine(p, out) {
    for (let c = 0; c < out.length; c++) out[c] = 0;
    for (let k = 0; k < p.dists.length; k++) {
      const d = p.dists[k]!;
      const w = p.normWeights[k]!;
      for (let c = 0; c < out.length; c++) out[c]! += w * d[c]!;
    }
    normalise(out);
  },
  support: (p, k, c) => p.normWeights[k]! * p.dists[k]![c]!,
};
