/**
 * Checks of a join's inputs, before the reducer sees them: the profile's `join` section (at
 * publish and at use), the join id, the modality and the prediction.
 */
import { type FieldError, InvalidRequestError } from '../errors.js';
import { parseWith, prepare } from '../prepare.js';
import { Prediction, type Profile } from '../schemas.js';
import type { Strategy } from '../strategy.js';
import { profileTask } from '../tasks/common.js';
import { fuseTask } from '../tasks/index.js';
import { MultilabelPrediction, RegressionPrediction } from '../tasks/requests.js';
import { tasksOf } from '../tasks/task.js';
import type { JoinContext } from './reducer.js';
import { JOIN_ID, JOIN_LIMITS, type JoinPrediction } from './schema.js';

/** Each task's prediction form: what one arrival of a join of that task's profile must be. */
const PREDICTION = { classification: Prediction, regression: RegressionPrediction, multilabel: MultilabelPrediction } as const;

/**
 * The rules of a `join` section that need the rest of the profile (and, given `strategies`, the
 * registry: passed in, so the store's validation does not bundle every strategy): a known
 * strategy with a form for the profile's task. Empty when it is fine.
 */
export function joinSectionErrors(profile: Profile, strategies?: Readonly<Record<string, Pick<Strategy, 'tasks'>>>): FieldError[] {
  const join = profile.join;
  if (!join) return [];
  const errors: FieldError[] = [];
  const task = profileTask(profile);
  if (strategies) {
    const names = Object.keys(strategies);
    const withTask = names.filter((n) => tasksOf(strategies[n]!).includes(task));
    if (!Object.hasOwn(strategies, join.strategy)) errors.push({ path: 'join.strategy', message: `"${join.strategy}" is not a strategy; use one of: ${withTask.join(', ')}` });
    else if (!withTask.includes(join.strategy))
      errors.push({ path: 'join.strategy', message: `strategy "${join.strategy}" has no ${task} form and this is a ${task} profile; use one of: ${withTask.join(', ')}` });
  }
  const n = profile.modalities.length;
  if (join.quorum !== undefined && join.quorum > n)
    errors.push({ path: 'join.quorum', message: `join.quorum is ${join.quorum} but the profile has ${n} modalities; use at most ${n}` });
  return errors;
}

/** A join id's problems (1 to 128 characters of `[A-Za-z0-9._:-]`), empty when valid. */
export function checkJoinId(joinId: string, path = 'joinId'): void {
  if (!JOIN_ID.test(joinId))
    throw new InvalidRequestError([{ path, message: `a join id is 1 to ${JOIN_LIMITS.maxJoinId} characters of letters, digits, ".", "_", ":" or "-"` }]);
}

/** Largest JSON size of one modality's prediction: its share of the join's byte budget. */
export function maxPredictionBytes(profile: Profile): number {
  return Math.floor(JOIN_LIMITS.maxJoinBytes / profile.modalities.length);
}

/**
 * Validates one arrival against the profile: a known modality and a prediction of the profile's
 * task that the synchronous API would accept for it (shape, class count, sums, labels; for a
 * regression or multi-label join, what the join's strategy needs of it too, such as
 * inverse-variance's `std`, checked by fusing the prediction alone with `strategy`). Paths are
 * relative to the body.
 */
export function checkArrival(ctx: JoinContext, modality: string, body: unknown, strategy?: Strategy): JoinPrediction {
  const profile = ctx.profile.profile;
  if (!profile.modalities.includes(modality))
    throw new InvalidRequestError([{ path: 'modality', message: `"${modality}" is not a modality of profile "${profile.name}"; use one of: ${profile.modalities.join(', ')}` }]);
  const task = profileTask(profile);
  const prediction = parseWith(PREDICTION[task] as typeof Prediction, body) as JoinPrediction;
  const bytes = JSON.stringify(prediction).length;
  const max = maxPredictionBytes(profile);
  if (bytes > max) throw new InvalidRequestError([{ path: '', message: `the prediction has ${bytes} bytes as JSON; a join of ${profile.modalities.length} modalities takes at most ${max} per modality` }]);
  const prefix = `predictions.${modality}`;
  try {
    // One prediction alone, so the profile's minModalities (a rule for the whole join) is left out.
    const { minModalities: _floor, ...alone } = profile;
    const lookup = () => ({ ...ctx.profile, profile: alone });
    const request = { profile: profile.name, predictions: { [modality]: prediction } };
    if (task === 'classification') prepare(request as Parameters<typeof prepare>[0], lookup);
    else if (strategy) fuseTask(task, strategy, { task, ...request }, lookup);
  } catch (e) {
    if (!(e instanceof InvalidRequestError)) throw e;
    throw new InvalidRequestError(e.errors.map((x) => ({ path: x.path === prefix ? '' : x.path.startsWith(`${prefix}.`) ? x.path.slice(prefix.length + 1) : x.path, message: x.message })));
  }
  return prediction;
}
