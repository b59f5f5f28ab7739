import type { Profile } from '../schemas.js';
import { fitCalibration } from '../calibration/fit.js';
import type { Calibration, CalibrationMethod } from '../calibration/schema.js';
import { calibrate } from '../calibration/apply.js';
import { MODEL_KINDS, type ModelArtifact, type ModelKind } from './artifact.js';
import { type Dataset, parseDataset, stratifiedFolds } from './data.js';
import { datasetReference } from '../loop/monitor.js';
import { sha256 } from './sha256.js';
import type { DriftReference } from '../loop/reference.js';
import { type DropoutOptions, designMatrix, meanFill } from './features.js';
import { averageScore, fitTemperatures, fitWeights } from './fitted.js';
import { loadModel, predictDists } from './infer.js';
import { LOGISTIC_GTOL, fitLogistic } from './logistic.js';
import { type Metrics, score } from './metrics.js';
import { fitMlp } from './mlp.js';
import { mulberry32, shuffle } from './rng.js';
import { fitCalibratedSvm } from './svm.js';

/** What `train` can fit: a meta-learner, or the average rule's weights / per-modality temperatures or calibrators. */
export type TrainKind = ModelKind | 'weights' | 'temperature' | 'calibration';
export const TRAIN_KINDS = [...MODEL_KINDS, 'weights', 'temperature', 'calibration'] as const satisfies readonly TrainKind[];

export interface TrainOptions {
  model: TrainKind;
  /** Inverse L2 strength of logistic and linear-svm (default 1). */
  C?: number;
  /** Hidden layer sizes of the mlp (default [32]). */
  hidden?: number[];
  /** L2 penalty of the mlp (default 1e-4). */
  alpha?: number;
  seed?: number;
  /** Probability of dropping each present modality during training (default 0). */
  modalityDropout?: number;
  /** Fixed creation time (ISO 8601), for reproducible artifacts. */
  createdAt?: string;
  /** The calibrator `calibration` fits for each modality (default temperature). */
  method?: CalibrationMethod;
  /** `weights`: fit the base weights of entropy-adaptive weighting, and turn it on in the profile. */
  adaptive?: 'entropy';
  /** Progress in [0, 1] of long fits. */
  onProgress?: (fraction: number) => void;
}

export type TrainResult =
  | { type: 'model'; artifact: ModelArtifact; metrics: Metrics }
  | { type: 'profile'; profile: Profile; metrics: Metrics; before: Metrics }
  | { type: 'calibration'; profile: Profile; modalities: CalibrationReport[] };

/** One modality's scores on the training data before and after its fitted calibrator. */
export interface CalibrationReport {
  modality: string;
  rows: number;
  before: Metrics;
  after: Metrics;
}

const DEFAULTS = { C: 1, hidden: [32], alpha: 1e-4, seed: 0, modalityDropout: 0 };
/** Dropped-out copies of each example when modality dropout is on. */
const DROPOUT_COPIES = 5;
const SVM_FOLDS = 5;
const VALIDATION_FRACTION = 0.1;

/** SHA-256 of the training data, recorded in artifacts. */
export { sha256 };

/**
 * Trains from JSONL text and a profile: a model artifact for logistic / linear-svm / mlp, or an
 * updated profile for weights / temperature, with the data's drift reference (each modality's
 * top-class shares) for the profile. Pure apart from the clock (pass `createdAt`).
 */
export function train(text: string, profile: Profile, options: TrainOptions): TrainResult & { reference: DriftReference } {
  const raw = options.model === 'temperature';
  const data = parseDataset(text, profile, { calibrate: !raw, calibration: options.model !== 'calibration' });
  const reference = datasetReference(data, options.createdAt);
  return { ...trainOn(data, profile, options, sha256(text)), reference };
}

/**
 * Fits each modality's calibrator on the data as the profile's temperatures leave it (any
 * existing calibration is replaced), and scores each modality before and after.
 */
export function trainCalibration(data: Dataset, profile: Profile, method: CalibrationMethod): TrainResult {
  const calibration = fitCalibration(data, method);
  return { type: 'calibration', profile: { ...profile, calibration }, modalities: modalityScores(data, calibration) };
}

/**
 * Each modality alone, scored where it is present, before and after its calibrator. `data`
 * must be parsed without the calibration.
 */
export function modalityScores(data: Dataset, calibration: Calibration): CalibrationReport[] {
  const C = data.classes.length;
  const out: CalibrationReport[] = [];
  data.modalities.forEach((modality, k) => {
    const cal = calibration[modality];
    const present = data.examples.filter((e) => e.dists[k]);
    if (!cal || !present.length) return;
    const labels = present.map((e) => e.label);
    const before = present.map((e) => e.dists[k]!);
    const after = before.map((d) => {
      const out = Float64Array.from(d);
      calibrate(cal, out, [], modality);
      return out;
    });
    out.push({ modality, rows: present.length, before: score(before, labels, C).metrics, after: score(after, labels, C).metrics });
  });
  return out;
}

/** `train` on an already parsed data set. */
export function trainOn(data: Dataset, profile: Profile, options: TrainOptions, dataSha256: string): TrainResult {
  const createdAt = options.createdAt ?? new Date().toISOString();
  // The profile keeps everything else, `training` (the retraining settings) included.
  if (options.model === 'calibration') return trainCalibration(data, profile, options.method ?? 'temperature');
  if (options.model === 'weights' || options.model === 'temperature') {
    const before = averageScore(data, profile).metrics;
    const adaptive = options.model === 'weights' && options.adaptive === 'entropy';
    const values = options.model === 'weights' ? fitWeights(data, adaptive) : fitTemperatures(data);
    const field = options.model === 'weights' ? 'weights' : 'temperatures';
    const fitted = Object.fromEntries(data.modalities.map((m, k) => [m, values[k]!]));
    const updated: Profile = { ...profile, [field]: fitted, ...(adaptive ? { adaptiveWeights: 'entropy' as const } : {}) };
    // Temperatures were fitted on raw outputs; score them the way the service will apply them.
    const after = options.model === 'weights' ? averageScore(data, updated) : averageScore(data, updated, true);
    return { type: 'profile', profile: updated, metrics: after.metrics, before };
  }
  const artifact = fitModel(data, { ...options, model: options.model }, dataSha256, createdAt);
  return { type: 'model', artifact, metrics: artifact.training.metrics };
}

/** Fits one meta-learner on a data set and scores it on the same data. */
export function fitModel(data: Dataset, options: TrainOptions & { model: ModelKind }, dataSha256: string, createdAt: string): ModelArtifact {
  const o = { ...DEFAULTS, ...definedOnly(options) };
  const C = data.classes.length;
  const fill = meanFill(data);
  const rng = mulberry32(o.seed);
  const dropout: DropoutOptions | undefined = o.modalityDropout > 0 ? { p: o.modalityDropout, copies: DROPOUT_COPIES, rng } : undefined;
  const copies = dropout ? DROPOUT_COPIES : 1;
  const progress = options.onProgress;
  const common = {
    format: 'fusion-model' as const,
    version: 1 as const,
    classes: data.classes,
    modalities: data.modalities,
    fill: Object.fromEntries(data.modalities.map((m, k) => [m, Array.from(fill[k]!)])),
  };
  let artifact: ModelArtifact;
  const training = (opts: Record<string, unknown>) => ({
    rows: data.examples.length, createdAt, dataSha256, options: { modalityDropout: o.modalityDropout, seed: o.seed, ...opts },
    metrics: { accuracy: 0, macroF1: 0, logLoss: 0, brier: 0, ece: 0 },
  });
  if (o.model === 'logistic') {
    const m = designMatrix(data.examples, fill, dropout);
    // Progress: how far the gradient norm has come down (log scale) towards the tolerance.
    let g0 = NaN;
    const onIteration = (_: number, g: number) => {
      if (Number.isNaN(g0)) g0 = g;
      progress!(Math.min(1, Math.max(0, Math.log(g0 / g) / Math.log(g0 / LOGISTIC_GTOL))));
    };
    // Each example's copies share its weight, so C keeps its meaning under dropout.
    const params = fitLogistic(m, C, { C: o.C / copies, gtol: LOGISTIC_GTOL, ...(progress ? { onIteration } : {}) });
    artifact = { ...common, kind: 'logistic', params, training: training({ C: o.C }) };
  } else if (o.model === 'linear-svm') {
    const m = designMatrix(data.examples, fill, dropout);
    const exampleFold = stratifiedFolds(data.examples.map((e) => e.label), SVM_FOLDS);
    const fold = Int32Array.from({ length: m.n }, (_, i) => exampleFold[Math.floor(i / copies)]!);
    const params = fitCalibratedSvm(m, C, fold, { C: o.C / copies, folds: SVM_FOLDS, ...(progress ? { onProgress: (d, t) => progress(d / t) } : {}) });
    artifact = { ...common, kind: 'linear-svm', params, training: training({ C: o.C, folds: SVM_FOLDS }) };
  } else {
    const { train: trainIdx, valid: validIdx } = validationSplit(data, o.seed);
    const trainM = designMatrix(trainIdx.map((i) => data.examples[i]!), fill, dropout);
    const validM = designMatrix(validIdx.map((i) => data.examples[i]!), fill);
    const params = fitMlp(trainM, validM, C, {
      hidden: o.hidden, alpha: o.alpha, seed: o.seed,
      ...(progress ? { onEpoch: (e: number, max: number) => progress(e / max) } : {}),
    });
    artifact = { ...common, kind: 'mlp', params: { activation: 'relu', ...params }, training: training({ hidden: o.hidden, alpha: o.alpha, validationFraction: VALIDATION_FRACTION }) };
  }
  artifact.training.metrics = scoreModel(artifact, data).metrics;
  return artifact;
}

/** Scores a model on every example of a data set. */
export function scoreModel(artifact: ModelArtifact, data: Dataset) {
  const model = loadModel(artifact);
  const probs = data.examples.map((e) => predictDists(model, e.prepared.modalities, e.prepared.dists, new Float64Array(data.classes.length)));
  return score(probs, data.examples.map((e) => e.label), data.classes.length);
}

/** A seeded, stratified hold-out of about 10% of each class for early stopping. */
function validationSplit(data: Dataset, seed: number): { train: number[]; valid: number[] } {
  const rng = mulberry32(seed ^ 0x9e3779b9);
  const byClass = new Map<number, number[]>();
  data.examples.forEach((e, i) => {
    const idx = byClass.get(e.label);
    if (idx) idx.push(i);
    else byClass.set(e.label, [i]);
  });
  const train: number[] = [], valid: number[] = [];
  for (const idx of byClass.values()) {
    shuffle(idx, rng);
    const v = data.examples.length >= 20 ? Math.round(idx.length * VALIDATION_FRACTION) : 0;
    valid.push(...idx.slice(0, v));
    train.push(...idx.slice(v));
  }
  return { train: train.sort((a, b) => a - b), valid: valid.sort((a, b) => a - b) };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
