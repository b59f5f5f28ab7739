/**
 * Per-label logistic regression as the learned fusion of multi-label requests: label l's
 * probability is σ(w_l · x + b_l), x every modality's scores (absent: the training mean),
 * each label fitted as scikit-learn's binary `LogisticRegression(C)` (L2, intercept unpenalised).
 */
import * as z from 'zod/mini';
import { InvalidRequestError } from '../errors.js';
import { type ResolvedProfile, parseWith } from '../prepare.js';
import { meta } from '../schemas.js';
import { minimize } from './lbfgs.js';
import { compiledOnce, profileModel } from './stored.js';
import { modelTrainingShape, solveSpd } from './ridge.js';

/** Builds the per-label logistic model's schemas (once, by `multilabelModelSchemas`). */
function build() {
  // Multi-label quality: micro- and macro-F1 and Hamming loss at the thresholds used.
  const MultilabelMetrics = z.object({ microF1: z.number(), macroF1: z.number(), hamming: z.number() });

  // The tagged JSON of a per-label logistic meta-learner.
  const MultilabelArtifact = meta(
    z
      .object({
        format: z.literal('fusion-model', { error: 'format must be "fusion-model"' }),
        version: z.literal(1, { error: 'version must be 1' }),
        task: z.literal('multilabel'),
        kind: z.literal('logistic', { error: 'kind must be "logistic" for a multi-label model' }),
        labels: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
        modalities: z.array(z.string().check(z.minLength(1))).check(z.minLength(1, 'modalities needs at least one modality name')),
        fill: meta(z.record(z.string(), z.array(z.number())), { description: "Each modality's mean training scores, used when it is absent." }),
        params: z.object({ coef: z.array(z.array(z.number())), intercept: z.array(z.number()) }),
        training: z.object({ ...modelTrainingShape(), metrics: MultilabelMetrics }),
      })
      .check(
        z.superRefine((a, ctx) => {
          const L = a.labels.length;
          const F = L * a.modalities.length;
          for (const m of a.modalities) if (a.fill[m]?.length !== L) ctx.addIssue({ code: 'custom', path: ['fill', m], message: `fill.${m} must hold ${L} numbers, one per label` });
          if (a.params.coef.length !== L || a.params.intercept.length !== L || a.params.coef.some((r) => r.length !== F))
            ctx.addIssue({ code: 'custom', path: ['params'], message: `must be ${L} × ${F} weights with ${L} intercepts (${L} labels, ${a.modalities.length} modalities)` });
        }),
      ),
    { id: 'MultilabelArtifact', description: 'A per-label logistic fusion model (task "multilabel").' },
  );
  return { MultilabelMetrics, MultilabelArtifact };
}

let built: ReturnType<typeof build> | undefined;

/**
 * The per-label logistic artifact's schemas, built on a model's first load and cached: a cold
 * start that never loads one never builds them.
 */
export const multilabelModelSchemas = (): ReturnType<typeof build> => (built ??= build());

/** Multi-label quality: micro- and macro-F1 and Hamming loss at the thresholds used. */
export type MultilabelMetrics = z.infer<ReturnType<typeof build>['MultilabelMetrics']>;
/** The tagged JSON of a per-label logistic meta-learner. */
export type MultilabelArtifact = z.infer<ReturnType<typeof build>['MultilabelArtifact']>;

/** Largest gradient component at which a label's (C·n-scaled) objective counts as minimised. */
export const BINARY_GTOL = 1e-12;

/**
 * Fits one binary logistic regression, scikit-learn's objective divided by C·n:
 * mean log loss + ‖w‖² / (2·C·n). `X` is rows × F (row-major), `y` 0/1.
 */
export function fitBinaryLogistic(X: Float64Array, y: ArrayLike<number>, n: number, F: number, C: number): { coef: number[]; intercept: number } {
  const reg = 1 / (C * n);
  const fg = (theta: Float64Array, grad: Float64Array) => {
    grad.fill(0);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      let s = theta[F]!;
      const o = i * F;
      for (let f = 0; f < F; f++) s += theta[f]! * X[o + f]!;
      // log(1 + e^s) − y·s, stably; its derivative σ(s) − y.
      loss += (s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s))) - y[i]! * s;
      const r = (1 / (1 + Math.exp(-s)) - y[i]!) / n;
      for (let f = 0; f < F; f++) grad[f]! += r * X[o + f]!;
      grad[F]! += r;
    }
    let norm = 0;
    for (let f = 0; f < F; f++) {
      norm += theta[f]! * theta[f]!;
      grad[f]! += reg * theta[f]!;
    }
    return loss / n + 0.5 * reg * norm;
  };
  // Few features: Newton's method (as scikit-learn's newton-cholesky) reaches the optimum to
  // machine precision, where L-BFGS's line search stalls near 1e-9. Many: L-BFGS.
  const x = F < NEWTON_MAX_FEATURES ? newton(fg, X, n, F, reg) : minimize(fg, new Float64Array(F + 1), { gtol: BINARY_GTOL, maxIter: 20_000 }).x;
  return { coef: Array.from(x.subarray(0, F)), intercept: x[F]! };
}

const NEWTON_MAX_FEATURES = 400;

/** Damped Newton on the scaled objective `fg`; the Hessian is Xᵀ diag(σ(1 − σ)) X / n + reg (not on the intercept). */
function newton(fg: (t: Float64Array, g: Float64Array) => number, X: Float64Array, n: number, F: number, reg: number): Float64Array {
  const D = F + 1;
  let theta = new Float64Array(D);
  const grad = new Float64Array(D);
  const trial = new Float64Array(D);
  const scratch = new Float64Array(D);
  let f = fg(theta, grad);
  for (let it = 0; it < 100; it++) {
    if (grad.reduce((m, v) => Math.max(m, Math.abs(v)), 0) <= BINARY_GTOL) break;
    const H = new Float64Array(D * D);
    const row = new Float64Array(D);
    for (let i = 0; i < n; i++) {
      let s = theta[F]!;
      for (let j = 0; j < F; j++) s += theta[j]! * X[i * F + j]!;
      const p = 1 / (1 + Math.exp(-s));
      const w = (p * (1 - p)) / n;
      for (let j = 0; j < F; j++) row[j] = X[i * F + j]!;
      row[F] = 1;
      for (let a = 0; a < D; a++) for (let b = 0; b <= a; b++) H[a * D + b]! += w * row[a]! * row[b]!;
    }
    for (let a = 0; a < D; a++) {
      if (a < F) H[a * D + a]! += reg;
      for (let b = 0; b < a; b++) H[b * D + a] = H[a * D + b]!;
    }
    const step = solveSpd(H, grad, D);
    let t = 1;
    let next = f;
    for (let k = 0; k < 40; k++, t /= 2) {
      for (let j = 0; j < D; j++) trial[j] = theta[j]! - t * step[j]!;
      next = fg(trial, scratch);
      if (next <= f) break;
    }
    if (!(next <= f)) break;
    [theta, f] = [Float64Array.from(trial), next];
    grad.set(scratch);
  }
  return theta;
}

const sigmoid = (s: number) => 1 / (1 + Math.exp(-s));

/** A loaded per-label logistic model. */
export interface MultilabelModel {
  artifact: MultilabelArtifact;
  /** Probabilities per label from present modalities' scores (absent: fill), into `out`. */
  predict(names: string[], scores: Float64Array[], out: Float64Array): Float64Array;
}

/** Compiles a validated artifact for inference. */
export function compileMultilabel(a: MultilabelArtifact): MultilabelModel {
  const L = a.labels.length;
  const index = new Map(a.modalities.map((m, k) => [m, k]));
  const x = new Float64Array(L * a.modalities.length);
  return {
    artifact: a,
    predict(names, scores, out) {
      a.modalities.forEach((m, k) => x.set(a.fill[m]!, k * L));
      names.forEach((m, k) => x.set(scores[k]!, index.get(m)! * L));
      for (let l = 0; l < L; l++) {
        const w = a.params.coef[l]!;
        let s = a.params.intercept[l]!;
        for (let f = 0; f < w.length; f++) s += w[f]! * x[f]!;
        out[l] = sigmoid(s);
      }
      return out;
    },
  };
}

const loaded = new WeakMap<object, MultilabelModel>();

/** The per-label logistic model of a request's profile, validated once per artifact object. */
export function loadMultilabel(resolved: ResolvedProfile | undefined, at = ''): MultilabelModel {
  const { profile: stored, model: raw } = profileModel(resolved, 'logistic', at);
  const model = compiledOnce(loaded, raw, (r) => compileMultilabel(parseWith(multilabelModelSchemas().MultilabelArtifact, r, 'model')));
  const profile = stored as unknown as { name: string; labels: string[]; modalities: string[] };
  const a = model.artifact;
  const fix = `retrain the model with this profile (fusion train --profile ${profile.name})`;
  if (a.labels.length !== profile.labels.length || a.labels.some((l, i) => l !== profile.labels[i]))
    throw new InvalidRequestError([{ path: 'model.labels', message: `the model's labels [${a.labels.join(', ')}] differ from profile "${profile.name}"'s labels; ${fix}` }]);
  if (a.modalities.length !== profile.modalities.length || profile.modalities.some((m) => !a.modalities.includes(m)))
    throw new InvalidRequestError([{ path: 'model.modalities', message: `the model's modalities [${a.modalities.join(', ')}] differ from profile "${profile.name}"'s modalities; ${fix}` }]);
  return model;
}
