/** Objective: returns f(x) and writes ∇f(x) into `grad`. */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

export interface LbfgsOptions {
  /** Stop when the largest gradient component is at most this (scipy's `pgtol`). */
  gtol?: number;
  maxIter?: number;
  /** Number of correction pairs kept. */
  memory?: number;
  onIteration?: (iteration: number, f: number, gradNorm: number) => void;
}

export interface LbfgsResult {
  x: Float64Array;
  f: number;
  gradNorm: number;
  iterations: number;
  converged: boolean;
}

const DEFAULTS = { gtol: 1e-9, maxIter: 5000, memory: 10 };
const C1 = 1e-4;
const C2 = 0.9;

const dot = (a: Float64Array, b: Float64Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};
const infNorm = (a: Float64Array) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
};

/**
 * Limited-memory BFGS with a strong-Wolfe line search (Nocedal & Wright, Numerical
 * Optimization, 2nd ed., algorithms 7.4, 3.5 and 3.6). Deterministic: no randomness.
 */
export function minimize(fg: Objective, x0: Float64Array, options: LbfgsOptions = {}): LbfgsResult {
  const o = { ...DEFAULTS, ...options };
  const n = x0.length;
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let f = fg(x, g);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const d = new Float64Array(n);
  const alpha = new Float64Array(o.memory);
  let xNew = new Float64Array(n);
  let gNew = new Float64Array(n);
  let it = 0;
  for (; it < o.maxIter; it++) {
    const gn = infNorm(g);
    o.onIteration?.(it, f, gn);
    if (gn <= o.gtol) return { x, f, gradNorm: gn, iterations: it, converged: true };
    // Two-loop recursion: d = −H g.
    for (let i = 0; i < n; i++) d[i] = -g[i]!;
    for (let j = S.length - 1; j >= 0; j--) {
      alpha[j] = rho[j]! * dot(S[j]!, d);
      const y = Y[j]!;
      for (let i = 0; i < n; i++) d[i]! -= alpha[j]! * y[i]!;
    }
    if (S.length) {
      const last = S.length - 1;
      const gamma = dot(S[last]!, Y[last]!) / dot(Y[last]!, Y[last]!);
      for (let i = 0; i < n; i++) d[i]! *= gamma;
    }
    for (let j = 0; j < S.length; j++) {
      const beta = rho[j]! * dot(Y[j]!, d);
      const s = S[j]!;
      for (let i = 0; i < n; i++) d[i]! += (alpha[j]! - beta) * s[i]!;
    }
    let dg = dot(d, g);
    if (!(dg < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      S.length = Y.length = rho.length = 0;
      for (let i = 0; i < n; i++) d[i] = -g[i]!;
      dg = dot(d, g);
    }
    const step0 = S.length ? 1 : Math.min(1, 1 / Math.sqrt(-dg));
    const fNew = lineSearch(fg, x, f, dg, d, step0, xNew, gNew);
    if (fNew === undefined) return { x, f, gradNorm: gn, iterations: it, converged: false };
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) (s[i] = xNew[i]! - x[i]!), (y[i] = gNew[i]! - g[i]!);
    const sy = dot(s, y);
    if (sy > 1e-16 * dot(y, y)) {
      if (S.length === o.memory) S.shift(), Y.shift(), rho.shift();
      S.push(s), Y.push(y), rho.push(1 / sy);
    }
    [x, xNew] = [xNew, x];
    [g, gNew] = [gNew, g];
    f = fNew;
  }
  const gn = infNorm(g);
  return { x, f, gradNorm: gn, iterations: it, converged: gn <= o.gtol };
}

/** Strong-Wolfe line search along d; leaves the accepted point in xNew/gNew and returns its f. */
function lineSearch(
  fg: Objective, x: Float64Array, f0: number, dg0: number, d: Float64Array, step0: number,
  xNew: Float64Array, gNew: Float64Array,
): number | undefined {
  let at = NaN;
  const evaluate = (a: number) => {
    for (let i = 0; i < x.length; i++) xNew[i] = x[i]! + a * d[i]!;
    at = a;
    const f = fg(xNew, gNew);
    return { f, dg: dot(gNew, d) };
  };
  const finish = (a: number, f: number) => (at === a ? f : evaluate(a).f);
  const zoom = (lo: number, hi: number, flo: number, fhi: number, dlo: number, dhi: number) => {
    for (let j = 0; j < 40; j++) {
      let a = cubicMin(lo, flo, dlo, hi, fhi, dhi);
      const left = Math.min(lo, hi);
      const width = Math.abs(hi - lo);
      if (!Number.isFinite(a) || a < left + 0.1 * width || a > left + 0.9 * width) a = (lo + hi) / 2;
      const { f, dg } = evaluate(a);
      if (f > f0 + C1 * a * dg0 || f >= flo) (hi = a), (fhi = f), (dhi = dg);
      else {
        if (Math.abs(dg) <= -C2 * dg0) return f;
        if (dg * (hi - lo) >= 0) (hi = lo), (fhi = flo), (dhi = dlo);
        (lo = a), (flo = f), (dlo = dg);
      }
      if (width < 1e-16 * Math.max(1, Math.abs(lo))) break;
    }
    return lo > 0 && flo < f0 ? finish(lo, flo) : undefined;
  };
  let aPrev = 0;
  let fPrev = f0;
  let dPrev = dg0;
  let a = step0;
  for (let i = 0; i < 30; i++) {
    const { f, dg } = evaluate(a);
    if (!Number.isFinite(f) || f > f0 + C1 * a * dg0 || (i > 0 && f >= fPrev)) return zoom(aPrev, a, fPrev, Number.isFinite(f) ? f : Infinity, dPrev, dg);
    if (Math.abs(dg) <= -C2 * dg0) return f;
    if (dg >= 0) return zoom(a, aPrev, f, fPrev, dg, dPrev);
    (aPrev = a), (fPrev = f), (dPrev = dg);
    a *= 2;
  }
  return undefined;
}

/** Minimiser of the cubic through (a, fa, da) and (b, fb, db); NaN when it has none. */
function cubicMin(a: number, fa: number, da: number, b: number, fb: number, db: number): number {
  if (!Number.isFinite(fb) || !Number.isFinite(db)) return NaN;
  const d1 = da + db - (3 * (fa - fb)) / (a - b);
  const disc = d1 * d1 - da * db;
  if (disc < 0) return NaN;
  const d2 = Math.sign(b - a) * Math.sqrt(disc);
  return b - ((b - a) * (db + d2 - d1)) / (db - da + 2 * d2);
}
