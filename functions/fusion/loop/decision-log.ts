/**
 * The decision log: one structured line per decision (synchronous, batch, queue or join), which
 * a CloudWatch Logs subscription forwards to S3 through Firehose. It carries each modality's
 * summary always (classification: its label and confidence; regression: its value and std;
 * multi-label: the labels it puts over their threshold and how sure it is), and its raw
 * prediction only when payload logging is on.
 */
import * as z from 'zod/mini';
import { Predictions } from '../schemas.js';
import { MultilabelPrediction, RegressionPrediction } from '../tasks/requests.js';

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

export { type AnyDecision, type AnyPrepared, type DecisionContext, decisionLine, sampled } from './decision-line.js';
