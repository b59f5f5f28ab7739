/**
 * The profile schemas of every task and the parser that picks one by a profile's `task`. Only
 * code that reads profiles imports this module (the stores' checks, `fusion publish`, training,
 * the CLI): a strategy function answering requests with inline weights never builds these
 * schemas, nor those of their sections (training, calibration, join, shadow, canary, drift
 * reference), which were half the zod schemas its bundle built at init (bench/README.md).
 */
import * as z from 'zod/mini';
import { parseWith } from './prepare.js';
import { Classes, LIMITS, Weights, meta, optionsShape } from './schemas.js';
import { TrainingSection } from './training.js';
import { Calibration } from './calibration/schema.js';
import { JoinSection } from './join/schema.js';
import { CanarySection, ShadowSection } from './loop/variant-schema.js';
import { DriftReference, MultilabelReference, RegressionReference } from './loop/reference.js';
import { multilabelModelSchemas } from './learned/multilabel.js';
import { ridgeSchemas } from './learned/ridge.js';
import { MinModalities, ModalityName, objectError } from './tasks/common.js';
import { Labels, multilabelOptionsShape } from './tasks/requests.js';
import { MultilabelTraining, RegressionTraining } from './tasks/training.js';

const ProfileName = z
  .string({ error: 'name is required: the profile name, of letters, digits, ".", "_" or "-"' })
  .check(z.regex(/^[A-Za-z0-9._-]{1,128}$/, 'name must be 1 to 128 letters, digits, ".", "_" or "-"'));

const ProfileModalities = z
  .array(ModalityName, { error: 'modalities must be an array of the expected modality names' })
  .check(
    z.minLength(1, 'modalities needs at least one modality name'),
    z.maxLength(LIMITS.maxModalities, `modalities allows at most ${LIMITS.maxModalities} names`),
  );

const ModelRef = meta(z.strictObject({ key: z.string().check(z.minLength(1)), versionId: z.optional(z.string()) }), {
  description: 'Where the learned fusion model artifact lives in the store.',
});

const description = z.optional(z.string({ error: 'description must be a string' }));

const profileShape = {
  name: ProfileName,
  description,
  task: z.optional(z.literal('classification', { error: 'task must be one of: classification, regression, multilabel (default classification)' })),
  classes: Classes,
  modalities: ProfileModalities,
  weights: z.optional(Weights),
  ...optionsShape,
  model: z.optional(ModelRef),
  training: z.optional(TrainingSection),
  calibration: z.optional(Calibration),
  join: z.optional(JoinSection),
  shadow: z.optional(ShadowSection),
  canary: z.optional(CanarySection),
  reference: z.optional(DriftReference),
};

/** A named set of defaults: classes, expected modalities, weights and options. */
export const Profile = meta(z.strictObject(profileShape, { error: objectError('a profile', Object.keys(profileShape)) }), { id: 'Profile' });
export type Profile = z.infer<typeof Profile>;

const regressionShape = {
  name: ProfileName,
  description,
  task: z.literal('regression'),
  modalities: ProfileModalities,
  weights: z.optional(Weights),
  minModalities: z.optional(MinModalities),
  model: z.optional(ModelRef),
  training: z.optional(RegressionTraining),
  join: z.optional(JoinSection),
  reference: z.optional(RegressionReference),
};

/** A regression profile: expected modalities, weights and an optional ridge model. */
export const RegressionProfile = meta(z.strictObject(regressionShape, { error: objectError('a regression profile', Object.keys(regressionShape)) }), {
  id: 'RegressionProfile',
});
export type RegressionProfile = z.infer<typeof RegressionProfile>;

const multilabelShape = {
  name: ProfileName,
  description,
  task: z.literal('multilabel'),
  labels: Labels,
  modalities: ProfileModalities,
  weights: z.optional(Weights),
  ...multilabelOptionsShape,
  model: z.optional(ModelRef),
  training: z.optional(MultilabelTraining),
  join: z.optional(JoinSection),
  reference: z.optional(MultilabelReference),
};

/** A multi-label profile: labels, expected modalities, weights, thresholds, an optional model. */
export const MultilabelProfile = meta(z.strictObject(multilabelShape, { error: objectError('a multi-label profile', Object.keys(multilabelShape)) }), {
  id: 'MultilabelProfile',
});
export type MultilabelProfile = z.infer<typeof MultilabelProfile>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A profile of any task, validated with its task's schema. Task profiles travel in the
 * `Profile` slot of a `ResolvedProfile`; only code routed by `taskOf` reads their fields.
 */
export function parseAnyProfile(raw: unknown, at = ''): Profile {
  const task = isObject(raw) ? raw.task : undefined;
  if (task === 'regression') return parseWith(RegressionProfile, raw, at) as unknown as Profile;
  if (task === 'multilabel') return parseWith(MultilabelProfile, raw, at) as unknown as Profile;
  return parseWith(Profile, raw, at);
}

/** A learned model of any task: a ridge or per-label logistic artifact (tagged by `task`), else a classification one. */
export function taskModelSchema(raw: unknown): z.ZodMiniType | undefined {
  const task = isObject(raw) ? raw.task : undefined;
  return task === 'regression' ? ridgeSchemas().RidgeArtifact : task === 'multilabel' ? multilabelModelSchemas().MultilabelArtifact : undefined;
}
