/**
 * Isotonic regression by pool-adjacent-violators (Ayer et al., An empirical distribution
 * function for sampling with incomplete information, Ann. Math. Statist. 1955; as calibration:
 * Zadrozny & Elkan, KDD 2002). The same fit as scikit-learn's
 * `IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1)`.
 */
import { MAX_ISOTONIC_POINTS } from './schema.js';

/** Values closer than this count as one x (numpy's float64 resolution, as scikit-learn's `_make_unique`). */
const RESOLUTION = 1e-15;

/**
 * The non-decreasing curve of y on x minimising squared error, as breakpoints: equal x are
 * pooled (mean y), PAV is run, values clipped to [0, 1], and interior points of flat runs
 * dropped. Curves longer than `MAX_ISOTONIC_POINTS` are thinned evenly (ends kept).
 */
export function fitIsotonic(x: ArrayLike<number>, y: ArrayLike<number>): { x: number[]; y: number[] } {
  const n = x.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => x[i]! - x[j]! || y[i]! - y[j]!);
  // Pool equal x: value = mean y, weight = count.
  const xs: number[] = [];
  const sums: number[] = [];
  const weights: number[] = [];
  for (const i of order) {
    const last = xs.length - 1;
    if (last >= 0 && x[i]! - xs[last]! < RESOLUTION) (sums[last]! += y[i]!), weights[last]!++;
    else xs.push(x[i]!), sums.push(y[i]!), weights.push(1);
  }
  // PAV over blocks: each block has a weighted mean and spans a run of pooled points.
  const m = xs.length;
  const mean: number[] = [];
  const weight: number[] = [];
  const size: number[] = [];
  for (let i = 0; i < m; i++) {
    mean.push(sums[i]! / weights[i]!), weight.push(weights[i]!), size.push(1);
    while (mean.length > 1 && mean[mean.length - 2]! >= mean[mean.length - 1]!) {
      const w = weight.pop()!, v = mean.pop()!, s = size.pop()!;
      const top = mean.length - 1;
      mean[top] = (mean[top]! * weight[top]! + v * w) / (weight[top]! + w);
      weight[top]! += w;
      size[top]! += s;
    }
  }
  const ys: number[] = [];
  for (let b = 0; b < mean.length; b++) {
    const v = Math.min(1, Math.max(0, mean[b]!));
    for (let s = 0; s < size[b]!; s++) ys.push(v);
  }
  // Keep the ends and every point where the value changes on either side.
  const keptX: number[] = [];
  const keptY: number[] = [];
  for (let i = 0; i < m; i++) {
    if (i === 0 || i === m - 1 || ys[i] !== ys[i - 1] || ys[i] !== ys[i + 1]) keptX.push(xs[i]!), keptY.push(ys[i]!);
  }
  return thin(keptX, keptY);
}

function thin(x: number[], y: number[]): { x: number[]; y: number[] } {
  const n = x.length;
  if (n <= MAX_ISOTONIC_POINTS) return { x, y };
  const out = { x: [] as number[], y: [] as number[] };
  for (let j = 0; j < MAX_ISOTONIC_POINTS; j++) {
    const i = Math.round((j * (n - 1)) / (MAX_ISOTONIC_POINTS - 1));
    out.x.push(x[i]!), out.y.push(y[i]!);
  }
  return out;
}
