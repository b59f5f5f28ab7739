import { FusionError } from '../errors.js';
import type { Prepared } from '../prepare.js';
import type { Strategy } from '../strategy.js';

/** Dempster's rule is refused when the conflict K is at least 1 − this. */
export const TOTAL_CONFLICT = 1e-12;

/** The modalities contradict each other completely, so Dempster's rule has nothing to normalise. */
export class TotalConflictError extends FusionError {
  constructor(modalities: string[], conflict: number) {
    const names = modalities.join(', ');
    super(
      'total-conflict',
      `Total conflict: the evidence of ${names} contradicts itself completely (K = ${conflict}), so Dempster's rule is undefined. Use "options": {"combination": "yager"}, which moves the conflict to the whole frame, or weights below 1 to discount the less reliable modalities.`,
      [{ path: 'predictions', message: `${names} leave no class with joint support; set options.combination to "yager" or lower the weights of the less reliable modalities` }],
    );
    this.name = 'TotalConflictError';
  }
}

// `decide` calls combine, then support and details, on the same request: the latest request's
// conflict and uncommitted mass serve `details` without computing them twice.
let last: Prepared | undefined;
let lastConflict = 0;
let lastUncommitted = 0;
let prods = new Float64Array(0);

/**
 * Dempster–Shafer combination of the modalities' mass functions over the singletons and the
 * frame Θ. Probabilities (and logits) are Bayesian masses; a label with confidence γ is a
 * simple support function (γ on the label, 1 − γ on Θ). Each mass function is discounted by
 * the modality's reliability r_k = w_k / max_j w_j, combined with the unnormalised conjunctive
 * rule (closed form: the only focal sets are singletons and Θ), then normalised by Dempster's
 * rule (default) or Yager's, and turned into probabilities by the pignistic transform.
 */
export const dempsterShafer: Strategy = {
  name: 'dempster-shafer',
  description: 'Dempster–Shafer evidence combination with reliability discounting by weight (options.combination: "dempster" | "yager"); pignistic probabilities.',
  weighted: true,
  parameters: ['weights', 'options.combination', 'options.adaptiveWeights', 'options.temperatures', 'options.minModalities', 'options.tieBreak'],
  reference: 'Shafer, A Mathematical Theory of Evidence, 1976; Smets & Kennes, The transferable belief model, Artificial Intelligence 1994; Yager, On the Dempster-Shafer framework and new combination rules, Information Sciences 1987',
  combine(p, out) {
    const C = out.length;
    const K = p.dists.length;
    if (prods.length !== C) prods = new Float64Array(C);
    let max = 0;
    for (let k = 0; k < K; k++) if (p.weights[k]! > max) max = p.weights[k]!;
    let theta = 1; // Π_k m'_k(Θ)
    for (let c = 0; c < C; c++) prods[c] = 1;
    for (let k = 0; k < K; k++) {
      const r = p.weights[k]! / max;
      const pred = p.predictions[p.modalities[k]!]!;
      if (pred.label !== undefined) {
        // Simple support: m({label}) = γ, m(Θ) = 1 − γ; discounted: r·γ and 1 − r·γ.
        const support = r * (pred.confidence ?? 1);
        const rest = 1 - support;
        const label = p.votesFor[k]!;
        for (let c = 0; c < C; c++) prods[c]! *= c === label ? 1 : rest;
        theta *= rest;
      } else {
        // Bayesian: m({c}) = p_c, m(Θ) = 0; discounted: r·p_c and 1 − r.
        const d = p.dists[k]!;
        const rest = 1 - r;
        for (let c = 0; c < C; c++) prods[c]! *= r * d[c]! + rest;
        theta *= rest;
      }
    }
    // q({c}) = Π_k (m'_k({c}) + m'_k(Θ)) − Π_k m'_k(Θ); 1 − K = Σ_c q({c}) + q(Θ), summed
    // directly rather than as 1 − K, which would cancel when the conflict is near 1.
    let committed = 0;
    for (let c = 0; c < C; c++) {
      const q = prods[c]! - theta;
      out[c] = q > 0 ? q : 0;
      committed += out[c]!;
    }
    const kept = committed + theta;
    const conflict = kept < 1 ? 1 - kept : 0;
    let uncommitted: number;
    if (p.combination === 'yager') {
      uncommitted = theta + conflict;
    } else {
      if (conflict >= 1 - TOTAL_CONFLICT) throw new TotalConflictError(p.modalities, conflict);
      for (let c = 0; c < C; c++) out[c]! /= kept;
      uncommitted = theta / kept;
    }
    // Pignistic transform: BetP(c) = m({c}) + m(Θ)/C.
    const share = uncommitted / C;
    for (let c = 0; c < C; c++) out[c]! += share;
    last = p;
    lastConflict = conflict;
    lastUncommitted = uncommitted;
  },
  support: (p, k) => p.normWeights[k]!,
  details(p) {
    if (p !== last) this.combine(p, new Float64Array(p.classes.length));
    return { conflict: lastConflict, uncommitted: lastUncommitted };
  },
};
