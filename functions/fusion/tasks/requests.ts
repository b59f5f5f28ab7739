/**
 * The regression and multi-label request schemas as constants, for the OpenAPI document, the
 * clients' contract, profiles and the decision log. Importing this module builds them; the
 * fusion path itself (`tasks/index.ts`) builds them only when a request states its task, so a
 * classification request's cold start never does.
 */
import type * as z from 'zod/mini';
import { multilabelSchemas } from './multilabel.js';
import { regressionSchemas } from './regression.js';

/** One modality's regression prediction. */
export const RegressionPrediction = regressionSchemas().RegressionPrediction;
export type RegressionPrediction = z.infer<typeof RegressionPrediction>;
/** A regression request: `task` is "regression". */
export const RegressionRequest = regressionSchemas().RegressionRequest;
export type RegressionRequest = z.infer<typeof RegressionRequest>;
/** A batch item of a regression batch (its `task`, if given, must be "regression"). */
export const RegressionItem = regressionSchemas().RegressionItem;

/** The label names of a multi-label request or profile. */
export const Labels = multilabelSchemas().Labels;
/** One modality's multi-label prediction: a probability per label, each in [0, 1]. */
export const MultilabelPrediction = multilabelSchemas().MultilabelPrediction;
export type MultilabelPrediction = z.infer<typeof MultilabelPrediction>;
/** The fields of a multi-label request's `options`, which a multi-label profile also carries at its top level (`profiles.ts`). */
export const multilabelOptionsShape = multilabelSchemas().multilabelOptionsShape;
/** A multi-label request: `task` is "multilabel". */
export const MultilabelRequest = multilabelSchemas().MultilabelRequest;
export type MultilabelRequest = z.infer<typeof MultilabelRequest>;
/** A batch item of a multi-label batch (its `task`, if given, must be "multilabel"). */
export const MultilabelItem = multilabelSchemas().MultilabelItem;
