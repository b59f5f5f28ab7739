/**
 * The profile's `join` section and the shapes of a join (state, decision record, status), in
 * zod/mini. A join gathers one prediction per modality, sent separately, into one decision.
 */
import * as z from 'zod/mini';
import type { Prediction, Problem } from '../schemas.js';
import type { AnyResponse } from '../tasks/index.js';
import type { MultilabelPrediction, RegressionPrediction } from '../tasks/requests.js';

/** One arrival's prediction: the form of the profile's task. */
export type JoinPrediction = Prediction | RegressionPrediction | MultilabelPrediction;

/** Bounds of a join; shared by the core, the adapters and the CDK stack. */
export const JOIN_LIMITS = {
  minWindowSeconds: 1,
  /** SQS's longest message delay: the timer queue carries each window in one message. */
  maxWindowSeconds: 900,
  defaultRetentionDays: 7,
  maxRetentionDays: 365,
  maxJoinId: 128,
  /**
   * Bytes of all predictions of one join together (as JSON). A join is one DynamoDB item,
   * whose limit is 400 KB; each modality may use its share of this budget.
   */
  maxJoinBytes: 300 * 1024,
} as const;

/** A join id: 1 to 128 characters of `[A-Za-z0-9._:-]`. */
export const JOIN_ID = /^[A-Za-z0-9._:-]{1,128}$/;

const whole = (what: string, min: number, max: number) =>
  z.int({ error: `${what} must be a whole number from ${min} to ${max}` }).check(z.minimum(min, `${what} must be at least ${min}`), z.maximum(max, `${what} must be at most ${max}`));

const joinShape = {
  strategy: z.string({ error: 'join.strategy is required: the name of a registered strategy, for example "average"' }).check(z.minLength(1, 'join.strategy must not be empty')),
  quorum: z.optional(whole('join.quorum', 1, 64)),
  windowSeconds: whole('join.windowSeconds', JOIN_LIMITS.minWindowSeconds, JOIN_LIMITS.maxWindowSeconds),
  retentionDays: z.optional(whole('join.retentionDays', 1, JOIN_LIMITS.maxRetentionDays)),
};

/**
 * A profile's `join` section: which strategy decides, how many modalities are enough at the
 * deadline (`quorum`, default the profile's `minModalities`, else all), the window from the
 * first arrival, and how long join records are kept.
 */
export const JoinSection = z.strictObject(joinShape, {
  error: (issue) => (issue.code === 'unrecognized_keys' ? `join has only the fields ${Object.keys(joinShape).join(', ')}` : 'join must be a JSON object'),
});
export type JoinSection = z.infer<typeof JoinSection>;

/** One modality's prediction as it arrived. */
export interface Arrival {
  prediction: JoinPrediction;
  /** Epoch milliseconds. */
  arrivedAt: number;
}

/** When each used modality arrived, and how long after the first. */
export type ArrivalTimes = Record<string, { arrivedAt: string; latenessMs: number }>;

/** A join decided with what arrived: the synchronous response (of the profile's task) plus the join's facts. */
export type JoinDecision = AnyResponse & {
  state: 'decided';
  joinId: string;
  trigger: 'complete' | 'window';
  decidedAt: string;
  arrivals: ArrivalTimes;
};

/** A join that reached its deadline without its quorum (or that the strategy could not fuse). */
export interface JoinInsufficient {
  state: 'insufficient';
  joinId: string;
  /** The join's decision id: its joinId. */
  decisionId: string;
  profile: { name: string; version: string };
  trigger: 'window';
  decidedAt: string;
  arrived: string[];
  missing: string[];
  arrivals: ArrivalTimes;
  problem: Problem;
}

/** The one outcome of a join. */
export type JoinOutcome = JoinDecision | JoinInsufficient;

/** Everything stored about one join. Plain JSON. */
export interface JoinState {
  profile: string;
  joinId: string;
  /** The profile version the join was opened with; every later event uses the same one. */
  version?: string;
  openedAt: number;
  deadline: number;
  arrivals: Record<string, Arrival>;
  /** Predictions that came after the outcome: kept, never used. */
  late: Record<string, Arrival>;
  outcome?: JoinOutcome;
  /** Whether the outcome has been delivered (results queue, event bus). */
  delivered: boolean;
}

/** What `GET /v1/joins/{profile}/{joinId}` answers while a join is pending. */
export interface JoinPending {
  state: 'pending';
  joinId: string;
  profile: string;
  arrived: string[];
  missing: string[];
  openedAt: string;
  deadline: string;
}
