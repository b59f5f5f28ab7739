/**
 * Asynchronous joins: each modality service puts its own prediction into
 * `PUT /v1/joins/{profile}/{joinId}/{modality}`; the server decides once, on completion,
 * quorum or window. The join states follow the join routes' OpenAPI operations
 * (`functions/joins/openapi.ts`); their parts come from the server's schemas (`contract.ts`).
 */
import type { FusionResponse, MultilabelPrediction, MultilabelResponse, Prediction, Problem, RegressionPrediction, RegressionResponse } from './contract.js';
import { FusionProblemError, FusionTimeoutError } from './errors.js';
import { sleep } from './retry.js';

/**
 * One modality's prediction for a join, of the profile's task: classification (`probabilities`,
 * `logits` or `label` with `confidence`), regression (`{value, std?}`) or multi-label (`{scores}`).
 */
export type JoinPrediction = Prediction | RegressionPrediction | MultilabelPrediction;

/** When each modality arrived, and how long after the first. */
export type JoinArrivals = Record<string, { arrivedAt: string; latenessMs: number }>;

/** `state: "pending"`: open, waiting for `missing` until `deadline` (ISO 8601). */
export interface JoinPending {
  state: 'pending';
  joinId: string;
  profile: string;
  arrived: string[];
  missing: string[];
  openedAt: string;
  deadline: string;
}

/** `state: "decided"`: the decision record, the fusion answer of the profile's task plus the join's own fields. */
export type JoinDecided = (FusionResponse | RegressionResponse | MultilabelResponse) & {
  state: 'decided';
  joinId: string;
  /** `complete`: every modality arrived; `window`: the deadline passed with the quorum met. */
  trigger: 'complete' | 'window';
  decidedAt: string;
  arrivals: JoinArrivals;
  /** Modalities that arrived after the outcome: kept, never counted. */
  late?: string[];
};

/** `state: "insufficient"`: the deadline passed without the quorum; `problem` names what arrived and what did not. */
export interface JoinInsufficient {
  state: 'insufficient';
  joinId: string;
  profile: { name: string; version: string };
  trigger: 'window';
  decidedAt: string;
  arrived: string[];
  missing: string[];
  arrivals?: JoinArrivals;
  problem: Problem;
  late?: string[];
}

/** What `put` and `get` answer: a join's state, by `state`. */
export type JoinState = JoinPending | JoinDecided | JoinInsufficient;

/** A join's outcome, what `wait` resolves with. */
export type JoinOutcome = JoinDecided | JoinInsufficient;

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
   * Puts one modality's prediction, of the profile's task (see `JoinPrediction`). Resolves with the state: `pending` (202), or `decided` when
   * this arrival completed the join (200). A repeat with the same body is safe (it answers the
   * current state); a different body, or a modality arriving after the outcome, is a 409.
   */
  async put(modality: string, prediction: JoinPrediction): Promise<JoinState> {
    return (await this.#send('PUT', `${this.#path}/${encodeURIComponent(modality)}`, prediction)).body as JoinState;
  }

  /** The join's current state; `FusionProblemError` with status 404 when nothing has arrived yet. */
  async get(): Promise<JoinState> {
    return (await this.#send('GET', this.#path)).body as JoinState;
  }

  /**
   * Polls `get` with backoff until the join is `decided` or `insufficient`, and returns that
   * state. A join nothing has been put into yet (404) counts as pending.
   */
  async wait(opts: WaitOptions = {}): Promise<JoinOutcome> {
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
