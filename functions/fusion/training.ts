import { z } from 'zod';

/** The learned fusion model kinds. */
export const MODEL_KINDS = ['logistic', 'linear-svm', 'mlp'] as const;

/**
 * A profile's `training` section: which model S3-triggered retraining fits on new labelled
 * data (`training/<profile>/<name>.jsonl`), its options, and the promotion guardrail.
 */
export const TrainingSection = z
  .strictObject({
    model: z.enum(MODEL_KINDS, { error: `training.model must be one of: ${MODEL_KINDS.join(', ')}` }),
    C: z.number().positive('C must be > 0').optional(),
    hidden: z.array(z.int().min(1)).min(1).max(2).optional(),
    alpha: z.number().min(0).optional(),
    seed: z.int().optional(),
    modalityDropout: z.number().min(0).max(0.95).optional(),
    promotionMargin: z
      .number()
      .min(0, 'promotionMargin must be >= 0')
      .optional()
      .meta({ description: 'How much worse (in log loss) a new model may be and still replace the current one (default 0).' }),
    folds: z.int().min(2, 'folds must be at least 2').max(20).optional().meta({ description: 'Cross-validation folds (default 5).' }),
  })
  .meta({ id: 'TrainingSection' });
export type TrainingSection = z.infer<typeof TrainingSection>;

/** Defaults of the optional guardrail settings. */
export const TRAINING_DEFAULTS: { promotionMargin: number; folds: number } = { promotionMargin: 0, folds: 5 };
