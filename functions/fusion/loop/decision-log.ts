/**
 * The decision log: one structured line per decision (synchronous, batch, queue or join), which
 * a CloudWatch Logs subscription forwards to S3 through Firehose. It carries each modality's
 * label and confidence always, and its raw prediction only when payload logging is on.
 */
import * as z from 'zod/mini';
import type { Prepared } from '../prepare.js';
import { type FusionResponse, type Prediction, Predictions } from '../schemas.js';

const Summary = z.object({ label: z.string(), confidence: z.number(), weight: z.number(), contribution: z.number() });
const Shadow = z.object({
  name: z.string(),
  label: z.optional(z.string()),
  confidence: z.optional(z.number()),
  agree: z.optional(z.boolean()),
  error: z.optional(z.string()),
});

/** One line of the decision log (`"type": "decision"`). */
export const DecisionLine = z.object({
  type: z.literal('decision'),
  decisionId: z.string(),
  joinId: z.optional(z.string()),
  time: z.string(),
  source: z.enum(['http', 'batch', 'sqs', 'join']),
  strategy: z.string(),
  task: z.string(),
  profile: z.optional(z.object({ name: z.string(), version: z.string() })),
  variant: z.optional(z.enum(['primary', 'canary'])),
  modalities: z.record(z.string(), Summary),
  missing: z.array(z.string()),
  inputs: z.optional(Predictions),
  output: z.object({ label: z.string(), confidence: z.number() }),
  latencyMs: z.number(),
  shadows: z.optional(z.array(Shadow)),
});
export type DecisionLine = z.infer<typeof DecisionLine>;
export type ShadowResult = z.infer<typeof Shadow>;

/** What the adapter knows about a decision besides the core's own view of it. */
export interface DecisionContext {
  decisionId: string;
  joinId?: string;
  source: DecisionLine['source'];
  latencyMs: number;
  /** `FUSION_LOG_PAYLOADS`: include each modality's raw prediction. */
  payloads: boolean;
  time?: Date;
  variant?: DecisionLine['variant'];
  shadows?: ShadowResult[];
}

/** The decision-log line of one decision. */
export function decisionLine(ctx: DecisionContext, p: Prepared, r: FusionResponse): DecisionLine {
  const modalities: DecisionLine['modalities'] = {};
  for (let k = 0; k < p.modalities.length; k++) {
    const m = p.modalities[k]!;
    modalities[m] = { label: p.classes[p.votesFor[k]!]!, confidence: p.confidences[k]!, weight: p.weights[k]!, contribution: r.contributions[m] ?? 0 };
  }
  const line: DecisionLine = {
    type: 'decision',
    decisionId: ctx.decisionId,
    time: (ctx.time ?? new Date()).toISOString(),
    source: ctx.source,
    strategy: r.strategy,
    task: 'classification',
    modalities,
    missing: p.missing,
    output: { label: r.label, confidence: r.confidence },
    latencyMs: Math.round(ctx.latencyMs * 1000) / 1000,
  };
  if (ctx.joinId !== undefined) line.joinId = ctx.joinId;
  if (r.profile) line.profile = { name: r.profile.name, version: r.profile.version };
  if (ctx.variant) line.variant = ctx.variant;
  if (ctx.payloads) line.inputs = p.predictions as Record<string, Prediction>;
  if (ctx.shadows?.length) line.shadows = ctx.shadows;
  return line;
}

/**
 * Whether to log this decision under `FUSION_DECISION_LOG_SAMPLE` (0 to 1, default 1): a pure
 * function of the decision id, so a decision and its feedback are sampled alike.
 */
export function sampled(rate: number, unit: number): boolean {
  return rate >= 1 || unit < rate;
}
