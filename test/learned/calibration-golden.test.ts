import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { calibrate, fitCurves } from '../../functions/fusion/calibration/index.js';
import type { FieldError } from '../../functions/fusion/index.js';
import { parseDataset } from '../../functions/fusion/learned/index.js';
import { head, load } from './helpers.js';

// Made once by scripts/sklearn_calibration_golden.py with scikit-learn (see the file's "sklearn" field).
const golden = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/sklearn-calibration-golden.json'), 'utf8'));

describe('per-modality calibration: parity with scikit-learn on the digits data', () => {
  const { profile, trainText, testText } = load('digits-3view');
  // As the calibrators are fitted: the profile's calibration (none here) left out.
  const train = parseDataset(trainText, profile, { calibration: false });
  const testRows = parseDataset(head(testText, golden.testRows), profile).examples;
  const labels = train.examples.map((e) => e.label);
  const positive = Number(golden.binaryPositive);
  expect(train.examples).toHaveLength(golden.trainRows);
  expect(testRows).toHaveLength(golden.testRows);

  /** The largest absolute difference between our calibrated test rows and scikit-learn's. */
  function worst(method: 'platt' | 'isotonic', binary: boolean): number {
    let max = 0;
    train.modalities.forEach((m, k) => {
      const expected = golden.modalities[m][binary ? (method === 'platt' ? 'binaryPlatt' : 'binaryIsotonic') : method];
      const toBinary = (d: Float64Array) => Float64Array.of(1 - d[positive]!, d[positive]!);
      const dists = train.examples.map((e) => (binary ? toBinary(e.dists[k]!) : e.dists[k]!));
      const y = binary ? labels.map((l) => +(l === positive)) : labels;
      const cal = fitCurves(method, dists, y, binary ? 2 : 10);
      testRows.forEach((e, i) => {
        const d = binary ? toBinary(e.dists[k]!) : Float64Array.from(e.dists[k]!);
        const errors: FieldError[] = [];
        calibrate(cal, d, errors, m);
        expect(errors).toEqual([]);
        if (binary) {
          max = Math.max(max, Math.abs(d[1]! - expected[i]), Math.abs(d[0]! - (1 - expected[i])));
        } else for (let c = 0; c < 10; c++) max = Math.max(max, Math.abs(d[c]! - expected[i][c]));
      });
    });
    return max;
  }

  interface Fit { a: number; b: number; sigmoidCalibration: [number, number]; converged: boolean }

  it('should fit the Platt sigmoids of _sigmoid_calibration where it converged, and of the same objective solved by LogisticRegression everywhere (a, b within 1e-4)', () => {
    let compared = 0;
    train.modalities.forEach((m, k) => {
      const cal = fitCurves('platt', train.examples.map((e) => e.dists[k]!), labels, 10);
      if (cal.method !== 'platt') throw new Error('expected platt');
      (golden.modalities[m].plattFits as Fit[]).forEach((fit, c) => {
        expect(Math.abs(cal.a[c]! - fit.a), `${m} a${c}`).toBeLessThan(1e-4);
        expect(Math.abs(cal.b[c]! - fit.b), `${m} b${c}`).toBeLessThan(1e-4);
        if (!fit.converged) return;
        compared++;
        expect(Math.abs(cal.a[c]! - fit.sigmoidCalibration[0]), `${m} a${c}`).toBeLessThan(1e-4);
        expect(Math.abs(cal.b[c]! - fit.sigmoidCalibration[1]), `${m} b${c}`).toBeLessThan(1e-4);
      });
    });
    // scikit-learn 1.2's own BFGS stops early on 2 of the 30 (see the generator's docstring).
    expect(compared).toBeGreaterThanOrEqual(28);
  });

  it('should give multiclass Platt probabilities within 1e-4', () => expect(worst('platt', false)).toBeLessThan(1e-4));
  it('should give binary Platt probabilities within 1e-4', () => expect(worst('platt', true)).toBeLessThan(1e-4));
  it('should give multiclass isotonic probabilities within 1e-6', () => expect(worst('isotonic', false)).toBeLessThan(1e-6));
  it('should give binary isotonic probabilities within 1e-6', () => expect(worst('isotonic', true)).toBeLessThan(1e-6));
});
