/**
 * The fusion contract, defined once. Every adapter (CLI, HTTP, SQS, S3 batch) parses with these
 * schemas, the TypeScript types are inferred from them and the OpenAPI document is generated
 * from them.
 */
import { z } from 'zod';
import { TrainingSection } from './training.js';
import { JoinSection } from './join/schema.js';

export const LIMITS = {
  minClasses: 2,
  maxClasses: 1000,
  minModalities: 1,
  maxModalities: 64,
  maxModalityName: 128,
  maxBatchItems: 1000,
  sumTolerance: 1e-3,
} as const;

const finite = (what: string) =>
  z.number({ error: (i) => (i.input === undefined ? `${what} is required` : `${what} must be a finite number`) });

/** Error of a strict object: names the allowed fields when an unknown one is given. */
const objectError = (what: string, fields: readonly string[]) => (issue: { code?: string }) =>
  issue.code === 'unrecognized_keys' ? `${what} has only the fields ${fields.join(', ')}` : `${what} must be a JSON object`;

const ClassName = z
  .string({ error: 'a class name must be a string' })
  .min(1, 'a class name must not be empty');
const ModalityName = z
  .string()
  .min(1, 'a modality name must not be empty')
  .max(LIMITS.maxModalityName, `a modality name must be at most ${LIMITS.maxModalityName} characters`);

export const Classes = z
  .array(ClassName, { error: 'classes must be an array of class names, for example ["negative", "positive"]' })
  .min(LIMITS.minClasses, `classes needs at least ${LIMITS.minClasses} class names`)
  .max(LIMITS.maxClasses, `classes allows at most ${LIMITS.maxClasses} class names`);

/**
 * One modality's prediction: exactly one of `probabilities`, `logits` or `label` (with an
 * optional `confidence`). Cross-field rules (lengths, sums, known labels) need the class list
 * and are checked in `prepare`.
 */
export const Prediction = z
  .strictObject(
    {
      probabilities: z
        .union([z.array(finite('a probability')), z.object({}).catchall(finite('a probability'))], {
          error: 'probabilities must be an array aligned with classes, or an object keyed by class name',
        })
        .optional(),
      logits: z.array(finite('a logit'), { error: 'logits must be an array of numbers aligned with classes' }).optional(),
      label: z.string({ error: 'label must be a class name' }).optional(),
      confidence: finite('confidence').min(0, 'confidence must be between 0 and 1').max(1, 'confidence must be between 0 and 1').optional(),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? 'a prediction has one of probabilities, logits or label (with an optional confidence)'
          : 'a prediction must be an object with one of "probabilities", "logits" or "label"',
    },
  )
  .meta({
    description: 'Exactly one of probabilities, logits, or label (with optional confidence, default 1).',
    examples: [{ probabilities: [0.05, 0.15, 0.8] }, { logits: [-1.2, 0.3, 2] }, { label: 'positive', confidence: 0.7 }],
  });

// Maps keyed by modality or class name are `z.object({}).catchall(value)` rather than
// `z.record(key, value)`: the same JSON and the same JSON Schema (`additionalProperties`), but
// the compiled parser walks the keys with for-in, which halves the cost of parsing a request.
// Modality names are checked where they are used (`prepare`).
export const Weights = z
  .object({}, { error: 'weights must be an object mapping modality name to a number >= 0' })
  .catchall(finite('a weight').min(0, 'a weight must be >= 0'))
  .meta({ description: 'Per-modality weights (default 1). Weights of absent modalities are ignored.' });

const optionsShape = {
  temperatures: z
    .object({}, { error: 'temperatures must be an object mapping modality name to a number > 0' })
    .catchall(finite('a temperature').positive('a temperature must be > 0'))
    .optional()
    .meta({ description: "Per-modality calibration: p' ∝ p^(1/T); logits: softmax(z/T)." }),
  priors: z
    .array(finite('a prior').positive('a prior must be > 0'), { error: 'priors must be an array of numbers aligned with classes' })
    .optional()
    .meta({ description: "Class priors for Kittler's prior correction in the product rule." }),
  mode: z.enum(['hard', 'confidence'], { error: 'mode must be "hard" or "confidence"' }).optional(),
  minModalities: z
    .int({ error: 'minModalities must be a whole number' })
    .min(1, 'minModalities must be at least 1')
    .max(LIMITS.maxModalities, `minModalities must be at most ${LIMITS.maxModalities}`)
    .optional(),
  tieBreak: z.enum(['first', 'average'], { error: 'tieBreak must be "first" or "average"' }).optional(),
  epsilon: finite('epsilon').positive('epsilon must be > 0').max(0.01, 'epsilon must be at most 0.01').optional(),
};

export const Options = z.strictObject(optionsShape, { error: objectError('options', Object.keys(optionsShape)) });

const requestShape = {
  id: z
    .union([z.string().max(256, 'id must be at most 256 characters'), finite('id')], { error: 'id must be a string or a number' })
    .optional(),
  profile: z
    .string({ error: 'profile must be a profile name, optionally "name@version"' })
    .regex(/^[A-Za-z0-9._-]{1,128}(@[A-Za-z0-9._+/=-]{1,1024})?$/, 'profile must be a name of letters, digits, ".", "_" or "-", optionally followed by "@<version>"')
    .optional(),
  classes: Classes.optional(),
  modalities: z
    .array(ModalityName, { error: 'modalities must be an array of expected modality names' })
    .max(LIMITS.maxModalities, `modalities allows at most ${LIMITS.maxModalities} names`)
    .optional()
    .meta({ description: 'The modalities expected; absent ones are reported in modalities.missing.' }),
  predictions: z
    .object({}, { error: 'predictions must be an object mapping modality name to its prediction' })
    .catchall(Prediction)
    .optional(),
  weights: Weights.optional(),
  options: Options.optional(),
};

/** One fusion request. `classes` and `predictions` are required unless a profile supplies classes. */
export const FusionRequest = z.strictObject(requestShape, { error: objectError('a fusion request', Object.keys(requestShape)) }).meta({
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
export const FusionBatch = z
  .strictObject(
    {
      ...requestShape,
      items: z
        .array(z.unknown(), { error: 'items must be an array of fusion requests' })
        .min(1, 'items needs at least 1 request')
        .max(LIMITS.maxBatchItems, `items allows at most ${LIMITS.maxBatchItems} requests; split larger batches or use the S3 batch input`),
    },
    { error: objectError('a batch', [...Object.keys(requestShape), 'items']) },
  )
  .meta({ id: 'FusionBatch' });

const profileShape = {
  name: z
    .string({ error: 'name is required: the profile name, of letters, digits, ".", "_" or "-"' })
    .regex(/^[A-Za-z0-9._-]{1,128}$/, 'name must be 1 to 128 letters, digits, ".", "_" or "-"'),
  description: z.string({ error: 'description must be a string' }).optional(),
  classes: Classes,
  modalities: z
    .array(ModalityName, { error: 'modalities must be an array of the expected modality names' })
    .min(1, 'modalities needs at least one modality name')
    .max(LIMITS.maxModalities, `modalities allows at most ${LIMITS.maxModalities} names`),
  weights: Weights.optional(),
  temperatures: Options.shape.temperatures,
  priors: Options.shape.priors,
  mode: Options.shape.mode,
  minModalities: Options.shape.minModalities,
  tieBreak: Options.shape.tieBreak,
  epsilon: Options.shape.epsilon,
  model: z
    .strictObject({ key: z.string().min(1), versionId: z.string().optional() })
    .optional()
    .meta({ description: 'Where the learned fusion model artifact lives in the store.' }),
  training: TrainingSection.optional(),
  join: z.optional(JoinSection),
};

/** A named set of defaults: classes, expected modalities, weights and options. */
export const Profile = z
  .strictObject(profileShape, { error: objectError('a profile', Object.keys(profileShape)) })
  .meta({ id: 'Profile' });

export const FusionResponse = z
  .object({
    id: z.union([z.string(), z.number()]).optional(),
    strategy: z.string(),
    label: z.string(),
    confidence: z.number(),
    probabilities: z.record(z.string(), z.number()),
    modalities: z.object({ used: z.array(z.string()), missing: z.array(z.string()) }),
    contributions: z.record(z.string(), z.number()).meta({
      description: "Each modality's share of the evidence for the chosen label (sums to 1 over used modalities).",
    }),
    weighted: z.boolean().optional(),
    votes: z.record(z.string(), z.number()).optional(),
    profile: z.object({ name: z.string(), version: z.string(), stale: z.boolean() }).optional(),
  })
  .meta({
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
  });

export const BatchResponse = z.object({ results: z.array(FusionResponse) }).meta({ id: 'BatchResponse' });

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details.' });

export type Prediction = z.infer<typeof Prediction>;
export type Options = z.infer<typeof Options>;
export type FusionRequest = z.infer<typeof FusionRequest>;
export type FusionBatch = z.infer<typeof FusionBatch>;
export type Profile = z.infer<typeof Profile>;
export type FusionResponse = z.infer<typeof FusionResponse>;
export type BatchResponse = z.infer<typeof BatchResponse>;
export type Problem = z.infer<typeof Problem>;
