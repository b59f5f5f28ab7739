/** Applies a fitted calibrator to one distribution, in place (the serving side of `fit.ts`). */
import { temper } from '../calibrate.js';
import type { FieldError } from '../errors.js';
import type { Calibrator } from './schema.js';

/** Probabilities are clipped to [CLIP, 1 − CLIP] before taking their log-odds, as scikit-learn's users do. */
export const CLIP = 1e-12;

/** log(p / (1 − p)) of p clipped to [1e-12, 1 − 1e-12]. */
export function logit(p: number): number {
  const q = p < CLIP ? CLIP : p > 1 - CLIP ? 1 - CLIP : p;
  return Math.log(q / (1 - q));
}

/** Platt's sigmoid 1 / (1 + exp(a·f + b)) (scikit-learn's `_SigmoidCalibration.predict`). */
export function sigmoid(a: number, b: number, f: number): number {
  return 1 / (1 + Math.exp(a * f + b));
}

/** The piecewise-linear curve through (xs, ys) at v, clipped to its ends (`numpy.interp`). */
export function interpolate(xs: number[], ys: number[], v: number): number {
  const n = xs.length;
  if (!(v > xs[0]!)) return ys[0]!;
  if (v >= xs[n - 1]!) return ys[n - 1]!;
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! <= v) lo = mid;
    else hi = mid;
  }
  const x0 = xs[lo]!;
  const y0 = ys[lo]!;
  return y0 + ((ys[hi]! - y0) * (v - x0)) / (xs[hi]! - x0);
}

/** One class's calibrated (unnormalised) probability. */
function one(cal: Calibrator, i: number, p: number): number {
  if (cal.method === 'platt') return sigmoid(cal.a[i]!, cal.b[i]!, logit(p));
  if (cal.method === 'isotonic') return interpolate(cal.x[i]!, cal.y[i]!, p);
  return p;
}

/**
 * Calibrates `d` in place. Binary platt/isotonic map the second class and give the first
 * 1 − it; multiclass ones map each class and renormalise (an all-zero row becomes uniform),
 * as scikit-learn's `CalibratedClassifierCV` does. A calibrator that does not fit the class
 * count adds an error at `path` instead.
 */
export function calibrate(cal: Calibrator, d: Float64Array, errors: FieldError[], path: string): void {
  if (cal.method === 'temperature') {
    temper(d, cal.temperature);
    return;
  }
  const C = d.length;
  const n = cal.method === 'platt' ? cal.a.length : cal.x.length;
  if (n !== (C === 2 ? 1 : C)) {
    errors.push({ path, message: `this ${cal.method} calibrator has ${n} curve${n === 1 ? '' : 's'} but there are ${C} classes; it needs ${C === 2 ? 1 : C}: refit it with fusion train --model calibration` });
    return;
  }
  if (C === 2) {
    const q = one(cal, 0, d[1]!);
    d[1] = q;
    d[0] = 1 - q;
    return;
  }
  let sum = 0;
  for (let c = 0; c < C; c++) sum += d[c] = one(cal, c, d[c]!);
  if (sum > 0) for (let c = 0; c < C; c++) d[c]! /= sum;
  else for (let c = 0; c < C; c++) d[c] = 1 / C;
}
