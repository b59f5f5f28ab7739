import type { Dataset, Example } from './data.js';
import type { Rng } from './rng.js';

/** A design matrix: n rows of F features (row-major) and each row's class. */
export interface Matrix {
  X: Float64Array;
  y: Int32Array;
  n: number;
  F: number;
}

/** Each modality's mean distribution over the examples where it is present (uniform if never). */
export function meanFill(data: Dataset): Float64Array[] {
  const C = data.classes.length;
  return data.modalities.map((_, k) => {
    const sum = new Float64Array(C);
    let count = 0;
    for (const e of data.examples) {
      const d = e.dists[k];
      if (!d) continue;
      count++;
      for (let c = 0; c < C; c++) sum[c]! += d[c]!;
    }
    return count ? sum.map((v) => v / count) : sum.fill(1 / C);
  });
}

/** Concatenates the modalities' distributions (fill where absent) into `out` at `offset`. */
export function featurise(dists: ArrayLike<Float64Array | undefined>, fill: Float64Array[], out: Float64Array, offset = 0): Float64Array {
  for (let k = 0; k < fill.length; k++) {
    const d = dists[k] ?? fill[k]!;
    out.set(d, offset + k * d.length);
  }
  return out;
}

export interface DropoutOptions {
  /** Probability of removing each present modality (at least one always stays). */
  p: number;
  /** Dropped-out copies of each example. */
  copies: number;
  rng: Rng;
}

/**
 * The design matrix of `examples`. With modality dropout, each example appears `copies` times,
 * each copy with every present modality independently replaced by its fill vector with
 * probability p (keeping at least one), so the model learns to cope with absent modalities.
 */
export function designMatrix(examples: Example[], fill: Float64Array[], dropout?: DropoutOptions): Matrix {
  const K = fill.length;
  const C = fill[0]!.length;
  const F = K * C;
  const copies = dropout && dropout.p > 0 ? dropout.copies : 1;
  const n = examples.length * copies;
  const X = new Float64Array(n * F);
  const y = new Int32Array(n);
  const kept: (Float64Array | undefined)[] = new Array(K);
  let row = 0;
  for (const e of examples) {
    for (let r = 0; r < copies; r++, row++) {
      y[row] = e.label;
      if (copies === 1) {
        featurise(e.dists, fill, X, row * F);
        continue;
      }
      const present: number[] = [];
      for (let k = 0; k < K; k++) {
        kept[k] = e.dists[k] && dropout!.rng() >= dropout!.p ? e.dists[k] : undefined;
        if (e.dists[k]) present.push(k);
      }
      if (present.length && present.every((k) => !kept[k])) {
        const k = present[Math.floor(dropout!.rng() * present.length)]!;
        kept[k] = e.dists[k];
      }
      featurise(kept, fill, X, row * F);
    }
  }
  return { X, y, n, F };
}
