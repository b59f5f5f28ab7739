import type { Matrix } from './features.js';
import { type Objective, minimize } from './lbfgs.js';
import { type LinearParams, linearScores } from './logistic.js';

/** Platt sigmoid of each class: P(c | f) = 1 / (1 + exp(a·f + b)). */
export interface PlattParams {
  a: number[];
  b: number[];
}

export interface SvmOptions {
  C: number;
  /** Out-of-fold folds for the Platt calibration (default 5). */
  folds?: number;
  gtol?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * The primal objective of one binary L2-regularised squared-hinge SVM, as liblinear solves it
 * for scikit-learn's `LinearSVC(C)` (the bias is a constant feature 1 and is penalised too),
 * divided by C·n: mean max(0, 1 − y·w̃·x̃)² + ‖w̃‖² / (2·C·n). θ = [w (F), bias]; `sign[i]` ±1.
 */
export function svmObjective(m: Matrix, sign: Int8Array, C: number): Objective {
  const { X, n, F } = m;
  const reg = 1 / (C * n);
  return (w, grad) => {
    grad.fill(0);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const xo = i * F;
      let s = w[F]!;
      for (let f = 0; f < F; f++) s += w[f]! * X[xo + f]!;
      const margin = 1 - sign[i]! * s;
      if (margin <= 0) continue;
      loss += margin * margin;
      const r = (-2 * sign[i]! * margin) / n;
      for (let f = 0; f < F; f++) grad[f]! += r * X[xo + f]!;
      grad[F]! += r;
    }
    let norm = 0;
    for (let j = 0; j <= F; j++) {
      norm += w[j]! * w[j]!;
      grad[j]! += reg * w[j]!;
    }
    return loss / n + 0.5 * reg * norm;
  };
}

/** One-vs-rest linear SVM: one binary squared-hinge SVM per class, solved with L-BFGS. */
export function fitLinearSvm(m: Matrix, classes: number, o: SvmOptions): LinearParams {
  const coef: number[][] = [];
  const intercept: number[] = [];
  const sign = new Int8Array(m.n);
  for (let c = 0; c < classes; c++) {
    for (let i = 0; i < m.n; i++) sign[i] = m.y[i] === c ? 1 : -1;
    const r = minimize(svmObjective(m, sign, o.C), new Float64Array(m.F + 1), { gtol: o.gtol ?? 1e-10, maxIter: 10_000 });
    coef.push(Array.from(r.x.subarray(0, m.F)));
    intercept.push(r.x[m.F]!);
  }
  return { coef, intercept };
}

/**
 * A one-vs-rest SVM with Platt scaling fitted on out-of-fold decision values, then refitted
 * on all rows (scikit-learn's `CalibratedClassifierCV(LinearSVC(C), method="sigmoid",
 * ensemble=False)`). `fold[i]` is row i's fold (0 .. folds−1).
 */
export function fitCalibratedSvm(m: Matrix, classes: number, fold: Int32Array, o: SvmOptions): LinearParams & { platt: PlattParams } {
  const folds = o.folds ?? 5;
  const decision = new Float64Array(m.n * classes);
  const z = new Float64Array(classes);
  for (let k = 0; k < folds; k++) {
    const model = fitLinearSvm(rows(m, (i) => fold[i] !== k), classes, o);
    for (let i = 0; i < m.n; i++) {
      if (fold[i] !== k) continue;
      linearScores(model, m.X.subarray(i * m.F, (i + 1) * m.F), z);
      decision.set(z, i * classes);
    }
    o.onProgress?.(k + 1, folds + 1);
  }
  const platt: PlattParams = { a: [], b: [] };
  const f = new Float64Array(m.n);
  const positive = new Uint8Array(m.n);
  for (let c = 0; c < classes; c++) {
    for (let i = 0; i < m.n; i++) (f[i] = decision[i * classes + c]!), (positive[i] = m.y[i] === c ? 1 : 0);
    const { a, b } = fitPlatt(f, positive);
    platt.a.push(a);
    platt.b.push(b);
  }
  const final = fitLinearSvm(m, classes, o);
  o.onProgress?.(folds + 1, folds + 1);
  return { ...final, platt };
}

/** The rows of `m` that `keep` selects. */
export function rows(m: Matrix, keep: (i: number) => boolean): Matrix {
  const idx: number[] = [];
  for (let i = 0; i < m.n; i++) if (keep(i)) idx.push(i);
  const X = new Float64Array(idx.length * m.F);
  const y = new Int32Array(idx.length);
  idx.forEach((i, r) => (X.set(m.X.subarray(i * m.F, (i + 1) * m.F), r * m.F), (y[r] = m.y[i]!)));
  return { X, y, n: idx.length, F: m.F };
}

const softplus = (z: number) => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)));

/**
 * Platt's sigmoid fit with his smoothed targets (Platt 1999; the Newton method with
 * backtracking of Lin, Lin & Weng 2007): minimises Σ −t·log P − (1−t)·log(1−P),
 * P = 1 / (1 + exp(a·f + b)).
 */
function fitPlatt(f: Float64Array, positive: Uint8Array): { a: number; b: number } {
  let prior1 = 0;
  for (const p of positive) prior1 += p;
  const prior0 = f.length - prior1;
  const hi = (prior1 + 1) / (prior1 + 2);
  const lo = 1 / (prior0 + 2);
  const loss = (a: number, b: number) => {
    let s = 0;
    for (let i = 0; i < f.length; i++) {
      const z = a * f[i]! + b;
      s += softplus(z) - (1 - (positive[i] ? hi : lo)) * z;
    }
    return s;
  };
  let a = 0;
  let b = Math.log((prior0 + 1) / (prior1 + 1));
  let value = loss(a, b);
  for (let it = 0; it < 100; it++) {
    let ga = 0, gb = 0, haa = 1e-12, hab = 0, hbb = 1e-12;
    for (let i = 0; i < f.length; i++) {
      const z = a * f[i]! + b;
      const p = 1 / (1 + Math.exp(z));
      const r = (positive[i] ? hi : lo) - p;
      const h = p * (1 - p);
      ga += r * f[i]!;
      gb += r;
      haa += h * f[i]! * f[i]!;
      hab += h * f[i]!;
      hbb += h;
    }
    if (Math.abs(ga) < 1e-10 * f.length && Math.abs(gb) < 1e-10 * f.length) break;
    const det = haa * hbb - hab * hab;
    const da = -(hbb * ga - hab * gb) / det;
    const db = -(haa * gb - hab * ga) / det;
    let step = 1;
    let next = loss(a + da, b + db);
    while (next > value + 1e-4 * step * (ga * da + gb * db) && step > 1e-10) next = loss(a + (step /= 2) * da, b + step * db);
    if (step <= 1e-10) break;
    (a += step * da), (b += step * db), (value = next);
  }
  return { a, b };
}

/** Calibrated probabilities: each class's Platt sigmoid, normalised across classes. */
export function plattProbabilities(platt: PlattParams, decision: Float64Array, out: Float64Array): Float64Array {
  let sum = 0;
  for (let c = 0; c < decision.length; c++) sum += out[c] = 1 / (1 + Math.exp(platt.a[c]! * decision[c]! + platt.b[c]!));
  if (!(sum > 0)) return out.fill(1 / decision.length);
  for (let c = 0; c < decision.length; c++) out[c]! /= sum;
  return out;
}
