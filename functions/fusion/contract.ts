/**
 * The schemas that only the API's description reads: every task's answer, the problem
 * document, and the unions of the three tasks' requests and batches. The OpenAPI document
 * (functions/http/openapi.ts) and the clients' contract are generated from them; no handler
 * parses with them, so no function bundle that does not describe the API holds or builds them
 * (about 2.5 ms of every strategy function's cold start; bench/README.md).
 */
import * as z from 'zod/mini';
import { FusionBatch, FusionRequest, decisionIdField, meta } from './schemas.js';
import { batchShape } from './tasks/index.js';
import { MultilabelRequest } from './tasks/multilabel.js';
import { RegressionItem, RegressionRequest } from './tasks/regression.js';

/** The fields every task's response shares. */
const commonResponse = {
  id: z.optional(z.union([z.string(), z.number()])),
  modalities: z.object({ used: z.array(z.string()), missing: z.array(z.string()) }),
  contributions: z.record(z.string(), z.number()),
  weighted: z.optional(z.boolean()),
  profile: z.optional(z.object({ name: z.string(), version: z.string(), stale: z.boolean() })),
  decisionId: decisionIdField,
};

const numberMap = z.record(z.string(), z.number());

export const FusionResponse = meta(
  z.object({
    id: z.optional(z.union([z.string(), z.number()])),
    strategy: z.string(),
    label: z.string(),
    confidence: z.number(),
    probabilities: numberMap,
    modalities: z.object({ used: z.array(z.string()), missing: z.array(z.string()) }),
    contributions: meta(z.record(z.string(), z.number()), {
      description: "Each modality's share of the evidence for the chosen label (sums to 1 over used modalities).",
    }),
    weighted: z.optional(z.boolean()),
    votes: z.optional(numberMap),
    effectiveWeights: z.optional(numberMap),
    conflict: z.optional(z.number()),
    uncommitted: z.optional(z.number()),
    profile: z.optional(z.object({ name: z.string(), version: z.string(), stale: z.boolean() })),
    variant: z.optional(
      meta(z.enum(['primary', 'canary']), { description: "Which of the profile's models answered, when the profile names a canary." }),
    ),
    warnings: z.optional(
      meta(z.array(z.object({ path: z.string(), message: z.string() })), {
        description: 'Parts of the request that had no effect, such as a weight for a modality that was neither sent nor expected.',
      }),
    ),
    decisionId: decisionIdField,
  }),
  {
    id: 'FusionResponse',
    examples: [
      {
        strategy: 'average',
        label: 'positive',
        confidence: 0.72,
        probabilities: { negative: 0.07, neutral: 0.21, positive: 0.72 },
        modalities: { used: ['text', 'video'], missing: [] },
        contributions: { text: 0.61, video: 0.39 },
      },
    ],
  },
);

export const BatchResponse = meta(z.object({ results: z.array(FusionResponse) }), { id: 'BatchResponse' });

export const Problem = meta(
  z.object({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    errors: z.optional(z.array(z.object({ path: z.string(), message: z.string() }))),
    errorsTruncated: z.optional(meta(z.int(), { description: 'How many more field errors there were beyond the 20 listed.' })),
  }),
  { id: 'Problem', description: 'RFC 9457 problem details.' },
);

export type FusionResponse = z.infer<typeof FusionResponse>;
export type BatchResponse = z.infer<typeof BatchResponse>;
export type Problem = z.infer<typeof Problem>;

/** The answer to a regression request. */
export const RegressionResponse = meta(
  z.object({ task: z.literal('regression'), strategy: z.string(), value: z.number(), std: z.optional(z.number()), ...commonResponse }),
  {
    id: 'RegressionResponse',
    examples: [{ task: 'regression', strategy: 'average', value: 1.35, modalities: { used: ['text', 'audio', 'video'], missing: [] }, contributions: { text: 0.5, audio: 0.2, video: 0.3 } }],
  },
);
export type RegressionResponse = z.infer<typeof RegressionResponse>;

/** The answer to a multi-label request. */
export const MultilabelResponse = meta(
  z.object({
    task: z.literal('multilabel'),
    strategy: z.string(),
    scores: z.record(z.string(), z.number()),
    labels: meta(z.array(z.string()), { description: 'The labels whose fused score reaches their threshold, in label order.' }),
    ...commonResponse,
  }),
  { id: 'MultilabelResponse' },
);
export type MultilabelResponse = z.infer<typeof MultilabelResponse>;

const itemsField = batchShape(RegressionItem).items;

/** A request of any task: one discriminated union on `task` (absent: classification). */
export const TaskRequest = meta(z.discriminatedUnion('task', [FusionRequest, RegressionRequest, MultilabelRequest]), {
  id: 'TaskRequest',
  description: 'A fusion request; "task" picks its shape: classification (the default when absent), regression or multilabel.',
});

/** A regression batch: top-level fields other than `items` are defaults every item may override. */
export const RegressionBatch = meta(z.strictObject({ ...RegressionRequest.def.shape, items: itemsField }), { id: 'RegressionBatch' });
/** A multi-label batch: top-level fields other than `items` are defaults every item may override. */
export const MultilabelBatch = meta(z.strictObject({ ...MultilabelRequest.def.shape, items: itemsField }), { id: 'MultilabelBatch' });

/** A batch of any task: `task` at the top applies to every item. */
export const TaskBatch = meta(
  z.discriminatedUnion('task', [
    FusionBatch,
    RegressionBatch,
    MultilabelBatch,
  ]),
  { id: 'TaskBatch', description: 'A batch; its "task" (default classification) applies to every item, and its other fields are defaults each item may override.' },
);

/** The answer to one request of any task. */
export const TaskResponse = meta(z.union([FusionResponse, RegressionResponse, MultilabelResponse]), { id: 'TaskResponse' });
/** The answer to a batch of any task. */
export const TaskBatchResponse = z.object({ results: z.array(TaskResponse) });
