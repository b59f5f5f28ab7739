/**
 * The join service: loads a join, runs the pure reducer, writes the new state with a
 * conditional write (retrying on a conflict with a fresh read), then performs the effects:
 * schedule the timer, deliver the outcome, count late arrivals. Each adapter (HTTP, SQS, the
 * timer) calls one of its three methods.
 */
import { NotFoundError, UnavailableError } from '../fusion/errors.js';
import { checkArrival, checkJoinId } from '../fusion/join/check.js';
import { type JoinContext, type JoinEffect, type JoinEvent, type JoinReply, joinContext, pendingView, reduce } from '../fusion/join/reducer.js';
import { JOIN_LIMITS, type JoinDecision, type JoinOutcome, type JoinState } from '../fusion/join/schema.js';
import type { ResolvedProfile } from '../fusion/prepare.js';
import { InvalidRequestError } from '../fusion/errors.js';
import { type RecorderConfig, collector, recordDecisions, recorderConfig } from '../loop/record.js';
import { fuseArrived } from '../fusion/join/reducer.js';
import { logger } from '../observability.js';
import type { JoinStore } from './store.js';

/** Sends the timer event of a join at `at` (epoch ms), or soon after. */
export interface JoinScheduler {
  schedule(profile: string, joinId: string, at: number): Promise<void>;
}

/** Delivers an outcome (at least once; the join id is the idempotency key). */
export interface JoinDelivery {
  deliver(outcome: JoinOutcome, profile: string): Promise<void>;
}

/** Counts of what happened, for metrics. */
export interface JoinCounters {
  late(profile: string, modality: string): void;
  outcome(outcome: JoinOutcome, profile: string): void;
}

/** What a join service is made of. */
export interface JoinServiceOptions {
  store: JoinStore;
  scheduler: JoinScheduler;
  delivery: JoinDelivery;
  /** Loads a profile by `name` or `name@version` (404 when unknown). */
  profiles: (ref: string) => Promise<ResolvedProfile>;
  now?: () => number;
  counters?: JoinCounters;
  /** The decision log's settings (default: from `process.env`). */
  recorder?: RecorderConfig;
}

const PROFILE_NAME = /^[A-Za-z0-9._-]{1,128}$/;
/** Conditional-write attempts per event: contention is at most one writer per modality. */
const MAX_ATTEMPTS = 40;

/** The join service over a store, a scheduler and a delivery. */
export class JoinService {
  private readonly now: () => number;
  constructor(private readonly o: JoinServiceOptions) {
    this.now = o.now ?? Date.now;
  }

  /** One modality's prediction arrives (`PUT /v1/joins/{profile}/{joinId}/{modality}`). */
  async arrive(profile: string, joinId: string, modality: string, body: unknown): Promise<JoinReply> {
    checkNames(profile, joinId);
    const now = this.now();
    let prediction: ReturnType<typeof checkArrival> | undefined;
    return await this.apply(profile, joinId, now, false, (ctx) => ({ type: 'arrive', modality, prediction: (prediction ??= checkArrival(ctx, modality, body)) }));
  }

  /** The timer of a join fired: close it if due, re-send an undelivered outcome. Throws if delivery fails. */
  async fire(profile: string, joinId: string): Promise<void> {
    await this.apply(profile, joinId, this.now(), true, () => ({ type: 'timer' }));
  }

  /** The join's state (`GET /v1/joins/{profile}/{joinId}`): 200 with the outcome or the pending view; 404 when unknown. */
  async status(profile: string, joinId: string): Promise<JoinReply> {
    checkNames(profile, joinId);
    const found = await this.o.store.get(profile, joinId);
    if (!found) throw new NotFoundError(`No join "${joinId}" of profile "${profile}": none of its modalities has arrived (or it has expired).`, [{ path: 'joinId', message: 'no such join' }]);
    const { state } = found;
    if (state.outcome) return { status: 200, body: { ...state.outcome, ...lateList(state) } };
    const resolved = await this.o.profiles(ref(state));
    return { status: 200, body: pendingView(state, resolved.profile.modalities) };
  }

  private async apply(profile: string, joinId: string, now: number, strict: boolean, event: (ctx: JoinContext) => JoinEvent): Promise<JoinReply> {
    const started = performance.now();
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.o.store.get(profile, joinId);
      if (!current && strict) return { status: 202, body: null }; // a timer for a join that expired
      const ctx = joinContext(await this.o.profiles(current ? ref(current.state) : profile), joinId);
      const step = reduce(current?.state, event(ctx), now, ctx);
      if (step.changed && !(await this.o.store.put(step.state!, current?.rev ?? 0, expiresAt(step.state!, ctx)))) {
        await pause(attempt);
        continue;
      }
      // The write that stored a new decided outcome is the one place its decision is logged.
      const outcome = step.state?.outcome;
      if (step.changed && outcome?.state === 'decided' && !current?.state.outcome) this.record(step.state!, outcome, ctx, performance.now() - started);
      await this.effects(step.effects, profile, joinId, strict);
      return step.reply;
    }
    throw new UnavailableError(`Join "${joinId}" is being written by too many callers at once; retry the request.`);
  }

  /** One decision line for a join's decided outcome (decisionId = joinId); never fails the join. */
  private record(state: JoinState, outcome: JoinDecision, ctx: JoinContext, latencyMs: number): void {
    try {
      const { observe, decided } = collector();
      fuseArrived(state, Object.keys(outcome.arrivals), ctx, observe);
      const prepared = decided[0]?.prepared;
      if (prepared) recordDecisions([{ decisionId: outcome.joinId, joinId: outcome.joinId, prepared, response: outcome }], { source: 'join', latencyMs }, this.o.recorder ?? recorderConfig());
    } catch (e) {
      logger.warn('decision log: a join outcome could not be recorded', { joinId: outcome.joinId, error: (e as Error).message?.slice(0, 500) });
    }
  }

  private async effects(effects: JoinEffect[], profile: string, joinId: string, strict: boolean): Promise<void> {
    for (const e of effects) {
      if (e.type === 'schedule') await this.o.scheduler.schedule(profile, joinId, e.at);
      else if (e.type === 'late') this.o.counters?.late(profile, e.modality);
      else {
        this.o.counters?.outcome(e.outcome, profile);
        try {
          await this.o.delivery.deliver(e.outcome, profile);
        } catch (err) {
          // The outcome is stored; the timer re-sends it. Only the timer itself must fail loudly.
          if (strict) throw err;
          logger.warn('join outcome not delivered yet; the timer will re-send it', { profile, joinId, error: err as Error });
          continue;
        }
        await this.apply(profile, joinId, this.now(), false, () => ({ type: 'delivered' }));
      }
    }
  }
}

function checkNames(profile: string, joinId: string): void {
  if (!PROFILE_NAME.test(profile)) throw new InvalidRequestError([{ path: 'profile', message: 'a profile name is 1 to 128 letters, digits, ".", "_" or "-"' }]);
  checkJoinId(joinId);
}

/** The profile reference a join is bound to: its version when the store has versions. */
function ref(state: JoinState): string {
  return state.version === undefined ? state.profile : `${state.profile}@${state.version}`;
}

function expiresAt(state: JoinState, ctx: JoinContext): number {
  const days = ctx.join.retentionDays ?? JOIN_LIMITS.defaultRetentionDays;
  return Math.ceil(state.deadline / 1000) + days * 86_400;
}

function lateList(state: JoinState): { late?: string[] } {
  const late = Object.keys(state.late);
  return late.length ? { late } : {};
}

function pause(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(50, 2 ** Math.min(attempt, 6));
  return new Promise((resolve) => setTimeout(resolve, ms));
}
