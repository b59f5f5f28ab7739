import { STRATEGIES } from '../registry.js';
import type { Profile } from '../schemas.js';
import type { Strategy } from '../strategy.js';
import { InvalidRequestError } from '../errors.js';
import { MODEL_KINDS, type ModelKind } from './artifact.js';
import { type Dataset, stratifiedFolds, subset } from './data.js';
import { type Model, loadModel, predictDists } from './infer.js';
import { type Bin, type Metrics, score } from './metrics.js';
import { type AblationRow, type Ablated, ablation, modelSubject, ruleDistribution, ruleSubject } from './ablation.js';
import { type BootstrapOptions, type ClassScore, type Diversity, type Intervals, bootstrap, diversity, perClass } from './analysis.js';
import { type CalibrationReport, type TrainOptions, fitModel, modalityScores } from './train.js';

/** One row of the comparison: a fixed rule, a given model, a cross-validated learner or one modality alone. */
export interface EvalEntry {
  name: string;
  kind: 'rule' | 'model' | 'cv' | 'modality';
  /** Examples scored: those with at least minModalities modalities (for a modality: where it is present). */
  rows: number;
  metrics: Metrics;
  reliability: Bin[];
  confusion: number[][];
  /** Rows the rule refuses (dempster-shafer's total conflict), scored as the uniform distribution. */
  undecided?: number;
  /** Precision, recall and F1 of each class, in the order of `classes`. */
  perClass: ClassScore[];
  /** Bootstrap 95% intervals of the metrics (with `analysis`). */
  intervals?: Intervals;
}

export interface Evaluation {
  profile: string;
  classes: string[];
  /** Examples in the data. */
  rows: number;
  /** The rule or model with the lowest log loss. */
  best: string;
  entries: EvalEntry[];
  /** With a calibrated profile: each modality alone before and after its calibrator. */
  calibration?: CalibrationReport[];
  /** With `analysis`: every rule and given model with each modality removed, and with it alone. */
  ablation?: AblationRow[];
  /** With `analysis`: the modalities' pairwise error correlation and disagreement. */
  diversity?: Diversity;
  /** The bootstrap's settings, with `analysis`. */
  bootstrap?: { resamples: number; seed: number };
}

export interface EvaluateOptions {
  /** Trained artifacts (parsed JSON) to score, each with a display name. */
  models?: { name: string; artifact: unknown }[];
  /** Cross-validate every learned kind with this many folds. */
  cv?: number;
  /** Options for the learners trained in cross-validation. */
  train?: Omit<TrainOptions, 'model' | 'onProgress'>;
  onProgress?: (fraction: number) => void;
  /** The same data parsed without the profile's calibration, to report each modality before and after it. */
  uncalibrated?: Dataset;
  /** Also compute bootstrap intervals, the modality ablation and diversity (for the report). */
  analysis?: BootstrapOptions;
}

/**
 * Scores every fixed rule of the registry, every given model (or, with `cv`, every learned kind
 * trained on the other folds) and each modality alone on a labelled data set.
 */
export function evaluate(data: Dataset, profile: Profile, o: EvaluateOptions = {}): Evaluation {
  const C = data.classes.length;
  const min = profile.minModalities ?? 1;
  const used = data.examples.filter((e) => e.prepared.modalities.length >= min);
  if (!used.length)
    throw new InvalidRequestError([{ path: 'data', message: `no example has the profile's minModalities (${min}) modalities present, so nothing can be scored` }]);
  const labels = used.map((e) => e.label);
  const entry = (name: string, kind: EvalEntry['kind'], probs: ArrayLike<number>[], y = labels): EvalEntry => {
    const s = score(probs, y, C);
    const e: EvalEntry = { name, kind, rows: s.rows, metrics: s.metrics, reliability: s.reliability, confusion: s.confusion, perClass: perClass(s.confusion) };
    if (o.analysis) e.intervals = bootstrap(probs, y, C, o.analysis);
    return e;
  };
  const subjects: Ablated[] = [];
  const entries: EvalEntry[] = [];
  for (const strategy of Object.values(STRATEGIES) as Strategy[]) {
    if (strategy.name === 'learned') continue;
    let undecided = 0;
    const probs = used.map((e) => {
      const out = new Float64Array(C);
      if (!ruleDistribution(strategy, e.prepared, out)) undecided++;
      return out;
    });
    const e = entry(strategy.name, 'rule', probs);
    if (undecided) e.undecided = undecided;
    entries.push(e);
    subjects.push(ruleSubject(strategy));
  }
  for (const { name, artifact } of o.models ?? []) {
    const model = named(name, artifact, profile);
    entries.push(entry(name, 'model', used.map((e) => predictDists(model, e.prepared.modalities, e.prepared.dists, new Float64Array(C)))));
    subjects.push(modelSubject(name, model));
  }
  let done = 0;
  for (const kind of o.cv ? MODEL_KINDS : []) {
    const { probs, labels: y } = crossValidate(data, profile, { ...o.train, model: kind }, o.cv!, () => o.onProgress?.(++done / (o.cv! * MODEL_KINDS.length)));
    entries.push(entry(`${kind} (cv ${o.cv})`, 'cv', probs, y));
  }
  data.modalities.forEach((m, k) => {
    const present = data.examples.filter((e) => e.dists[k]);
    if (present.length) entries.push(entry(m, 'modality', present.map((e) => e.dists[k]!), present.map((e) => e.label)));
  });
  const candidates = entries.filter((e) => e.kind !== 'modality');
  const best = candidates.reduce((a, b) => (b.metrics.logLoss < a.metrics.logLoss ? b : a), candidates[0]!);
  const ev: Evaluation = { profile: profile.name, classes: data.classes, rows: data.examples.length, best: best.name, entries };
  if (o.uncalibrated && profile.calibration) ev.calibration = modalityScores(o.uncalibrated, profile.calibration);
  if (o.analysis) {
    ev.ablation = ablation(data, profile, subjects);
    ev.diversity = diversity(data);
    ev.bootstrap = { resamples: o.analysis.resamples ?? 1000, seed: o.analysis.seed ?? 0 };
  }
  return ev;
}


/**
 * Out-of-fold predictions of one learned kind: trained on K−1 stratified folds and applied to
 * the held-out fold, for the examples with at least the profile's minModalities modalities.
 */
export function crossValidate(
  data: Dataset, profile: Profile, options: Omit<TrainOptions, 'model'> & { model: ModelKind }, K: number, onFold?: () => void,
): { probs: Float64Array[]; labels: number[] } {
  const C = data.classes.length;
  const min = profile.minModalities ?? 1;
  const fold = stratifiedFolds(data.examples.map((e) => e.label), K);
  const probs: Float64Array[] = [];
  const labels: number[] = [];
  for (let k = 0; k < K; k++) {
    const trainIdx: number[] = [];
    data.examples.forEach((_, i) => fold[i] !== k && trainIdx.push(i));
    if (trainIdx.length) {
      const model = loadModel(fitModel(subset(data, trainIdx), options, '0'.repeat(64), new Date(0).toISOString()), profile);
      data.examples.forEach((e, i) => {
        if (fold[i] !== k || e.prepared.modalities.length < min) return;
        probs.push(predictDists(model, e.prepared.modalities, e.prepared.dists, new Float64Array(C)));
        labels.push(e.label);
      });
    }
    onFold?.();
  }
  return { probs, labels };
}

/** Loads a given model, naming it in any error. */
function named(name: string, artifact: unknown, profile: Profile): Model {
  try {
    return loadModel(artifact, profile);
  } catch (e) {
    if (!(e instanceof InvalidRequestError)) throw e;
    throw new InvalidRequestError(e.errors.map((x) => ({ ...x, path: `${name}: ${x.path}` })), `model ${name}: ${e.message}`);
  }
}
