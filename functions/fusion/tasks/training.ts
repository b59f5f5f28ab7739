/**
 * The `training` section of regression and multi-label profiles: what S3-triggered retraining
 * fits on new labelled data (ridge for regression, per-label logistic regression for
 * multi-label) and the promotion guardrail's settings, as for classification profiles.
 */
import * as z from 'zod/mini';
import { meta } from '../schema-meta.js';

const guardrail = {
  promotionMargin: z.optional(
    meta(z.number().check(z.gte(0, 'promotionMargin must be >= 0')), {
      description: 'How much worse (in the task\'s loss: mean squared error for regression, mean per-label log loss for multi-label) a new model may be and still replace the current one (default 0).',
    }),
  ),
  folds: z.optional(meta(z.int().check(z.gte(2, 'folds must be at least 2'), z.lte(20, 'folds must be at most 20')), { description: 'Cross-validation folds (default 5).' })),
  autoPromote: z.optional(z.boolean({ error: 'autoPromote must be true or false' })),
};

/** A regression profile's `training` section: ridge with penalty `alpha` (default 1). */
export const RegressionTraining = meta(
  z.strictObject(
    {
      model: z.literal('ridge', { error: 'training.model of a regression profile must be "ridge"' }),
      alpha: z.optional(z.number({ error: 'alpha must be a number >= 0' }).check(z.gte(0, 'alpha must be >= 0'))),
      ...guardrail,
    },
    { error: (i) => (i.code === 'unrecognized_keys' ? `training of a regression profile has only the fields model, alpha, ${Object.keys(guardrail).join(', ')}` : 'training must be a JSON object') },
  ),
  { id: 'RegressionTraining' },
);

/** A multi-label profile's `training` section: one logistic regression per label, inverse penalty `C` (default 1). */
export const MultilabelTraining = meta(
  z.strictObject(
    {
      model: z.literal('logistic', { error: 'training.model of a multi-label profile must be "logistic"' }),
      C: z.optional(z.number({ error: 'C must be a number > 0' }).check(z.positive('C must be > 0'))),
      ...guardrail,
    },
    { error: (i) => (i.code === 'unrecognized_keys' ? `training of a multi-label profile has only the fields model, C, ${Object.keys(guardrail).join(', ')}` : 'training must be a JSON object') },
  ),
  { id: 'MultilabelTraining' },
);
export type RegressionTraining = z.infer<typeof RegressionTraining>;
export type MultilabelTraining = z.infer<typeof MultilabelTraining>;
