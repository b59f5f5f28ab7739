/**
 * Ridge regression as the learned fusion of regression requests: the modalities' values are
 * the features, an absent modality takes its training mean. Fitted exactly as scikit-learn's
 * `Ridge(alpha)`: min Σ (y − Xβ − b)² + α‖β‖², intercept unpenalised (centre, then solve the
 * normal equations by Cholesky).
 */
import * as z from 'zod/mini';
import { InvalidRequestError } from '../errors.js';
import type { ResolvedProfile } from '../prepare.js';
import { meta } from '../schemas.js';
import { parseWith } from '../prepare.js';
import { compiledOnce, profileModel } from './stored.js';

let training: ReturnType<typeof buildTrainingShape> | undefined;
const buildTrainingShape = () => ({
  rows: z.int().check(z.gte(1)),
  createdAt: z.string(),
  dataSha256: z.string().check(z.regex(/^[0-9a-f]{64}$/, 'dataSha256 must be 64 lowercase hex digits')),
  options: z.record(z.string(), z.unknown()),
});
/** The `training` fields every model artifact carries (built on first use, cached). */
export const modelTrainingShape = (): ReturnType<typeof buildTrainingShape> => (training ??= buildTrainingShape());

/** Builds the ridge model's schemas (once, by `ridgeSchemas`). */
function build() {
  // How well a regression model fits: root mean squared error, mean absolute error, R².
  const RegressionMetrics = z.object({ rmse: z.number(), mae: z.number(), r2: z.number() });

  const trainingShape = modelTrainingShape();

  // The tagged JSON of a ridge meta-learner.
  const RidgeArtifact = meta(
    z
      .object({
        format: z.literal('fusion-model', { error: 'format must be "fusion-model"' }),
        version: z.literal(1, { error: 'version must be 1' }),
        task: z.literal('regression'),
        kind: z.literal('ridge', { error: 'kind must be "ridge" for a regression model' }),
        modalities: z.array(z.string().check(z.minLength(1))).check(z.minLength(1, 'modalities needs at least one modality name')),
        fill: meta(z.record(z.string(), z.number()), { description: "Each modality's mean training value, used when it is absent." }),
        params: z.object({ coef: z.array(z.number()), intercept: z.number() }),
        training: z.object({ ...trainingShape, metrics: RegressionMetrics }),
      })
      .check(
        z.superRefine((a, ctx) => {
          for (const m of a.modalities) if (typeof a.fill[m] !== 'number') ctx.addIssue({ code: 'custom', path: ['fill', m], message: `fill.${m} must be a number` });
          if (a.params.coef.length !== a.modalities.length)
            ctx.addIssue({ code: 'custom', path: ['params', 'coef'], message: `coef must hold ${a.modalities.length} numbers, one per modality` });
        }),
      ),
    { id: 'RidgeArtifact', description: 'A ridge regression fusion model (task "regression").' },
  );
  return { RegressionMetrics, RidgeArtifact };
}

let built: ReturnType<typeof build> | undefined;

/**
 * The ridge artifact's schemas, built on a model's first load and cached: a cold start that
 * never loads one never builds them.
 */
export const ridgeSchemas = (): ReturnType<typeof build> => (built ??= build());

/** How well a regression model fits: root mean squared error, mean absolute error, R². */
export type RegressionMetrics = z.infer<ReturnType<typeof build>['RegressionMetrics']>;
/** The tagged JSON of a ridge meta-learner. */
export type RidgeArtifact = z.infer<ReturnType<typeof build>['RidgeArtifact']>;

/** Fits ridge regression on rows × features `X` (row-major) and targets `y`. */
export function fitRidge(X: Float64Array, y: ArrayLike<number>, n: number, F: number, alpha: number): { coef: number[]; intercept: number } {
  const mx = new Float64Array(F);
  let my = 0;
  for (let i = 0; i < n; i++) {
    my += y[i]!;
    for (let f = 0; f < F; f++) mx[f]! += X[i * F + f]!;
  }
  my /= n;
  for (let f = 0; f < F; f++) mx[f]! /= n;
  const A = new Float64Array(F * F);
  const b = new Float64Array(F);
  for (let i = 0; i < n; i++) {
    const r = y[i]! - my;
    for (let f = 0; f < F; f++) {
      const xf = X[i * F + f]! - mx[f]!;
      b[f]! += xf * r;
      for (let g = 0; g <= f; g++) A[f * F + g]! += xf * (X[i * F + g]! - mx[g]!);
    }
  }
  for (let f = 0; f < F; f++) {
    A[f * F + f]! += alpha;
    for (let g = 0; g < f; g++) A[g * F + f] = A[f * F + g]!;
  }
  const coef = solveSpd(A, b, F);
  let intercept = my;
  for (let f = 0; f < F; f++) intercept -= mx[f]! * coef[f]!;
  return { coef: Array.from(coef), intercept };
}

/** Solves A x = b for a symmetric positive definite A (F × F, row-major) by Cholesky; a singular A is an error. */
export function solveSpd(A: Float64Array, b: Float64Array, F: number): Float64Array {
  const L = new Float64Array(F * F);
  for (let i = 0; i < F; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * F + j]!;
      for (let k = 0; k < j; k++) s -= L[i * F + k]! * L[j * F + k]!;
      if (i === j) {
        if (!(s > 1e-12 * Math.max(1, Math.abs(A[i * F + i]!))))
          throw new InvalidRequestError([
            { path: 'alpha', message: 'the modalities\' values are collinear (or constant) in the data; use --alpha > 0' },
          ]);
        L[i * F + i] = Math.sqrt(s);
      } else L[i * F + j] = s / L[j * F + j]!;
    }
  }
  const z1 = new Float64Array(F);
  for (let i = 0; i < F; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i * F + k]! * z1[k]!;
    z1[i] = s / L[i * F + i]!;
  }
  const x = new Float64Array(F);
  for (let i = F - 1; i >= 0; i--) {
    let s = z1[i]!;
    for (let k = i + 1; k < F; k++) s -= L[k * F + i]! * x[k]!;
    x[i] = s / L[i * F + i]!;
  }
  return x;
}

/** A loaded ridge model. */
export interface RidgeModel {
  artifact: RidgeArtifact;
  /**
   * The value for present modalities (names, values; absent ones take their fill), and for each
   * present modality the value with it replaced by its fill (occlusion, for contributions).
   */
  predict(names: string[], values: number[]): { value: number; occluded: number[] };
}

const loaded = new WeakMap<object, RidgeModel>();

/** Compiles a validated ridge artifact for inference. */
export function compileRidge(a: RidgeArtifact): RidgeModel {
  const index = new Map(a.modalities.map((m, k) => [m, k]));
  const base = a.params.intercept + a.modalities.reduce((s, m, k) => s + a.params.coef[k]! * a.fill[m]!, 0);
  return {
    artifact: a,
    predict(names, values) {
      // Start from every modality at its fill, then move each present one to its value.
      const delta = names.map((m, k) => {
        const j = index.get(m)!;
        return a.params.coef[j]! * (values[k]! - a.fill[m]!);
      });
      const value = delta.reduce((s, d) => s + d, base);
      return { value, occluded: delta.map((d) => value - d) };
    },
  };
}

/** The ridge model of a request's profile, validated once per artifact object. */
export function loadRidge(resolved: ResolvedProfile | undefined, at = ''): RidgeModel {
  const { profile, model: raw } = profileModel(resolved, 'ridge', at);
  const model = compiledOnce(loaded, raw, (r) => compileRidge(parseWith(ridgeSchemas().RidgeArtifact, r, 'model')));
  const want = profile.modalities;
  const have = model.artifact.modalities;
  if (want.length !== have.length || want.some((m) => !have.includes(m)))
    throw new InvalidRequestError([
      { path: 'model.modalities', message: `the model's modalities [${have.join(', ')}] differ from profile "${profile.name}"'s modalities [${want.join(', ')}]; retrain the model with this profile` },
    ]);
  return model;
}
