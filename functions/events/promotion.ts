/**
 * The promotion guardrail of S3-triggered retraining, pure: train the profile's model kind on
 * new labelled data and estimate its log loss on that data by stratified cross-validation (for
 * the report). Whoever can upload training data chooses it, so the decision is made on the
 * operator's holdout (`validation/<profile>/*.jsonl`, which retraining can read but not write):
 * promote only if the new model is not worse there than the current one by more than the
 * profile's margin (and, for a first model, better than knowing nothing). Without a holdout the
 * new model is never promoted unless the profile says `training.autoPromote: true`, and then
 * the old guardrail on the uploaded data decides.
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
  /** The holdout the decision was made on, when there is one. */
  holdout?: { rows: number; candidateLogLoss: number; currentLogLoss?: number; baselineLogLoss: number };
}

/** The trained artifact (fitted on all the new data) and the decision about it. */
export interface Retrained {
  artifact: ModelArtifact;
  decision: PromotionDecision;
}

/**
 * Trains `config.model` on `data` and decides whether it replaces `current` (the profile's
 * model now, if any). With a `holdout`: promote when the candidate's holdout log loss <= the
 * current model's + margin (with no current model: < the uniform baseline, log C). Without one:
 * only with `autoPromote`, when candidate CV log loss <= current log loss + margin on `data`.
 */
export function retrain(
  data: Dataset,
  profile: Profile,
  config: TrainingConfig,
  current: ModelArtifact | undefined,
  meta: { dataSha256: string; createdAt: string; holdout?: Dataset; holdoutSource?: string },
): Retrained {
  const options = { model: config.model as ModelKind, C: config.C, hidden: config.hidden, alpha: config.alpha, seed: config.seed, modalityDropout: config.modalityDropout };
  const artifact = fitModel(data, options, meta.dataSha256, meta.createdAt);

  const min = profile.minModalities ?? 1;
  const used = data.examples.filter((e) => e.prepared.modalities.length >= min);
  const C = data.classes.length;
  const K = Math.min(config.folds, used.length);
  const { probs, labels } = crossValidate(data, profile, options, K);
  const candidateLogLoss = score(probs, labels, C).metrics.logLoss;
  const base = { rows: labels.length, folds: K, margin: config.promotionMargin, candidateLogLoss };
  if (meta.holdout) return { artifact, decision: onHoldout(base, artifact, current, profile, config, meta.holdout, meta.holdoutSource ?? 'the holdout') };
  if (!config.autoPromote) {
    const reason = `not promoted: there is no holdout (validation/${profile.name}/*.jsonl) to compare on, and training.autoPromote is not true; the new model is published for review. Add a holdout, or set "autoPromote": true to trust the uploaded data`;
    return { artifact, decision: { ...base, promote: false, reason } };
  }
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

/** The decision on the operator's holdout. */
function onHoldout(
  base: Omit<PromotionDecision, 'promote' | 'reason'>,
  artifact: ModelArtifact,
  current: ModelArtifact | undefined,
  profile: Profile,
  config: TrainingConfig,
  holdout: Dataset,
  source: string,
): PromotionDecision {
  const C = holdout.classes.length;
  const used = holdout.examples.filter((e) => e.prepared.modalities.length >= (profile.minModalities ?? 1));
  const logLoss = (m: ModelArtifact) => {
    const model = loadModel(m, profile);
    return score(used.map((e) => predictDists(model, e.prepared.modalities, e.prepared.dists, new Float64Array(C))), used.map((e) => e.label), C).metrics.logLoss;
  };
  const baseline = Math.log(C);
  if (used.length === 0)
    return { ...base, promote: false, reason: `not promoted: ${source} has no row with at least ${profile.minModalities ?? 1} modalities to compare on` };
  const candidate = logLoss(artifact);
  const where = `on the ${used.length} rows of ${source}`;
  if (!current) {
    const promote = candidate < baseline;
    const compare = `new ${config.model} model's log loss ${fmt(candidate)} vs ${fmt(baseline)} for knowing nothing (uniform) ${where}`;
    return { ...base, promote, holdout: { rows: used.length, candidateLogLoss: candidate, baselineLogLoss: baseline }, reason: promote ? `promoted as the first model: ${compare}` : `not promoted: no better than knowing nothing: ${compare}` };
  }
  const now = logLoss(current);
  const promote = candidate <= now + config.promotionMargin;
  const compare = `new ${config.model} model's log loss ${fmt(candidate)} vs the current model's ${fmt(now)} ${where} (margin ${config.promotionMargin})`;
  return {
    ...base,
    promote,
    holdout: { rows: used.length, candidateLogLoss: candidate, currentLogLoss: now, baselineLogLoss: baseline },
    reason: promote ? `promoted: ${compare}` : `not promoted: worse by ${fmt(candidate - now)} on the holdout, more than the margin: ${compare}`,
  };
}

function fmt(x: number): string {
  return x.toFixed(4);
}
