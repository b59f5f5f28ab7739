import { z } from 'zod';

/**
 * A learned fusion model artifact. Placeholder until the learned-fusion work gives it its full
 * schema: any JSON object tagged `"format": "fusion-model"`.
 */
export const ModelArtifact = z.looseObject({
  format: z.literal('fusion-model', { error: 'format must be "fusion-model"' }),
});
export type ModelArtifact = z.infer<typeof ModelArtifact>;
