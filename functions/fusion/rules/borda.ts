import type { Prepared } from '../prepare.js';
import { type Strategy, normalise } from '../strategy.js';

/** Borda points of one distribution: C−1 for the top class ... 0 for the last; ties share the mean. */
export function bordaPoints(d: Float64Array): Float64Array {
  const C = d.length;
  const order = Array.from({ length: C }, (_, i) => i).sort((a, b) => d[b]! - d[a]!);
  const points = new Float64Array(C);
  for (let i = 0; i < C; ) {
    let j = i;
    while (j + 1 < C && d[order[j + 1]!] === d[order[i]!]) j++;
    // Positions i..j share points C-1-i .. C-1-j: their mean.
    const shared = C - 1 - (i + j) / 2;
    for (let r = i; r <= j; r++) points[order[r]!] = shared;
    i = j + 1;
  }
  return points;
}

const cache = new WeakMap<Prepared, Float64Array[]>();
function points(p: Prepared): Float64Array[] {
  let pts = cache.get(p);
  if (!pts) cache.set(p, (pts = p.dists.map(bordaPoints)));
  return pts;
}

/** Borda count: f ∝ Σ ŵ_k points_k. */
export const borda: Strategy = {
  name: 'borda',
  description: 'Borda count: weighted rank points (C−1 for each modality’s top class, ties share).',
  weighted: true,
  parameters: ['weights', 'options.temperatures', 'options.minModalities', 'options.tieBreak'],
  reference: 'Ho, Hull & Srihari, Decision combination in multiple classifier systems, IEEE TPAMI 1994',
  combine(p, out) {
    out.fill(0);
    const pts = points(p);
    for (let k = 0; k < pts.length; k++) for (let c = 0; c < out.length; c++) out[c]! += p.normWeights[k]! * pts[k]![c]!;
    normalise(out);
  },
  support: (p, k, c) => p.normWeights[k]! * points(p)[k]![c]!,
};
