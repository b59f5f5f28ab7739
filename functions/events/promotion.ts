/**
 * The promotion guardrail of S3-triggered retraining, pure: train the profile's model kind on
 * new labelled data, estimate its log loss on that data by stratified cross-validation, score
 * the profile's current model on the same rows, and promote only if the new model is not worse
 * by more than the profile's margin.
 */
import { type Profile, TRAINING_DEFAULTS, type TrainingSection } from '../fusion/index.js';
import {
  type Dataset,
  type ModelArtifact,
  type ModelKind,
  crossValidate,
  fitModel,
  loadModel,
  predictDists,
  score,
} from '../fusion/learned/index.js';

/** A training section with the guardrail's defaults applied. */
export type TrainingConfig = TrainingSection & typeof TRAINING_DEFAULTS;

/** The profile's training settings with the guardrail's defaults applied; undefined without a section. */
export function trainingSection(profile: Profile): TrainingConfig | undefined {
  return profile.training && { ...TRAINING_DEFAULTS, ...profile.training };
}

/** What the guardrail decided, and the numbers it decided on. */
export interface PromotionDecision {
  promote: boolean;
  reason: string;
  /** Rows scored: those with at least the profile's minModalities modalities. */
  rows: number;
  folds: number;
  margin: number;
  /** The new model kind's cross-validated log loss on the new data. */
  candidateLogLoss: number;
  /** The current model's log loss on the same rows (absent without a current model). */
  currentLogLoss?: number;
}

/** The trained artifact (fitted on all the new data) and the decision about it. */
export interface Retrained {
  artifact: ModelArtifact;
  decision: PromotionDecision;
}

/**
 * Trains `config.model` on `data` and decides whether it replaces `current` (the profile's
 * model now, if any): promote when candidate CV log loss <= current log loss + margin.
 */
export function retrain(data: Dataset, profile: Profile, config: TrainingConfig, current: ModelArtifact | undefined, meta: { dataSha256: string; createdAt: string }): Retrained {
  const options = { model: config.model as ModelKind, C: config.C, hidden: config.hidden, alpha: config.alpha, seed: config.seed, modalityDropout: config.modalityDropout };
  const artifact = fitModel(data, options, meta.dataSha256, meta.createdAt);

  const min = profile.minModalities ?? 1;
  const used = data.examples.filter((e) => e.prepared.modalities.length >= min);
  const C = data.classes.length;
  const K = Math.min(config.folds, used.length);
  const { probs, labels } = crossValidate(data, profile, options, K);
  const candidateLogLoss = score(probs, labels, C).metrics.logLoss;
  const base = { rows: labels.length, folds: K, margin: config.promotionMargin, candidateLogLoss };
  if (!current) return { artifact, decision: { ...base, promote: true, reason: `profile "${profile.name}" has no current model; the new ${config.model} model (cross-validated log loss ${fmt(candidateLogLoss)}) becomes its first` } };

  const model = loadModel(current, profile);
  const currentProbs = used.map((e) => predictDists(model, e.prepared.modalities, e.prepared.dists, new Float64Array(C)));
  const currentLabels = used.map((e) => e.label);
  const currentLogLoss = score(currentProbs, currentLabels, C).metrics.logLoss;
  const promote = candidateLogLoss <= currentLogLoss + config.promotionMargin;
  const compare = `new ${config.model} model's ${K}-fold cross-validated log loss ${fmt(candidateLogLoss)} vs the current model's ${fmt(currentLogLoss)} on the same ${labels.length} rows (margin ${config.promotionMargin})`;
  const reason = promote ? `promoted: ${compare}` : `not promoted: worse by ${fmt(candidateLogLoss - currentLogLoss)}, more than the margin: ${compare}`;
  return { artifact, decision: { ...base, currentLogLoss, promote, reason } };
}

function fmt(x: number): string {
  return x.toFixed(4);
}
