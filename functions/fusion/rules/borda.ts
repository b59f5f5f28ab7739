import type { Prepared } from '../prepare.js';
import { type Strategy, normalise } from '../strategy.js';

// Scratch for many classes: the values and their classes, sorted together.
let keys = new Float64Array(0);
let order = new Int32Array(0);

/**
 * Borda points of one distribution: C−1 for the top class ... 0 for the last; tied classes
 * share the mean of their points. Equivalently, points_c = #{j : d_j < d_c} + #{j ≠ c : d_j = d_c} / 2,
 * counted pair by pair for few classes and from the ascending order of the classes for many.
 */
export function bordaPoints(d: Float64Array, out = new Float64Array(d.length)): Float64Array {
  const C = d.length;
  if (C <= 16) {
    // Each pair once: the larger gets a point, equal ones half a point each (sums of halves are
    // exact). Arithmetic on the comparisons instead of branches: random data mispredicts them.
    for (let c = 0; c < C; c++) out[c] = 0;
    for (let i = 0; i < C; i++) {
      const di = d[i]!;
      for (let j = i + 1; j < C; j++) {
        const h = (1 + +(di < d[j]!) - +(di > d[j]!)) / 2; // j's share: 1, 0.5 or 0
        out[j]! += h;
        out[i]! += 1 - h;
      }
    }
    return out;
  }
  if (keys.length !== C) (keys = new Float64Array(C)), (order = new Int32Array(C));
  keys.set(d);
  for (let c = 0; c < C; c++) order[c] = c;
  sortPairs(keys, order, 0, C);
  // A run of equal values at ascending positions i..j shares the points i..j: their mean.
  for (let i = 0; i < C; ) {
    let j = i;
    while (j + 1 < C && keys[j + 1] === keys[i]) j++;
    for (let r = i; r <= j; r++) out[order[r]!] = (i + j) / 2;
    i = j + 1;
  }
  return out;
}

/**
 * Sorts `keys[lo, hi)` ascending and moves `idx` along: quicksort down to runs of 16, then
 * insertion sort. Hand-written because the builtin sort with a comparator costs several times
 * more on a few hundred classes. Each partition is two branch-free passes around a median-of-three
 * pivot (below it, then equal to it), each key swapped with the boundary, which then advances
 * by the comparison: random probabilities make a branch on each comparison mispredict half the
 * time, and the equal part keeps many ties (a label's C − 1 equal values) linear.
 */
function sortPairs(keys: Float64Array, idx: Int32Array, lo: number, hi: number): void {
  while (hi - lo > 16) {
    const a = keys[lo]!;
    const b = keys[(lo + hi) >> 1]!;
    const c = keys[hi - 1]!;
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let less = lo;
    for (let i = lo; i < hi; i++) less = swapIn(keys, idx, i, less, +(keys[i]! < pivot));
    let equal = less;
    for (let i = less; i < hi; i++) equal = swapIn(keys, idx, i, equal, +(keys[i] === pivot));
    // Recurse into the smaller side, loop on the larger: depth stays O(log C).
    if (less - lo < hi - equal) (sortPairs(keys, idx, lo, less), (lo = equal));
    else (sortPairs(keys, idx, equal, hi), (hi = less));
  }
  for (let i = lo + 1; i < hi; i++) {
    const k = keys[i]!;
    const v = idx[i]!;
    let j = i - 1;
    for (; j >= lo && keys[j]! > k; j--) (keys[j + 1] = keys[j]!), (idx[j + 1] = idx[j]!);
    keys[j + 1] = k;
    idx[j + 1] = v;
  }
}

/** Swaps entries i and at; returns the boundary `at`, advanced by `step` (0 or 1). */
function swapIn(keys: Float64Array, idx: Int32Array, i: number, at: number, step: number): number {
  const k = keys[i]!;
  const v = idx[i]!;
  keys[i] = keys[at]!;
  idx[i] = idx[at]!;
  keys[at] = k;
  idx[at] = v;
  return at + step;
}

/** Borda points of class c alone, in O(C). */
function pointsOf(d: Float64Array, c: number): number {
  const v = d[c]!;
  let below = 0;
  let tied = 0;
  for (let j = 0; j < d.length; j++) (below += +(d[j]! < v)), (tied += +(d[j] === v));
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
    for (let c = 0; c < C; c++) out[c] = 0;
    for (let k = 0; k < p.dists.length; k++) {
      const w = p.normWeights[k]!;
      if (w === 0) continue;
      bordaPoints(p.dists[k]!, points);
      for (let c = 0; c < C; c++) out[c]! += w * points[c]!;
    }
    normalise(out);
  },
  support: (p, k, c) => p.normWeights[k]! * pointsOf(p.dists[k]!, c),
};
