import type { Prepared } from '../prepare.js';
import { type Strategy, normalise } from '../strategy.js';

let order = new Int32Array(0);

/**
 * Borda points of one distribution: C−1 for the top class ... 0 for the last; tied classes
 * share the mean of their points. Equivalently, points_c = #{j : d_j < d_c} + #{j ≠ c : d_j = d_c} / 2,
 * counted directly for few classes and from the ascending order of the classes for many.
 */
export function bordaPoints(d: Float64Array, out = new Float64Array(d.length)): Float64Array {
  const C = d.length;
  if (C <= 16) {
    for (let c = 0; c < C; c++) out[c] = pointsOf(d, c);
    return out;
  }
  if (order.length !== C) order = new Int32Array(C);
  for (let c = 0; c < C; c++) order[c] = c;
  sortBy(d, order, 0, C);
  // A run of equal values at ascending positions i..j shares the points i..j: their mean.
  for (let i = 0; i < C; ) {
    let j = i;
    while (j + 1 < C && d[order[j + 1]!] === d[order[i]!]) j++;
    for (let r = i; r <= j; r++) out[order[r]!] = (i + j) / 2;
    i = j + 1;
  }
  return out;
}

/**
 * Sorts `idx[lo, hi)` by ascending `d[idx[i]]`: quicksort (Hoare partition around a
 * median-of-three value) down to runs of 16, then insertion sort. Hand-written because the
 * builtin sort with a comparator costs several times more on a few hundred classes.
 */
function sortBy(d: Float64Array, idx: Int32Array, lo: number, hi: number): void {
  while (hi - lo > 16) {
    const a = d[idx[lo]!]!;
    const b = d[idx[(lo + hi) >> 1]!]!;
    const c = d[idx[hi - 1]!]!;
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = lo;
    let j = hi - 1;
    while (i <= j) {
      while (d[idx[i]!]! < pivot) i++;
      while (d[idx[j]!]! > pivot) j--;
      if (i <= j) {
        const t = idx[i]!;
        idx[i++] = idx[j]!;
        idx[j--] = t;
      }
    }
    // Recurse into the smaller side, loop on the larger: depth stays O(log C).
    if (j + 1 - lo < hi - i) (sortBy(d, idx, lo, j + 1), (lo = i));
    else (sortBy(d, idx, i, hi), (hi = j + 1));
  }
  for (let i = lo + 1; i < hi; i++) {
    const v = idx[i]!;
    let j = i - 1;
    for (; j >= lo && d[idx[j]!]! > d[v]!; j--) idx[j + 1] = idx[j]!;
    idx[j + 1] = v;
  }
}

/** Borda points of class c alone, in O(C). */
function pointsOf(d: Float64Array, c: number): number {
  let below = 0;
  let tied = 0;
  for (let j = 0; j < d.length; j++) {
    if (d[j]! < d[c]!) below++;
    else if (d[j] === d[c]) tied++;
  }
  return below + (tied - 1) / 2;
}

let points = new Float64Array(0);

/** Borda count: f ∝ Σ ŵ_k points_k. */
export const borda: Strategy = {
  name: 'borda',
  description: 'Borda count: weighted rank points (C−1 for each modality’s top class, ties share).',
  weighted: true,
  parameters: ['weights', 'options.temperatures', 'options.minModalities', 'options.tieBreak'],
  reference: 'Ho, Hull & Srihari, Decision combination in multiple classifier systems, IEEE TPAMI 1994',
  combine(p: Prepared, out: Float64Array) {
    const C = out.length;
    if (points.length !== C) points = new Float64Array(C);
    out.fill(0);
    for (let k = 0; k < p.dists.length; k++) {
      const w = p.normWeights[k]!;
      if (w === 0) continue;
      const d = p.dists[k]!;
      if (C <= 16) for (let c = 0; c < C; c++) out[c]! += w * pointsOf(d, c);
      else {
        bordaPoints(d, points);
        for (let c = 0; c < C; c++) out[c]! += w * points[c]!;
      }
    }
    normalise(out);
  },
  support: (p, k, c) => p.normWeights[k]! * pointsOf(p.dists[k]!, c),
};
