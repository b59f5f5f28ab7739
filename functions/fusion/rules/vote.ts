import type { Prepared } from '../prepare.js';
import { type Strategy, normalise } from '../strategy.js';

function ballot(p: Prepared, k: number): number {
  return p.mode === 'confidence' ? p.normWeights[k]! * p.confidences[k]! : p.normWeights[k]!;
}

/**
 * Voting: each modality votes for its label (else its argmax). `mode: "hard"` gives each
 * vote its normalised weight (majority / weighted voting); `"confidence"` multiplies it by
 * the modality's confidence (confidence-weighted voting).
 */
export const vote: Strategy = {
  name: 'vote',
  description: 'Majority, weighted or confidence-weighted voting (options.mode: "hard" | "confidence").',
  weighted: true,
  parameters: ['weights', 'options.adaptiveWeights', 'options.mode', 'options.temperatures', 'options.minModalities', 'options.tieBreak'],
  reference: 'Kuncheva, Combining Pattern Classifiers, 2nd ed., Wiley 2014, ch. 5',
  votes: true,
  combine(p, out) {
    for (let c = 0; c < out.length; c++) out[c] = 0;
    for (let k = 0; k < p.votesFor.length; k++) out[p.votesFor[k]!]! += ballot(p, k);
    normalise(out);
  },
  support: (p, k, c) => (p.votesFor[k] === c ? ballot(p, k) : 0),
};
