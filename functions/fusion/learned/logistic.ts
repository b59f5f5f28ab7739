import type { Matrix } from './features.js';
import { type Objective, minimize } from './lbfgs.js';

/** Parameters of a linear model: `coef[c][f]` and `intercept[c]`. */
export interface LinearParams {
  coef: number[][];
  intercept: number[];
}

export interface LogisticOptions {
  /** Inverse regularisation strength, as scikit-learn's `C`. */
  C: number;
  gtol?: number;
  maxIter?: number;
  onIteration?: (iteration: number, gradNorm: number) => void;
}

/**
 * The multinomial logistic regression objective of scikit-learn's `LogisticRegression(C)`,
 * divided by C·n (same minimiser, better scaled): mean cross-entropy + ‖W‖² / (2·C·n), the
 * intercept unpenalised. θ = [W (classes × F, row-major), b (classes)].
 */
export function logisticObjective(m: Matrix, classes: number, C: number): Objective {
  const { X, y, n, F } = m;
  const z = new Float64Array(classes);
  const reg = 1 / (C * n);
  return (theta, grad) => {
    grad.fill(0);
    const gb = classes * F;
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const xo = i * F;
      let max = -Infinity;
      for (let c = 0; c < classes; c++) {
        let s = theta[gb + c]!;
        const wo = c * F;
        for (let f = 0; f < F; f++) s += theta[wo + f]! * X[xo + f]!;
        z[c] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += Math.exp(z[c]! - max);
      const lse = max + Math.log(sum);
      loss += lse - z[y[i]!]!;
      for (let c = 0; c < classes; c++) {
        const r = (Math.exp(z[c]! - lse) - (c === y[i] ? 1 : 0)) / n;
        if (r === 0) continue;
        const wo = c * F;
        for (let f = 0; f < F; f++) grad[wo + f]! += r * X[xo + f]!;
        grad[gb + c]! += r;
      }
    }
    let norm = 0;
    for (let j = 0; j < gb; j++) {
      norm += theta[j]! * theta[j]!;
      grad[j]! += reg * theta[j]!;
    }
    return loss / n + 0.5 * reg * norm;
  };
}

/** Largest gradient component at which the (C·n-scaled) objective counts as minimised. */
export const LOGISTIC_GTOL = 1e-9;

/** Fits multinomial logistic regression with L-BFGS to a tight gradient norm. */
export function fitLogistic(m: Matrix, classes: number, o: LogisticOptions): LinearParams {
  const fg = logisticObjective(m, classes, o.C);
  const r = minimize(fg, new Float64Array(classes * (m.F + 1)), {
    gtol: o.gtol ?? LOGISTIC_GTOL,
    maxIter: o.maxIter ?? 10_000,
    ...(o.onIteration ? { onIteration: (it: number, _f: number, g: number) => o.onIteration!(it, g) } : {}),
  });
  const params = unpack(r.x, classes, m.F);
  // Softmax ignores a shift of every intercept; centring picks one representative.
  const mean = params.intercept.reduce((a, b) => a + b, 0) / classes;
  params.intercept = params.intercept.map((b) => b - mean);
  return params;
}

/** Splits θ = [W, b] into coefficient rows and intercepts. */
function unpack(theta: Float64Array, classes: number, F: number): LinearParams {
  const coef = Array.from({ length: classes }, (_, c) => Array.from(theta.subarray(c * F, (c + 1) * F)));
  return { coef, intercept: Array.from(theta.subarray(classes * F, classes * F + classes)) };
}

/** Linear scores W·x + b into `out`. */
export function linearScores(p: LinearParams, x: ArrayLike<number>, out: Float64Array): Float64Array {
  for (let c = 0; c < p.coef.length; c++) {
    const w = p.coef[c]!;
    let s = p.intercept[c]!;
    for (let f = 0; f < w.length; f++) s += w[f]! * x[f]!;
    out[c] = s;
  }
  return out;
}
