import { describe, expect, it } from 'vitest';
import type { Matrix } from '../../functions/fusion/learned/features.js';
import type { Objective } from '../../functions/fusion/learned/lbfgs.js';
import { minimize } from '../../functions/fusion/learned/lbfgs.js';
import { logisticObjective } from '../../functions/fusion/learned/logistic.js';
import { initialParams, mlpObjective } from '../../functions/fusion/learned/mlp.js';
import { mulberry32 } from '../../functions/fusion/learned/rng.js';
import { svmObjective } from '../../functions/fusion/learned/svm.js';

function randomMatrix(n: number, F: number, classes: number, seed: number): Matrix {
  const rng = mulberry32(seed);
  const X = Float64Array.from({ length: n * F }, () => rng());
  const y = Int32Array.from({ length: n }, () => Math.floor(rng() * classes));
  return { X, y, n, F };
}

/** Largest |analytic − central difference| over all coordinates, relative to the gradient scale. */
function gradientError(fg: Objective, theta: Float64Array): number {
  const grad = new Float64Array(theta.length);
  fg(theta, grad);
  const scratch = new Float64Array(theta.length);
  const h = 1e-6;
  let worst = 0;
  let scale = 1e-8;
  for (let j = 0; j < theta.length; j++) {
    const t = theta.slice();
    t[j]! += h;
    const up = fg(t, scratch);
    t[j]! -= 2 * h;
    const down = fg(t, scratch);
    worst = Math.max(worst, Math.abs((up - down) / (2 * h) - grad[j]!));
    scale = Math.max(scale, Math.abs(grad[j]!));
  }
  return worst / scale;
}

describe('gradients agree with central finite differences', () => {
  const m = randomMatrix(40, 6, 3, 1);
  const rng = mulberry32(7);
  const random = (n: number) => Float64Array.from({ length: n }, () => rng() * 2 - 1);

  it('should match for the multinomial logistic objective', () => {
    expect(gradientError(logisticObjective(m, 3, 0.7), random(3 * 7))).toBeLessThan(1e-6);
  });

  it('should match for the squared-hinge SVM objective', () => {
    const sign = Int8Array.from(m.y, (c) => (c === 1 ? 1 : -1));
    expect(gradientError(svmObjective(m, sign, 2), random(7))).toBeLessThan(1e-6);
  });

  it('should match for an MLP with one and with two hidden layers', () => {
    for (const sizes of [[6, 5, 3], [6, 4, 4, 3]]) {
      const theta = initialParams(sizes, mulberry32(3));
      expect(gradientError(mlpObjective(m, sizes, 0.3), theta)).toBeLessThan(1e-5);
    }
  });
});

describe('L-BFGS', () => {
  it('should find the minimum of the Rosenbrock function at (1, 1)', () => {
    const r = minimize((x, g) => {
      const [a, b] = [x[0]!, x[1]!];
      g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
      g[1] = 200 * (b - a * a);
      return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
    }, Float64Array.from([-1.2, 1]), { gtol: 1e-10 });
    expect(r.converged).toBe(true);
    expect(r.x[0]).toBeCloseTo(1, 8);
    expect(r.x[1]).toBeCloseTo(1, 8);
  });
});
