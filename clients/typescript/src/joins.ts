/**
 * Asynchronous joins: each modality service puts its own prediction into
 * `PUT /v1/joins/{profile}/{joinId}/{modality}`; the server decides once, on completion,
 * quorum or window. Join types follow the joins contract; their parts come from the server's
 * schemas (`contract.ts`).
 */
import type { FusionResponse, Prediction, Problem } from './contract.js';
import { FusionProblemError, FusionTimeoutError } from './errors.js';
import { sleep } from './retry.js';

/** A join's lifecycle: open until decided (a decision) or insufficient (too few modalities at the deadline). */
export type JoinStateName = 'pending' | 'decided' | 'insufficient';

/** The decision record: the usual fusion answer plus the join's own fields. */
export type JoinDecision = FusionResponse & {
  joinId: string;
  /** `complete`: every modality arrived; `window`: the deadline passed with the quorum met. */
  trigger: 'complete' | 'window';
  decidedAt: string;
  [field: string]: unknown;
};

/** What `put`, `get` and `wait` return. */
export interface JoinState {
  state: JoinStateName;
  joinId?: string;
  /** Modalities in so far, and those still expected. */
  arrived?: string[];
  missing?: string[];
  /** When the window closes (ISO 8601). */
  deadline?: string;
  /** The decision, once `state` is `decided`. */
  decision?: JoinDecision;
  /** Why, once `state` is `insufficient`: names what arrived and what did not. */
  problem?: Problem;
  [field: string]: unknown;
}

/** Options of `wait`. */
export interface WaitOptions {
  /** Give up (with `FusionTimeoutError`) after this long. Default 60 s. */
  timeoutMs?: number;
  /** First poll interval, growing by half each poll up to 2 s. Default 100 ms. */
  intervalMs?: number;
  signal?: AbortSignal;
}

/** How a join handle reaches the API (the client's signed, retried request). */
export type Send = (method: 'GET' | 'PUT', path: string, body?: unknown) => Promise<{ status: number; body: unknown }>;

/** One join, `client.join(profile, joinId)`. */
export class Join {
  readonly #send: Send;
  readonly #path: string;

  constructor(send: Send, readonly profile: string, readonly joinId: string) {
    this.#send = send;
    this.#path = `/v1/joins/${encodeURIComponent(profile)}/${encodeURIComponent(joinId)}`;
  }

  /**
   * Puts one modality's prediction. Resolves with the state: `pending` (202), or `decided` when
   * this arrival completed the join (200). A repeat with the same body is safe (it answers the
   * current state); a different body, or a modality arriving after the outcome, is a 409.
   */
  async put(modality: string, prediction: Prediction): Promise<JoinState> {
    const res = await this.#send('PUT', `${this.#path}/${encodeURIComponent(modality)}`, prediction);
    return toJoinState(res.body);
  }

  /** The join's current state; `FusionProblemError` with status 404 when nothing has arrived yet. */
  async get(): Promise<JoinState> {
    return toJoinState((await this.#send('GET', this.#path)).body);
  }

  /**
   * Polls `get` with backoff until the join is `decided` or `insufficient`, and returns that
   * state. A join nothing has been put into yet (404) counts as pending.
   */
  async wait(opts: WaitOptions = {}): Promise<JoinState> {
    const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
    let interval = opts.intervalMs ?? 100;
    for (;;) {
      const state = await this.get().catch((e: unknown) => {
        if (e instanceof FusionProblemError && e.status === 404) return undefined;
        throw e;
      });
      if (state && state.state !== 'pending') return state;
      const left = deadline - Date.now();
      if (left <= 0) throw new FusionTimeoutError(`Join ${this.profile}/${this.joinId} was still ${state ? 'pending' : 'not opened'} after ${opts.timeoutMs ?? 60_000} ms.`);
      await sleep(Math.min(interval, left), opts.signal);
      interval = Math.min(2000, interval * 1.5);
    }
  }
}

/**
 * A join answer as a `JoinState`, whether the server sends the decision itself (with or without
 * `state`), a state holding it, or an insufficient outcome's problem.
 */
export function toJoinState(body: unknown): JoinState {
  const b = (body ?? {}) as Record<string, unknown>;
  if (typeof b.state !== 'string') {
    if (typeof b.label === 'string') return { state: 'decided', joinId: b.joinId as string, decision: b as JoinDecision };
    return { state: 'insufficient', problem: b as Problem };
  }
  const state = { ...b } as JoinState;
  if (state.state === 'decided' && !state.decision && typeof b.label === 'string') state.decision = b as JoinDecision;
  if (state.state === 'insufficient' && !state.problem && typeof b.type === 'string') state.problem = b as Problem;
  return state;
}
