/**
 * The fusion contract, defined once. Every adapter (CLI, HTTP, SQS, S3 batch) parses with these
 * schemas, the TypeScript types are inferred from them and the OpenAPI document is generated
 * from them. They use zod/mini, whose functions tree-shake, so a strategy bundle carries only the
 * parsers it uses (classic zod would add about 400 KB to every Lambda).
 */
import * as z from 'zod/mini';
import { meta } from './schema-meta.js';
import type { Profile as ProfileSchema } from './profiles.js';

// The answers' schemas (and Problem) live in contract.ts: no handler parses with them.
export type { BatchResponse, FusionResponse, Problem } from './contract.js';

export { meta };

export const LIMITS = {
  minClasses: 2,
  maxClasses: 1000,
  minModalities: 1,
  maxModalities: 64,
  maxModalityName: 128,
  maxClassName: 256,
  /** Distinct profiles one request or batch may name (`FUSION_MAX_PROFILES_PER_REQUEST`). */
  maxProfilesPerRequest: 8,
  /** Upper bound of a response's JSON size (`FUSION_MAX_RESPONSE_BYTES`), checked before the work is done. */
  maxResponseBytes: 5_000_000,
  maxBatchItems: 1000,
  sumTolerance: 1e-3,
} as const;

const finite = (what: string) =>
  z.number({ error: (i) => (i.input === undefined ? `${what} is required` : `${what} must be a finite number`) });

/** Error of a strict object: names the allowed fields when an unknown one is given. */
const objectError = (what: string, fields: readonly string[]) => (issue: { code?: string }) =>
  issue.code === 'unrecognized_keys' ? `${what} has only the fields ${fields.join(', ')}` : `${what} must be a JSON object`;

/** A JSON object whose every value matches `value` (`additionalProperties` in JSON Schema). */
const mapOf = <T extends z.ZodMiniType>(value: T, error: string) => z.catchall(z.object({}, { error }), value);

const ClassName = z
  .string({ error: 'a class name must be a string' })
  .check(
    z.minLength(1, 'a class name must not be empty'),
    z.maxLength(LIMITS.maxClassName, `a class name must be at most ${LIMITS.maxClassName} characters`),
  );
const ModalityName = z
  .string()
  .check(
    z.minLength(1, 'a modality name must not be empty'),
    z.maxLength(LIMITS.maxModalityName, `a modality name must be at most ${LIMITS.maxModalityName} characters`),
  );

export const Classes = z
  .array(ClassName, { error: 'classes must be an array of class names, for example ["negative", "positive"]' })
  .check(
    z.minLength(LIMITS.minClasses, `classes needs at least ${LIMITS.minClasses} class names`),
    z.maxLength(LIMITS.maxClasses, `classes allows at most ${LIMITS.maxClasses} class names`),
  );

const unit = (what: string) => finite(what).check(z.gte(0, `${what} must be between 0 and 1`), z.lte(1, `${what} must be between 0 and 1`));

/**
 * One modality's prediction: exactly one of `probabilities`, `logits` or `label` (with an
 * optional `confidence`). Cross-field rules (lengths, sums, known labels) need the class list
 * and are checked in `prepare`.
 */
export const Prediction = meta(
  z.strictObject(
    {
      probabilities: z.optional(
        z.union([z.array(finite('a probability')), mapOf(finite('a probability'), 'probabilities must be an object')], {
          error: 'probabilities must be an array aligned with classes, or an object keyed by class name',
        }),
      ),
      logits: z.optional(z.array(finite('a logit'), { error: 'logits must be an array of numbers aligned with classes' })),
      label: z.optional(z.string({ error: 'label must be a class name' })),
      confidence: z.optional(unit('confidence')),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? 'a prediction has one of probabilities, logits or label (with an optional confidence)'
          : 'a prediction must be an object with one of "probabilities", "logits" or "label"',
    },
  ),
  {
    description: 'Exactly one of probabilities, logits, or label (with optional confidence, default 1).',
    examples: [{ probabilities: [0.05, 0.15, 0.8] }, { logits: [-1.2, 0.3, 2] }, { label: 'positive', confidence: 0.7 }],
  },
);

// Maps keyed by modality or class name are `catchall(object({}), value)` rather than
// `record(key, value)`: the same JSON and the same JSON Schema (`additionalProperties`), but
// the compiled parser walks the keys with for-in, which halves the cost of parsing a request.
// Modality names are checked where they are used (`prepare`).
export const Weights = meta(mapOf(finite('a weight').check(z.gte(0, 'a weight must be >= 0')), 'weights must be an object mapping modality name to a number >= 0'), {
  description: 'Per-modality weights (default 1). Weights of absent modalities are ignored.',
});

/** The fields of `options`, which a classification profile also carries at its top level (`profiles.ts`). */
export const optionsShape = {
  temperatures: z.optional(
    meta(mapOf(finite('a temperature').check(z.positive('a temperature must be > 0')), 'temperatures must be an object mapping modality name to a number > 0'), {
      description: "Per-modality calibration: p' ∝ p^(1/T); logits: softmax(z/T).",
    }),
  ),
  priors: z.optional(
    meta(z.array(finite('a prior').check(z.positive('a prior must be > 0')), { error: 'priors must be an array of numbers aligned with classes' }), {
      description: "Class priors for Kittler's prior correction in the product rule.",
    }),
  ),
  mode: z.optional(z.enum(['hard', 'confidence'], { error: 'mode must be "hard" or "confidence"' })),
  minModalities: z.optional(
    z
      .int({ error: 'minModalities must be a whole number' })
      .check(z.gte(1, 'minModalities must be at least 1'), z.lte(LIMITS.maxModalities, `minModalities must be at most ${LIMITS.maxModalities}`)),
  ),
  tieBreak: z.optional(z.enum(['first', 'average'], { error: 'tieBreak must be "first" or "average"' })),
  epsilon: z.optional(finite('epsilon').check(z.positive('epsilon must be > 0'), z.lte(0.01, 'epsilon must be at most 0.01'))),
  combination: z.optional(z.enum(['dempster', 'yager'], { error: 'combination must be "dempster" or "yager"' })),
  adaptiveWeights: z.optional(
    meta(z.enum(['entropy'], { error: 'adaptiveWeights must be "entropy"' }), {
      description: "Scales each modality's weight by 1 − H(p_k)/ln C (average, product, vote, dempster-shafer).",
    }),
  ),
};

export const Options = z.strictObject(optionsShape, { error: objectError('options', Object.keys(optionsShape)) });

/** The `predictions` map of a request: modality name to its prediction. */
export const Predictions = mapOf(Prediction, 'predictions must be an object mapping modality name to its prediction');

export const RequestId = z.union([z.string().check(z.maxLength(256, 'id must be at most 256 characters')), finite('id')], {
  error: 'id must be a string or a number',
});

/** What a client-supplied decision id may be: 1 to 128 of A-Z a-z 0-9 . _ : - (also the `x-fusion-decision-id` header's rule). */
export const DECISION_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** A client's own decision id, so a retry keeps it (and its canary choice). */
export const DecisionId = meta(
  z
    .string({ error: 'decisionId must be a string of 1 to 128 letters, digits, ".", "_", ":" or "-"' })
    .check(z.regex(DECISION_ID_PATTERN, 'decisionId must be 1 to 128 letters, digits, ".", "_", ":" or "-"')),
  { description: 'Your own id for this decision (a retry sends the same one); by default the service makes one. Returned as decisionId and in the x-fusion-decision-id header.' },
);

/** The `decisionId` every answer carries (set by the adapter, never by the core's fusion). */
export const decisionIdField = meta(z.optional(z.string()), {
  description: 'The id of this decision in the decision log: the request\'s own decisionId, else one made by the service (for a batch item: the request\'s id followed by ":<index>").',
});

const requestShape = {
  task: z.optional(z.literal('classification', { error: 'task must be one of: classification, regression, multilabel (default classification)' })),
  id: z.optional(RequestId),
  profile: z.optional(
    z
      .string({ error: 'profile must be a profile name, optionally "name@version"' })
      .check(
        z.regex(
          /^[A-Za-z0-9._-]{1,128}(@[A-Za-z0-9._+/=-]{1,1024})?$/,
          'profile must be a name of letters, digits, ".", "_" or "-", optionally followed by "@<version>"',
        ),
      ),
  ),
  classes: z.optional(Classes),
  modalities: z.optional(
    meta(
      z
        .array(ModalityName, { error: 'modalities must be an array of expected modality names' })
        .check(z.maxLength(LIMITS.maxModalities, `modalities allows at most ${LIMITS.maxModalities} names`)),
      { description: 'The modalities expected; absent ones are reported in modalities.missing.' },
    ),
  ),
  predictions: z.optional(Predictions),
  weights: z.optional(Weights),
  options: z.optional(Options),
  decisionId: z.optional(DecisionId),
};

/** One fusion request. `classes` and `predictions` are required unless a profile supplies classes. */
export const FusionRequest = meta(z.strictObject(requestShape, { error: objectError('a fusion request', Object.keys(requestShape)) }), {
  id: 'FusionRequest',
  examples: [
    {
      classes: ['negative', 'neutral', 'positive'],
      predictions: {
        text: { probabilities: [0.05, 0.15, 0.8] },
        video: { probabilities: { negative: 0.1, neutral: 0.3, positive: 0.6 } },
        audio: { logits: [-1.2, 0.3, 2.0] },
        face: { label: 'positive', confidence: 0.7 },
      },
      weights: { text: 0.6, video: 0.4 },
      options: { temperatures: { audio: 1.5 } },
    },
  ],
});

/** A batch: top-level fields other than `items` are defaults every item may override. */
export const FusionBatch = meta(
  z.strictObject(
    {
      ...requestShape,
      items: z
        .array(z.unknown(), { error: 'items must be an array of fusion requests' })
        .check(
          z.minLength(1, 'items needs at least 1 request'),
          z.maxLength(LIMITS.maxBatchItems, `items allows at most ${LIMITS.maxBatchItems} requests; split larger batches or use the S3 batch input`),
        ),
    },
    { error: objectError('a batch', [...Object.keys(requestShape), 'items']) },
  ),
  { id: 'FusionBatch' },
);

// The profile schemas live in profiles.ts: only code reading stored profiles builds them.

export type Prediction = z.infer<typeof Prediction>;
export type Options = z.infer<typeof Options>;
export type FusionRequest = z.infer<typeof FusionRequest>;
export type FusionBatch = z.infer<typeof FusionBatch>;
/** A classification profile (the schema is `Profile` in profiles.ts). */
export type Profile = z.infer<typeof ProfileSchema>;
