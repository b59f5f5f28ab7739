import * as z from 'zod/mini';
import { meta } from './schema-meta.js';

/** The learned fusion model kinds. */
export const MODEL_KINDS = ['logistic', 'linear-svm', 'mlp'] as const;

/**
 * A profile's `training` section: which model S3-triggered retraining fits on new labelled
 * data (`training/<profile>/<name>.jsonl`), its options, and the promotion guardrail.
 */
export const TrainingSection = meta(
  z.strictObject({
    model: z.enum(MODEL_KINDS, { error: `training.model must be one of: ${MODEL_KINDS.join(', ')}` }),
    C: z.optional(z.number().check(z.positive('C must be > 0'))),
    hidden: z.optional(z.array(z.int().check(z.gte(1))).check(z.minLength(1), z.maxLength(2))),
    alpha: z.optional(z.number().check(z.gte(0))),
    seed: z.optional(z.int()),
    modalityDropout: z.optional(z.number().check(z.gte(0), z.lte(0.95))),
    promotionMargin: z.optional(
      meta(
        z.number().check(z.gte(0, 'promotionMargin must be >= 0')),
        { description: 'How much worse (in log loss) a new model may be and still replace the current one (default 0).' },
      ),
    ),
    folds: z.optional(meta(z.int().check(z.gte(2, 'folds must be at least 2'), z.lte(20)), { description: 'Cross-validation folds (default 5).' })),
  }),
  { id: 'TrainingSection' },
);
export type TrainingSection = z.infer<typeof TrainingSection>;

/** Defaults of the optional guardrail settings. */
export const TRAINING_DEFAULTS: { promotionMargin: number; folds: number } = { promotionMargin: 0, folds: 5 };
