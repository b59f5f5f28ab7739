/**
 * Platt scaling (Platt, Probabilistic outputs for support vector machines, 1999, with the
 * Newton method of Lin, Lin & Weng, A note on Platt's probabilistic outputs for support vector
 * machines, Machine Learning 2007). The same fit as scikit-learn's
 * `sklearn.calibration._sigmoid_calibration(f, y)`.
 */
import { sigmoid } from './apply.js';

/**
 * The (a, b) of P(y = 1 | f) = 1 / (1 + exp(a·f + b)) minimising the cross-entropy against
 * Platt's regularised targets (N₊ + 1)/(N₊ + 2) and 1/(N₋ + 2). The loss is convex; Newton
 * steps with backtracking from scikit-learn's start (0, log((N₋ + 1)/(N₊ + 1))).
 */
export function fitPlatt(f: ArrayLike<number>, positive: ArrayLike<boolean>): { a: number; b: number } {
  const n = f.length;
  let n1 = 0;
  for (let i = 0; i < n; i++) if (positive[i]) n1++;
  const n0 = n - n1;
  const hi = (n1 + 1) / (n1 + 2);
  const lo = 1 / (n0 + 2);
  const target = (i: number) => (positive[i] ? hi : lo);
  const loss = (a: number, b: number) => {
    let l = 0;
    for (let i = 0; i < n; i++) {
      const u = a * f[i]! + b;
      const t = target(i);
      // t·log(1 + e^u) + (1 − t)·log(1 + e^−u), each term computed without overflow
      l += t * softplus(u) + (1 - t) * softplus(-u);
    }
    return l;
  };
  let a = 0;
  let b = Math.log((n0 + 1) / (n1 + 1));
  let current = loss(a, b);
  for (let it = 0; it < 100; it++) {
    let ga = 0, gb = 0, haa = 0, hab = 0, hbb = 0;
    for (let i = 0; i < n; i++) {
      const p = sigmoid(a, b, f[i]!);
      const d = target(i) - p; // ∂loss/∂u
      const w = p * (1 - p);
      ga += d * f[i]!;
      gb += d;
      haa += w * f[i]! * f[i]!;
      hab += w * f[i]!;
      hbb += w;
    }
    if (Math.abs(ga) + Math.abs(gb) < 1e-12 * Math.max(1, n)) break;
    // A tiny ridge keeps the step defined when every f is equal (a singular Hessian).
    const ridge = 1e-12 * (haa + hbb) + 1e-300;
    const det = (haa + ridge) * (hbb + ridge) - hab * hab;
    const da = -((hbb + ridge) * ga - hab * gb) / det;
    const db = -((haa + ridge) * gb - hab * ga) / det;
    let step = 1;
    let next = loss(a + da, b + db);
    while (!(next <= current) && step > 1e-10) (step /= 2), (next = loss(a + step * da, b + step * db));
    if (!(next <= current)) break;
    a += step * da;
    b += step * db;
    const improved = current - next;
    current = next;
    if (improved <= 1e-15 * Math.max(1, current)) break;
  }
  return { a, b };
}

function softplus(u: number): number {
  return u > 0 ? u + Math.log1p(Math.exp(-u)) : Math.log1p(Math.exp(u));
}
