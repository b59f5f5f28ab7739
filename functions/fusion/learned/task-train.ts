/**
 * Training and evaluation for the regression and multi-label tasks: ridge (`--model ridge`),
 * per-label logistic (`--model logistic` on multi-label data) and per-label thresholds
 * (`--model thresholds`), and the tables of `fusion evaluate`.
 */
import type { Profile } from '../schemas.js';
import type { MultilabelProfile } from '../profiles.js';
import { MULTILABEL_RULES, decideMultilabel } from '../tasks/multilabel.js';
import { REGRESSION_RULES, decideRegression } from '../tasks/regression.js';
import { type MultilabelArtifact, type MultilabelMetrics, compileMultilabel, fitBinaryLogistic } from './multilabel.js';
import { type RegressionMetrics, type RidgeArtifact, compileRidge, fitRidge } from './ridge.js';
import { type MultilabelData, type RegressionData, type TaskData, parseTaskData } from './task-data.js';
import { averagePrecision, bestThreshold, multilabelMetrics, regressionMetrics } from './task-metrics.js';
import { sha256 } from './train.js';
import { InvalidRequestError } from '../errors.js';
import { taskReference } from '../loop/drift-tasks.js';
import type { MultilabelReference, RegressionReference } from '../loop/reference.js';

/** What `fusion train` fits for a regression or multi-label profile. */
export const TASK_TRAIN_KINDS = { regression: ['ridge'], multilabel: ['logistic', 'thresholds'] } as const;

export interface TaskTrainOptions {
  model: string;
  /** Ridge penalty (default 1). */
  alpha?: number;
  /** Inverse L2 strength of the per-label logistic regressions (default 1). */
  C?: number;
  createdAt?: string;
}

/** What was trained, with the data's drift reference (each modality's value histogram or positive share per label). */
export type TaskTrainResult = (
  | { type: 'model'; artifact: RidgeArtifact | MultilabelArtifact; metrics: RegressionMetrics | MultilabelMetrics }
  | { type: 'profile'; profile: Profile; metrics: MultilabelMetrics; before: MultilabelMetrics }
) & { reference: RegressionReference | MultilabelReference };

/** Each modality's mean over the rows where it is present. */
function meanFill<T>(rows: { names: string[] }[], modalities: string[], get: (row: number, k: number) => T, L: number, add: (acc: Float64Array, v: T) => void): Float64Array[] {
  return modalities.map((m) => {
    const acc = new Float64Array(L);
    let n = 0;
    rows.forEach((r, i) => {
      const k = r.names.indexOf(m);
      if (k >= 0) (add(acc, get(i, k)), n++);
    });
    if (!n) throw new InvalidRequestError([{ path: 'data', message: `modality "${m}" is absent from every line; a model needs each profile modality at least once` }]);
    return acc.map((v) => v / n);
  });
}

/** Trains from JSONL text and a regression or multi-label profile. */
export function trainTask(text: string, profile: Profile, options: TaskTrainOptions): TaskTrainResult {
  const data = parseTaskData(text, profile);
  const kinds: readonly string[] = TASK_TRAIN_KINDS[data.task];
  if (!kinds.includes(options.model))
    throw new InvalidRequestError([{ path: '--model', message: `a ${data.task} profile trains --model ${kinds.join(' or ')}` }]);
  const createdAt = options.createdAt ?? new Date().toISOString();
  const training = (opts: Record<string, unknown>) => ({ rows: data.rows.length, createdAt, dataSha256: sha256(text), options: opts });
  if (data.task === 'regression') {
    const artifact = fitRidgeModel(data, options.alpha ?? 1, training);
    return { type: 'model', artifact, metrics: artifact.training.metrics, reference: taskReference(data, createdAt) };
  }
  if (options.model === 'thresholds') {
    const scores = ruleScores(data, 'average');
    const thresholds = data.profile.labels.map((_, l) => bestThreshold(scores.map((s) => s[l]!), data.targets.map((y) => y[l]!)));
    const before = multilabelMetrics(scores, data.targets, data.rows[0]!.thresholds);
    const updated = { ...data.profile, minModalities: (profile as unknown as MultilabelProfile).minModalities, thresholds: Object.fromEntries(data.profile.labels.map((l, i) => [l, thresholds[i]!])) };
    if (updated.minModalities === undefined) delete updated.minModalities;
    // The new thresholds decide which labels each modality logs over them: the reference uses them too.
    return { type: 'profile', profile: updated as unknown as Profile, metrics: multilabelMetrics(scores, data.targets, thresholds), before, reference: taskReference(data, createdAt, thresholds) };
  }
  const artifact = fitMultilabelModel(data, options.C ?? 1, training);
  return { type: 'model', artifact, metrics: artifact.training.metrics, reference: taskReference(data, createdAt) };
}

function fitRidgeModel(data: RegressionData, alpha: number, training: (o: Record<string, unknown>) => Omit<RidgeArtifact['training'], 'metrics'>): RidgeArtifact {
  const ms = data.profile.modalities;
  const K = ms.length;
  const fill = meanFill(data.rows, ms, (i, k) => data.rows[i]!.values[k]!, 1, (acc, v) => (acc[0]! += v)).map((f) => f[0]!);
  const n = data.rows.length;
  const X = new Float64Array(n * K);
  data.rows.forEach((r, i) => ms.forEach((m, k) => {
    const j = r.names.indexOf(m);
    X[i * K + k] = j >= 0 ? r.values[j]! : fill[k]!;
  }));
  const params = fitRidge(X, data.targets, n, K, alpha);
  const artifact: RidgeArtifact = {
    format: 'fusion-model', version: 1, task: 'regression', kind: 'ridge', modalities: ms,
    fill: Object.fromEntries(ms.map((m, k) => [m, fill[k]!])), params,
    training: { ...training({ alpha }), metrics: { rmse: 0, mae: 0, r2: 0 } },
  };
  const model = compileRidge(artifact);
  artifact.training.metrics = regressionMetrics(data.rows.map((r) => model.predict(r.names, r.values).value), data.targets);
  return artifact;
}

function fitMultilabelModel(data: MultilabelData, C: number, training: (o: Record<string, unknown>) => Omit<MultilabelArtifact['training'], 'metrics'>): MultilabelArtifact {
  const { labels, modalities: ms } = data.profile;
  const L = labels.length;
  const F = L * ms.length;
  const fill = meanFill(data.rows, ms, (i, k) => data.rows[i]!.scores[k]!, L, (acc, v) => acc.forEach((_, l) => (acc[l]! += v[l]!)));
  const n = data.rows.length;
  const X = new Float64Array(n * F);
  data.rows.forEach((r, i) => ms.forEach((m, k) => {
    const j = r.names.indexOf(m);
    X.set(j >= 0 ? r.scores[j]! : fill[k]!, i * F + k * L);
  }));
  const coef: number[][] = [];
  const intercept: number[] = [];
  labels.forEach((label, l) => {
    const y = data.targets.map((t) => t[l]!);
    const pos = y.reduce((a, b) => a + b, 0);
    if (pos === 0 || pos === n)
      throw new InvalidRequestError([{ path: 'data', message: `label "${label}" is ${pos ? 'on' : 'off'} in every line; a per-label model needs lines with and without it` }]);
    const fit = fitBinaryLogistic(X, y, n, F, C);
    coef.push(fit.coef);
    intercept.push(fit.intercept);
  });
  const artifact: MultilabelArtifact = {
    format: 'fusion-model', version: 1, task: 'multilabel', kind: 'logistic', labels, modalities: ms,
    fill: Object.fromEntries(ms.map((m, k) => [m, Array.from(fill[k]!)])), params: { coef, intercept },
    training: { ...training({ C }), metrics: { microF1: 0, macroF1: 0, hamming: 0 } },
  };
  const model = compileMultilabel(artifact);
  const scores = data.rows.map((r) => model.predict(r.names, r.scores, new Float64Array(L)));
  artifact.training.metrics = multilabelMetrics(scores, data.targets, data.rows[0]!.thresholds);
  return artifact;
}

/** Each row's fused scores under a multi-label rule (with the profile's model for learned). */
function ruleScores(data: MultilabelData, name: string, model?: unknown): Float64Array[] {
  const rule = MULTILABEL_RULES[name]!;
  return data.rows.map((r) => {
    const p = model ? { ...r, profile: { profile: data.profile as unknown as Profile, model } } : r;
    const res = decideMultilabel(name, rule, p);
    return Float64Array.from(data.profile.labels, (l) => res.scores[l]!);
  });
}

/** One line of a task evaluation table. */
export interface TaskEvalEntry {
  name: string;
  kind: 'rule' | 'model' | 'modality';
  metrics: Record<string, number>;
  /** Multi-label: average precision per label. */
  averagePrecision?: Record<string, number>;
}

/** Scores every rule with a form for the task, each given model, and each modality alone. */
export function evaluateTask(data: TaskData, models: { name: string; artifact: unknown }[] = []): TaskEvalEntry[] {
  const entries: TaskEvalEntry[] = [];
  const ms = data.profile.modalities;
  if (data.task === 'regression') {
    const score = (name: string, model?: unknown) =>
      regressionMetrics(data.rows.map((r) => decideRegression(name, REGRESSION_RULES[name]!, model ? { ...r, profile: { profile: data.profile as unknown as Profile, model } } : r).value), data.targets);
    for (const name of Object.keys(REGRESSION_RULES)) {
      if (name === 'learned') continue;
      if (name === 'inverse-variance' && data.rows.some((r) => r.stds.includes(undefined))) continue;
      entries.push({ name, kind: 'rule', metrics: score(name) });
    }
    for (const m of models) entries.push({ name: m.name, kind: 'model', metrics: score('learned', m.artifact) });
    ms.forEach((m) => {
      const idx = data.rows.map((r, i) => (r.names.includes(m) ? i : -1)).filter((i) => i >= 0);
      if (idx.length) entries.push({ name: m, kind: 'modality', metrics: regressionMetrics(idx.map((i) => data.rows[i]!.values[data.rows[i]!.names.indexOf(m)]!), idx.map((i) => data.targets[i]!)) });
    });
    return entries;
  }
  const labels = data.profile.labels;
  const thresholds = data.rows[0]!.thresholds;
  const entry = (name: string, kind: TaskEvalEntry['kind'], scores: ArrayLike<number>[], targets: Uint8Array[]): TaskEvalEntry => ({
    name, kind, metrics: multilabelMetrics(scores, targets, thresholds),
    averagePrecision: Object.fromEntries(labels.map((l, k) => [l, averagePrecision(scores.map((s) => s[k]!), targets.map((y) => y[k]!))])),
  });
  for (const name of Object.keys(MULTILABEL_RULES)) if (name !== 'learned') entries.push(entry(name, 'rule', ruleScores(data, name), data.targets));
  for (const m of models) entries.push(entry(m.name, 'model', ruleScores(data, 'learned', m.artifact), data.targets));
  ms.forEach((m) => {
    const idx = data.rows.map((r, i) => (r.names.includes(m) ? i : -1)).filter((i) => i >= 0);
    if (idx.length) entries.push(entry(m, 'modality', idx.map((i) => data.rows[i]!.scores[data.rows[i]!.names.indexOf(m)]!), idx.map((i) => data.targets[i]!)));
  });
  return entries;
}

/** Fits the task's model kind (ridge for regression, per-label logistic for multi-label) on parsed data. */
export function fitTaskModel(data: TaskData, options: { alpha?: number | undefined; C?: number | undefined }, meta: { dataSha256: string; createdAt: string }): RidgeArtifact | MultilabelArtifact {
  const training = (opts: Record<string, unknown>) => ({ rows: data.rows.length, createdAt: meta.createdAt, dataSha256: meta.dataSha256, options: opts });
  return data.task === 'regression' ? fitRidgeModel(data, options.alpha ?? 1, training) : fitMultilabelModel(data, options.C ?? 1, training);
}

/** The loss retraining decides on: mean squared error (regression) or mean per-label log loss (multi-label). */
export const TASK_LOSS = { regression: 'mean squared error', multilabel: 'mean per-label log loss' } as const;

const EPS = 1e-15;
const logLoss = (p: number, y: number) => -Math.log(Math.min(1 - EPS, Math.max(EPS, y ? p : 1 - p)));

/** `TASK_LOSS` of a task model on every row of `data`; NaN when there are no rows. */
export function taskLoss(data: TaskData, artifact: unknown): number {
  const n = data.rows.length;
  let total = 0;
  if (data.task === 'regression') {
    const model = compileRidge(artifact as RidgeArtifact);
    data.rows.forEach((r, i) => (total += (model.predict(r.names, r.values).value - data.targets[i]!) ** 2));
    return total / n;
  }
  const model = compileMultilabel(artifact as MultilabelArtifact);
  const L = data.profile.labels.length;
  const out = new Float64Array(L);
  data.rows.forEach((r, i) => {
    model.predict(r.names, r.scores, out);
    for (let l = 0; l < L; l++) total += logLoss(out[l]!, data.targets[i]![l]!);
  });
  return total / (n * L);
}

/**
 * The loss of knowing nothing, on `data`: predicting `fitted`'s mean target (regression) or
 * 0.5 for every label (multi-label, log 2).
 */
export function baselineLoss(data: TaskData, fitted: TaskData): number {
  if (data.task === 'multilabel') return Math.LN2;
  const ys = fitted.targets as number[];
  const mean = ys.reduce((a, b) => a + b, 0) / ys.length;
  return (data.targets as number[]).reduce((a, y) => a + (y - mean) ** 2, 0) / data.rows.length;
}
