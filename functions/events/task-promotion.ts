/**
 * The promotion guardrail of S3-triggered retraining for regression and multi-label profiles,
 * pure, as `promotion.ts` is for classification: fit the profile's `training.model` (ridge, or
 * one logistic regression per label) on the new data, estimate its loss there by
 * cross-validation for the report, and decide on the operator's holdout: promote only when the
 * new model's loss (mean squared error, or mean per-label log loss) is not worse than the
 * current model's by more than `promotionMargin` (a first model must beat knowing nothing).
 * Without a holdout the new model is not promoted unless `training.autoPromote` is true.
 */
import { InvalidRequestError, type Profile } from '../fusion/index.js';
import { type TaskData, taskSubset } from '../fusion/learned/task-data.js';
import { TASK_LOSS, baselineLoss, fitTaskModel, taskLoss } from '../fusion/learned/task-train.js';
import type { MultilabelTraining, RegressionTraining } from '../fusion/tasks/training.js';

/** A task profile's training section with the guardrail's defaults applied. */
export type TaskTrainingConfig = (RegressionTraining | MultilabelTraining) & { promotionMargin: number; folds: number };

/** The training settings of a regression or multi-label profile, with defaults; undefined without a section. */
export function taskTrainingSection(profile: Profile): TaskTrainingConfig | undefined {
  const training = (profile as unknown as { training?: RegressionTraining | MultilabelTraining }).training;
  return training && { promotionMargin: 0, folds: 5, ...training };
}

/** What the guardrail decided for a task model, and the numbers it decided on. */
export interface TaskPromotionDecision {
  promote: boolean;
  reason: string;
  /** The loss compared: mean squared error (regression) or mean per-label log loss (multi-label). */
  loss: string;
  rows: number;
  folds: number;
  margin: number;
  /** The new model's cross-validated loss on the new data. */
  candidateLoss: number;
  /** The current model's loss on the new data (without a holdout, with autoPromote). */
  currentLoss?: number;
  holdout?: { rows: number; candidateLoss: number; currentLoss?: number; baselineLoss: number };
}

/** Rows with at least the profile's `minModalities` modalities: those a request could be fused for. */
function usable(data: TaskData, profile: Profile): TaskData {
  const min = profile.minModalities ?? 1;
  return taskSubset(data, data.rows.flatMap((r, i) => (r.names.length >= min ? [i] : [])));
}

/** K-fold cross-validated loss (row i in fold i mod K). */
function crossValidated(data: TaskData, config: TaskTrainingConfig, K: number): number {
  let total = 0;
  for (let k = 0; k < K; k++) {
    const idx = data.rows.map((_, i) => i);
    const fold = taskSubset(data, idx.filter((i) => i % K === k));
    const rest = taskSubset(data, idx.filter((i) => i % K !== k));
    total += taskLoss(fold, fitTaskModel(rest, config, { dataSha256: '', createdAt: '' })) * fold.rows.length;
  }
  return total / data.rows.length;
}

/** Trains the profile's task model on `data` and decides whether it replaces `current`. */
export function retrainTask(
  data: TaskData,
  profile: Profile,
  config: TaskTrainingConfig,
  current: unknown,
  meta: { dataSha256: string; createdAt: string; holdout?: TaskData; holdoutSource?: string },
): { artifact: unknown; decision: TaskPromotionDecision } {
  const artifact = fitTaskModel(data, config, meta);
  const loss = TASK_LOSS[data.task];
  const used = usable(data, profile);
  const K = Math.min(config.folds, used.rows.length);
  if (K < 2) throw new InvalidRequestError([{ path: 'data', message: `the data has ${used.rows.length} usable rows; cross-validation needs at least 2` }]);
  const candidateLoss = crossValidated(used, config, K);
  const base = { loss, rows: used.rows.length, folds: K, margin: config.promotionMargin, candidateLoss };
  const name = `new ${config.model} model`;
  if (meta.holdout) {
    const source = meta.holdoutSource ?? 'the holdout';
    const hold = usable(meta.holdout, profile);
    if (hold.rows.length === 0) return { artifact, decision: { ...base, promote: false, reason: `not promoted: ${source} has no row with at least ${profile.minModalities ?? 1} modalities to compare on` } };
    const candidate = taskLoss(hold, artifact);
    const baseline = baselineLoss(hold, data);
    const where = `on the ${hold.rows.length} rows of ${source}`;
    if (!current) {
      const promote = candidate < baseline;
      const compare = `${name}'s ${loss} ${fmt(candidate)} vs ${fmt(baseline)} for knowing nothing ${where}`;
      return { artifact, decision: { ...base, promote, holdout: { rows: hold.rows.length, candidateLoss: candidate, baselineLoss: baseline }, reason: promote ? `promoted as the first model: ${compare}` : `not promoted: no better than knowing nothing: ${compare}` } };
    }
    const now = taskLoss(hold, current);
    const promote = candidate <= now + config.promotionMargin;
    const compare = `${name}'s ${loss} ${fmt(candidate)} vs the current model's ${fmt(now)} ${where} (margin ${config.promotionMargin})`;
    return {
      artifact,
      decision: { ...base, promote, holdout: { rows: hold.rows.length, candidateLoss: candidate, currentLoss: now, baselineLoss: baseline }, reason: promote ? `promoted: ${compare}` : `not promoted: worse by ${fmt(candidate - now)} on the holdout, more than the margin: ${compare}` },
    };
  }
  if (!config.autoPromote) {
    const reason = `not promoted: there is no holdout (validation/${profile.name}/*.jsonl) to compare on, and training.autoPromote is not true; the new model is published for review. Add a holdout, or set "autoPromote": true to trust the uploaded data`;
    return { artifact, decision: { ...base, promote: false, reason } };
  }
  if (!current) return { artifact, decision: { ...base, promote: true, reason: `profile "${profile.name}" has no current model; the ${name} (cross-validated ${loss} ${fmt(candidateLoss)}) becomes its first` } };
  const currentLoss = taskLoss(used, current);
  const promote = candidateLoss <= currentLoss + config.promotionMargin;
  const compare = `${name}'s ${K}-fold cross-validated ${loss} ${fmt(candidateLoss)} vs the current model's ${fmt(currentLoss)} on the same ${used.rows.length} rows (margin ${config.promotionMargin})`;
  return { artifact, decision: { ...base, currentLoss, promote, reason: promote ? `promoted: ${compare}` : `not promoted: worse by ${fmt(candidateLoss - currentLoss)}, more than the margin: ${compare}` } };
}

function fmt(x: number): string {
  return x.toFixed(4);
}
