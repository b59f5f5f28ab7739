/**
 * The decision log: one structured line per decision (synchronous, batch, queue or join), which
 * a CloudWatch Logs subscription forwards to S3 through Firehose. It carries each modality's
 * summary always (classification: its label and confidence; regression: its value and std;
 * multi-label: the labels it puts over their threshold and how sure it is), and its raw
 * prediction only when payload logging is on.
 */
import * as z from 'zod/mini';
import type { Prepared } from '../prepare.js';
import { type FusionResponse, type Prediction, Predictions } from '../schemas.js';
import type { MultilabelPrepared, MultilabelResponse } from '../tasks/multilabel.js';
import { MultilabelPrediction } from '../tasks/multilabel.js';
import type { RegressionPrepared, RegressionResponse } from '../tasks/regression.js';
import { RegressionPrediction } from '../tasks/regression.js';

const Weighting = { weight: z.number(), contribution: z.number() };
const ClassSummary = z.object({ label: z.string(), confidence: z.number(), ...Weighting });
const ValueSummary = z.object({ value: z.number(), std: z.optional(z.number()), ...Weighting });
/** `confidence`: the mean over labels of max(score, 1 − score), how far the modality is from a coin toss. */
const LabelsSummary = z.object({ labels: z.array(z.string()), confidence: z.number(), ...Weighting });

const Shadow = z.object({
  name: z.string(),
  label: z.optional(z.string()),
  confidence: z.optional(z.number()),
  agree: z.optional(z.boolean()),
  error: z.optional(z.string()),
});

const common = {
  type: z.literal('decision'),
  decisionId: z.string(),
  joinId: z.optional(z.string()),
  time: z.string(),
  source: z.enum(['http', 'batch', 'sqs', 'join']),
  strategy: z.string(),
  profile: z.optional(z.object({ name: z.string(), version: z.string() })),
  variant: z.optional(z.enum(['primary', 'canary'])),
  missing: z.array(z.string()),
  latencyMs: z.number(),
  shadows: z.optional(z.array(Shadow)),
};

/** A classification decision's line. */
export const ClassificationDecision = z.object({
  ...common,
  task: z.literal('classification'),
  modalities: z.record(z.string(), ClassSummary),
  inputs: z.optional(Predictions),
  output: z.object({ label: z.string(), confidence: z.number() }),
});
/** A regression decision's line. */
export const RegressionDecision = z.object({
  ...common,
  task: z.literal('regression'),
  modalities: z.record(z.string(), ValueSummary),
  inputs: z.optional(z.record(z.string(), RegressionPrediction)),
  output: z.object({ value: z.number(), std: z.optional(z.number()) }),
});
/** A multi-label decision's line. */
export const MultilabelDecision = z.object({
  ...common,
  task: z.literal('multilabel'),
  modalities: z.record(z.string(), LabelsSummary),
  inputs: z.optional(z.record(z.string(), MultilabelPrediction)),
  output: z.object({ labels: z.array(z.string()), scores: z.record(z.string(), z.number()) }),
});

/** One line of the decision log (`"type": "decision"`), by `task`. */
export const DecisionLine = z.discriminatedUnion('task', [ClassificationDecision, RegressionDecision, MultilabelDecision]);
export type DecisionLine = z.infer<typeof DecisionLine>;
export type ClassificationDecision = z.infer<typeof ClassificationDecision>;
export type RegressionDecision = z.infer<typeof RegressionDecision>;
export type MultilabelDecision = z.infer<typeof MultilabelDecision>;
export type ShadowResult = z.infer<typeof Shadow>;

/** A prepared request of any task, as the core hands it to `FuseLimits.onDecision`. */
export type AnyPrepared = Prepared | RegressionPrepared | MultilabelPrepared;
/** The answer to one request of any task. */
export type AnyDecision = FusionResponse | RegressionResponse | MultilabelResponse;

/** What the adapter knows about a decision besides the core's own view of it. */
export interface DecisionContext {
  decisionId: string;
  joinId?: string;
  source: DecisionLine['source'];
  latencyMs: number;
  /** `FUSION_LOG_PAYLOADS`: include each modality's raw prediction. */
  payloads: boolean;
  /** When it was decided (default now); an ISO string is used as it is. */
  time?: Date | string;
  variant?: DecisionLine['variant'];
  shadows?: ShadowResult[];
}

/**
 * Shares and probabilities (0 to 1) to 6 decimals: plenty for monitoring, and the line
 * serialises in about half the time of 17-digit numbers. Raw `inputs` are never rounded.
 */
const r6 = (x: number) => Math.round(x * 1e6) / 1e6;

type Common = Omit<ClassificationDecision, 'task' | 'modalities' | 'inputs' | 'output'>;

function commonPart(ctx: DecisionContext, r: AnyDecision, missing: string[]): Common {
  const line: Common = {
    type: 'decision',
    decisionId: ctx.decisionId,
    time: typeof ctx.time === 'string' ? ctx.time : (ctx.time ?? new Date()).toISOString(),
    source: ctx.source,
    strategy: r.strategy,
    missing,
    latencyMs: Math.round(ctx.latencyMs * 1000) / 1000,
  };
  if (ctx.joinId !== undefined) line.joinId = ctx.joinId;
  if (r.profile) line.profile = { name: r.profile.name, version: r.profile.version };
  if (ctx.variant) line.variant = ctx.variant;
  if (ctx.shadows?.length) line.shadows = ctx.shadows;
  return line;
}

/**
 * The decision-log line of one decision of any task: `p` and `r` are what the core prepared and
 * answered (the adapter gets both from `FuseLimits.onDecision`).
 */
export function decisionLine(ctx: DecisionContext, p: AnyPrepared, r: AnyDecision): DecisionLine {
  if ('task' in r && r.task === 'regression') return regressionLine(ctx, p as RegressionPrepared, r);
  if ('task' in r && r.task === 'multilabel') return multilabelLine(ctx, p as MultilabelPrepared, r);
  const c = p as Prepared;
  const f = r as FusionResponse;
  const modalities: ClassificationDecision['modalities'] = {};
  for (let k = 0; k < c.modalities.length; k++) {
    const m = c.modalities[k]!;
    modalities[m] = { label: c.classes[c.votesFor[k]!]!, confidence: r6(c.confidences[k]!), weight: c.weights[k]!, contribution: r6(f.contributions[m] ?? 0) };
  }
  const line: ClassificationDecision = { ...commonPart(ctx, r, c.missing), task: 'classification', modalities, output: { label: f.label, confidence: r6(f.confidence) } };
  if (ctx.payloads) line.inputs = c.predictions as Record<string, Prediction>;
  return line;
}

function regressionLine(ctx: DecisionContext, p: RegressionPrepared, r: RegressionResponse): RegressionDecision {
  const modalities: RegressionDecision['modalities'] = {};
  const inputs: NonNullable<RegressionDecision['inputs']> = {};
  p.names.forEach((m, k) => {
    const std = p.stds[k];
    const value = p.values[k]!;
    modalities[m] = { value, ...(std === undefined ? {} : { std }), weight: p.weights[k]!, contribution: r6(r.contributions[m] ?? 0) };
    inputs[m] = std === undefined ? { value } : { value, std };
  });
  const output = r.std === undefined ? { value: r.value } : { value: r.value, std: r.std };
  const line: RegressionDecision = { ...commonPart(ctx, r, p.missing), task: 'regression', modalities, output };
  if (ctx.payloads) line.inputs = inputs;
  return line;
}

function multilabelLine(ctx: DecisionContext, p: MultilabelPrepared, r: MultilabelResponse): MultilabelDecision {
  const modalities: MultilabelDecision['modalities'] = {};
  const inputs: NonNullable<MultilabelDecision['inputs']> = {};
  p.names.forEach((m, k) => {
    const s = p.scores[k]!;
    const labels: string[] = [];
    let sure = 0;
    for (let l = 0; l < s.length; l++) {
      if (s[l]! >= p.thresholds[l]!) labels.push(p.labels[l]!);
      sure += Math.max(s[l]!, 1 - s[l]!);
    }
    modalities[m] = { labels, confidence: r6(s.length ? sure / s.length : 0), weight: p.weights[k]!, contribution: r6(r.contributions[m] ?? 0) };
    inputs[m] = { scores: Array.from(s) };
  });
  const scores: Record<string, number> = {};
  for (const l of Object.keys(r.scores)) scores[l] = r6(r.scores[l]!);
  const line: MultilabelDecision = { ...commonPart(ctx, r, p.missing), task: 'multilabel', modalities, output: { labels: r.labels, scores } };
  if (ctx.payloads) line.inputs = inputs;
  return line;
}

/**
 * Whether to log this decision under `FUSION_DECISION_LOG_SAMPLE` (0 to 1, default 1): a pure
 * function of the decision id, so a decision and its feedback are sampled alike.
 */
export function sampled(rate: number, unit: number): boolean {
  return rate >= 1 || unit < rate;
}
