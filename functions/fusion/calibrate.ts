import { f64 } from './buffers.js';

/** Numerically stable softmax of `z / temperature`, written into `out`. */
export function softmax(z: ArrayLike<number>, temperature = 1, out: Float64Array = f64(z.length)): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < z.length; i++) if (z[i]! > max) max = z[i]!;
  let sum = 0;
  for (let i = 0; i < z.length; i++) {
    const e = Math.exp((z[i]! - max) / temperature);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < z.length; i++) out[i]! /= sum;
  return out;
}

/**
 * Temperature scaling of a distribution in place: p' ∝ p^(1/T) (zeros stay zero).
 * Equivalent to softmax(log p / T), the standard calibration of Guo et al. (2017).
 */
export function temper(p: Float64Array, temperature: number): Float64Array {
  if (temperature === 1) return p;
  let max = 0;
  for (let i = 0; i < p.length; i++) if (p[i]! > max) max = p[i]!;
  let sum = 0;
  // Dividing by the max first keeps p^(1/T) from underflowing for small T.
  for (let i = 0; i < p.length; i++) {
    const v = p[i]! > 0 ? Math.exp(Math.log(p[i]! / max) / temperature) : 0;
    p[i] = v;
    sum += v;
  }
  for (let i = 0; i < p.length; i++) p[i]! /= sum;
  return p;
}

/** Index of the largest value; the first one on ties. */
export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}
