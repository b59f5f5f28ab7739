/**
 * The pure join reducer: `(state, event, now) -> (state, effects, reply)`. It decides when a
 * join is complete, closes it at its deadline and keeps late predictions, and it fuses through
 * the same path as `POST /v1/fuse/{strategy}` (`fuseOne`), so a join's decision equals the
 * synchronous answer for the same predictions and profile version. Adapters store the state
 * (with a conditional write per step), schedule the timer and deliver the outcome.
 */
import { FusionError, InsufficientModalitiesError, InvalidRequestError } from '../errors.js';
import { type DecisionObserver, fuseOneAny } from '../fuse.js';
import type { ResolvedProfile } from '../prepare.js';
import { problem, toProblem } from '../problem.js';
import { STRATEGY_NAMES, getStrategy } from '../registry.js';
import { joinSectionErrors } from './check.js';
import type { FusionResponse, Prediction } from '../schemas.js';
import type { Arrival, ArrivalTimes, JoinOutcome, JoinPending, JoinSection, JoinState } from './schema.js';

/** What happens to a join. */
export type JoinEvent = { type: 'arrive'; modality: string; prediction: Prediction } | { type: 'timer' } | { type: 'delivered' };

/** What the adapter must do after storing the new state. */
export type JoinEffect = { type: 'schedule'; at: number } | { type: 'deliver'; outcome: JoinOutcome } | { type: 'late'; modality: string };

/** The answer to the caller of an arrival (HTTP status and body). */
export interface JoinReply {
  status: 200 | 202 | 409;
  body: unknown;
}

/** One step: the next state (the same object when nothing changed), its effects and the reply. */
export interface JoinStep {
  state: JoinState | undefined;
  changed: boolean;
  effects: JoinEffect[];
  reply: JoinReply;
}

/** The profile (at the join's version) and its join section. */
export interface JoinContext {
  profile: ResolvedProfile;
  join: JoinSection;
  joinId: string;
}

/** The context of a join of `resolved`; a 400 that says how to add a `join` section when it has none. */
export function joinContext(resolved: ResolvedProfile, joinId: string): JoinContext {
  const { profile } = resolved;
  if (!profile.join)
    throw new InvalidRequestError([
      {
        path: 'profile',
        message: `profile "${profile.name}" has no "join" section; add one, for example "join": {"strategy": "average", "windowSeconds": 30}, to the profile and publish it`,
      },
    ]);
  const errors = joinSectionErrors(profile, STRATEGY_NAMES);
  if (errors.length) throw new InvalidRequestError(errors);
  return { profile: resolved, join: profile.join, joinId };
}

/** The quorum in force: `join.quorum`, else the profile's `minModalities`, else every modality. */
export function quorumOf(ctx: JoinContext): number {
  return ctx.join.quorum ?? ctx.profile.profile.minModalities ?? ctx.profile.profile.modalities.length;
}

/** Applies one event. Pure: the same inputs always give the same step. */
export function reduce(state: JoinState | undefined, event: JoinEvent, now: number, ctx: JoinContext): JoinStep {
  if (event.type === 'arrive') return arrive(state, event.modality, event.prediction, now, ctx);
  if (!state) return { state, changed: false, effects: [], reply: notFound() };
  if (event.type === 'delivered') return state.delivered ? same(state) : { state: { ...state, delivered: true }, changed: true, effects: [], reply: replyFor(state, ctx) };
  // The timer.
  if (state.outcome) return { state, changed: false, effects: state.delivered ? [] : [{ type: 'deliver', outcome: state.outcome }], reply: replyFor(state, ctx) };
  if (now < state.deadline) return { state, changed: false, effects: [{ type: 'schedule', at: state.deadline }], reply: replyFor(state, ctx) };
  const closed = close(state, 'window', state.deadline, ctx);
  return { state: closed, changed: true, effects: [{ type: 'deliver', outcome: closed.outcome! }], reply: replyFor(closed, ctx) };
}

function arrive(state: JoinState | undefined, modality: string, prediction: Prediction, now: number, ctx: JoinContext): JoinStep {
  const effects: JoinEffect[] = [];
  let s = state;
  if (!s) {
    const deadline = now + ctx.join.windowSeconds * 1000;
    s = { profile: ctx.profile.profile.name, joinId: ctx.joinId, openedAt: now, deadline, arrivals: {}, late: {}, delivered: false };
    if (ctx.profile.version !== undefined) s.version = ctx.profile.version;
    effects.push({ type: 'schedule', at: deadline });
  }
  // The deadline passed but the timer has not fired yet: close first, as the timer would have.
  if (!s.outcome && now >= s.deadline) {
    s = close(s, 'window', s.deadline, ctx);
    effects.push({ type: 'deliver', outcome: s.outcome! });
  }
  const changed = s !== state;
  const seen = s.arrivals[modality] ?? s.late[modality];
  if (seen) {
    if (!samePrediction(seen.prediction, prediction)) return { state: s, changed, effects, reply: conflict(s, modality) };
    // A retry of a pending join schedules its timer again, in case the first attempt could not.
    if (!s.outcome) effects.push({ type: 'schedule', at: s.deadline });
    return { state: s, changed, effects, reply: s.late[modality] ? closedReply(s) : replyFor(s, ctx) };
  }
  const arrival: Arrival = { prediction, arrivedAt: now };
  if (s.outcome) {
    s = { ...s, late: { ...s.late, [modality]: arrival } };
    effects.push({ type: 'late', modality });
    return { state: s, changed: true, effects, reply: closedReply(s) };
  }
  s = { ...s, arrivals: { ...s.arrivals, [modality]: arrival } };
  if (ctx.profile.profile.modalities.every((m) => s!.arrivals[m])) {
    s = close(s, 'complete', now, ctx);
    effects.push({ type: 'deliver', outcome: s.outcome! });
  }
  return { state: s, changed: true, effects, reply: replyFor(s, ctx) };
}

/** Decides the join with what has arrived: fused when the quorum is met, else insufficient. */
function close(state: JoinState, trigger: 'complete' | 'window', at: number, ctx: JoinContext): JoinState {
  const modalities = ctx.profile.profile.modalities;
  const arrived = modalities.filter((m) => state.arrivals[m]);
  const missing = modalities.filter((m) => !state.arrivals[m]);
  const decidedAt = new Date(at).toISOString();
  const arrivals = times(state, arrived);
  const version = ctx.profile.version ?? 'local';
  const insufficient = (p: ReturnType<typeof problem>): JoinOutcome => ({
    state: 'insufficient', joinId: state.joinId, decisionId: state.joinId, profile: { name: state.profile, version }, trigger: 'window', decidedAt, arrived, missing, arrivals, problem: p,
  });
  let outcome: JoinOutcome;
  const quorum = quorumOf(ctx);
  if (arrived.length < quorum) {
    const detail = `Join "${state.joinId}" closed at its deadline with ${arrived.length} of ${modalities.length} modalities, below the quorum of ${quorum}. Arrived: ${arrived.join(', ') || 'none'}; missing: ${missing.join(', ')}.`;
    outcome = insufficient(problem('insufficient-modalities', detail, [{ path: 'modalities', message: `arrived: ${arrived.join(', ') || 'none'}; missing: ${missing.join(', ')}` }]));
  } else {
    try {
      outcome = { ...fuseArrived(state, arrived, ctx), decisionId: state.joinId, state: 'decided', joinId: state.joinId, trigger, decidedAt, arrivals };
    } catch (e) {
      if (!(e instanceof FusionError) || !(e instanceof InsufficientModalitiesError || e.code === 'invalid-request')) throw e;
      outcome = insufficient(toProblem(e));
    }
  }
  return { ...state, outcome };
}

/**
 * The synchronous answer for the arrived predictions: `POST /v1/fuse/{strategy}` with the
 * profile (`observe` sees what the core prepared, for the decision log).
 */
export function fuseArrived(state: Pick<JoinState, 'arrivals' | 'joinId' | 'profile'>, arrived: string[], ctx: JoinContext, observe?: DecisionObserver): FusionResponse {
  const predictions: Record<string, Prediction> = {};
  for (const m of arrived) predictions[m] = state.arrivals[m]!.prediction;
  return fuseOneAny(getStrategy(ctx.join.strategy), { id: state.joinId, profile: state.profile, predictions }, () => ctx.profile, {}, observe) as FusionResponse;
}

function times(state: JoinState, arrived: string[]): ArrivalTimes {
  const out: ArrivalTimes = {};
  for (const m of arrived) {
    const at = state.arrivals[m]!.arrivedAt;
    out[m] = { arrivedAt: new Date(at).toISOString(), latenessMs: at - state.openedAt };
  }
  return out;
}

/** The join's current answer: 200 with the outcome once there is one, else 202 with the pending state. */
export function replyFor(state: JoinState, ctx: Pick<JoinContext, 'profile'>): JoinReply {
  if (state.outcome) return { status: 200, body: state.outcome };
  return { status: 202, body: pendingView(state, ctx.profile.profile.modalities) };
}

/** The pending view of a join. */
export function pendingView(state: JoinState, modalities: string[]): JoinPending {
  return {
    state: 'pending',
    joinId: state.joinId,
    profile: state.profile,
    arrived: modalities.filter((m) => state.arrivals[m]),
    missing: modalities.filter((m) => !state.arrivals[m]),
    openedAt: new Date(state.openedAt).toISOString(),
    deadline: new Date(state.deadline).toISOString(),
  };
}

function same(state: JoinState): JoinStep {
  return { state, changed: false, effects: [], reply: { status: 200, body: state.outcome } };
}

function notFound(): JoinReply {
  return { status: 409, body: problem('not-found', 'No such join.') };
}

function closedReply(state: JoinState): JoinReply {
  const o = state.outcome!;
  const detail = `Join "${state.joinId}" of profile "${state.profile}" is closed: its outcome (${o.state}, trigger ${o.trigger}, id "${o.joinId}") was decided at ${o.decidedAt}. This prediction is kept but does not change it.`;
  return { status: 409, body: { ...problem('join-closed', detail), outcomeId: o.joinId, outcome: o.state } };
}

function conflict(state: JoinState, modality: string): JoinReply {
  const detail = `Modality "${modality}" already arrived for join "${state.joinId}" with a different prediction; a repeated PUT must send the same body. Use a new joinId for a new item.`;
  return { status: 409, body: problem('join-conflict', detail, [{ path: 'modality', message: `"${modality}" already arrived with another prediction` }]) };
}

/** Two predictions are the same when their JSON is (key order aside). */
export function samePrediction(a: Prediction, b: Prediction): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}
