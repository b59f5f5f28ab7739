/** Fits one calibrator per modality on a labelled data set (the training side of `apply.ts`). */
import type { Dataset } from '../learned/data.js';
import { fitTemperatures } from '../learned/fitted.js';
import { logit } from './apply.js';
import { fitIsotonic } from './isotonic.js';
import { fitPlatt } from './platt.js';
import type { Calibration, CalibrationMethod, Calibrator } from './schema.js';

/**
 * One class's calibrator input: the class probability of every example where the modality is
 * present, and whether that class is the true one (one-vs-rest).
 */
function column(dists: Float64Array[], labels: number[], c: number): { p: Float64Array; positive: boolean[] } {
  return { p: Float64Array.from(dists, (d) => d[c]!), positive: labels.map((y) => y === c) };
}

/** A platt or isotonic calibrator: the second class of two, else each class one-vs-rest. */
export function fitCurves(method: 'platt' | 'isotonic', dists: Float64Array[], labels: number[], C: number): Calibrator {
  const classes = C === 2 ? [1] : Array.from({ length: C }, (_, c) => c);
  if (method === 'platt') {
    const fits = classes.map((c) => {
      const { p, positive } = column(dists, labels, c);
      return fitPlatt(p.map(logit), positive);
    });
    return { method, a: fits.map((f) => f.a), b: fits.map((f) => f.b) };
  }
  const fits = classes.map((c) => {
    const { p, positive } = column(dists, labels, c);
    return fitIsotonic(p, positive.map(Number));
  });
  return { method, x: fits.map((f) => f.x), y: fits.map((f) => f.y) };
}

/**
 * Each modality's calibrator, fitted on the examples where it is present (the data must be
 * parsed without the profile's calibration). Modalities absent from every example get none.
 */
export function fitCalibration(data: Dataset, method: CalibrationMethod): Calibration {
  const out: Calibration = {};
  const temperatures = method === 'temperature' ? fitTemperatures(data) : [];
  data.modalities.forEach((m, k) => {
    const dists: Float64Array[] = [];
    const labels: number[] = [];
    for (const e of data.examples) if (e.dists[k]) dists.push(e.dists[k]!), labels.push(e.label);
    if (!dists.length) return;
    out[m] = method === 'temperature' ? { method, temperature: temperatures[k]! } : fitCurves(method, dists, labels, data.classes.length);
  });
  return out;
}
