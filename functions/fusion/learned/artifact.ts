import * as z from 'zod/mini';
import { Classes, meta } from '../schemas.js';
import type { MODEL_KINDS } from '../training.js';

/**
 * The largest magnitude a model parameter may have. Trained models stay far below it; above it,
 * sums over 64,000 features and two hidden layers could overflow to Infinity and the answer
 * would be NaN, so such an artifact is refused when it is published or loaded.
 */
export const MAX_PARAMETER = 1e6;
const bounded = `must be between -${MAX_PARAMETER} and ${MAX_PARAMETER}; retrain with more regularisation (a smaller C or a larger alpha)`;
const Vector = z.array(z.number().check(z.gte(-MAX_PARAMETER, `a model parameter ${bounded}`), z.lte(MAX_PARAMETER, `a model parameter ${bounded}`)));
const Distribution = z.array(z.number().check(z.gte(0, 'a fill value is a probability between 0 and 1'), z.lte(1, 'a fill value is a probability between 0 and 1')));
const Rows = z.array(Vector);

const MetricsShape = z.object({ accuracy: z.number(), macroF1: z.number(), logLoss: z.number(), brier: z.number(), ece: z.number() });

/** Where, when and how a model was trained, with its training metrics. */
export const Training = z.object({
  rows: z.int().check(z.gte(1)),
  createdAt: z.string(),
  dataSha256: z.string().check(z.regex(/^[0-9a-f]{64}$/, 'dataSha256 must be 64 lowercase hex digits')),
  options: z.record(z.string(), z.unknown()),
  metrics: MetricsShape,
});

const common = {
  format: z.literal('fusion-model', { error: 'format must be "fusion-model"' }),
  version: z.literal(1, { error: 'version must be 1 (the only fusion-model version this service reads)' }),
  classes: Classes,
  modalities: z.array(z.string().check(z.minLength(1))).check(z.minLength(1, 'modalities needs at least one modality name')),
  fill: meta(z.record(z.string(), Distribution), { description: "Each modality's mean training distribution, used when it is absent." }),
  training: Training,
};

const Linear = { coef: Rows, intercept: Vector };

/** The tagged JSON of a trained meta-learner; `kind` selects the shape of `params`. */
export const ModelArtifact = meta(
  z
  .discriminatedUnion(
    'kind',
    [
      z.object({ ...common, kind: z.literal('logistic'), params: z.object(Linear) }),
      z.object({
        ...common,
        kind: z.literal('linear-svm'),
        params: z.object({ ...Linear, platt: z.object({ a: Vector, b: Vector }) }),
      }),
      z.object({
        ...common,
        kind: z.literal('mlp'),
        params: z.object({
          activation: z.literal('relu'),
          layers: z
            .array(z.object({ weights: Rows, bias: Vector }))
            .check(
              z.minLength(2, 'layers needs 1 or 2 hidden layers and the output layer'),
              z.maxLength(3, 'layers needs 1 or 2 hidden layers and the output layer'),
            ),
        }),
      }),
    ],
    { error: 'kind must be "logistic", "linear-svm" or "mlp"' },
  )
  .check(z.superRefine((a, ctx) => {
    const C = a.classes.length;
    const F = C * a.modalities.length;
    const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    for (const m of a.modalities) if (a.fill[m]?.length !== C) issue(['fill', m], `fill.${m} must hold ${C} numbers, one per class`);
    const shape = (rows: number[][], bias: number[], out: number, inp: number, path: PropertyKey[]) => {
      if (rows.length !== out || bias.length !== out || rows.some((r) => r.length !== inp))
        issue(path, `must be ${out} × ${inp} weights with ${out} biases (${C} classes, ${a.modalities.length} modalities)`);
    };
    if (a.kind === 'mlp') {
      let inp = F;
      a.params.layers.forEach((l, i) => {
        const out = i === a.params.layers.length - 1 ? C : l.bias.length;
        shape(l.weights, l.bias, out, inp, ['params', 'layers', i]);
        inp = out;
      });
      return;
    }
    shape(a.params.coef, a.params.intercept, C, F, ['params']);
    if (a.kind === 'linear-svm' && (a.params.platt.a.length !== C || a.params.platt.b.length !== C))
      issue(['params', 'platt'], `platt.a and platt.b must hold ${C} numbers each`);
  })),
  { id: 'ModelArtifact', description: 'A learned fusion model (format "fusion-model", version 1).' },
);

export type ModelArtifact = z.infer<typeof ModelArtifact>;
export type ModelKind = ModelArtifact['kind'];
export { MODEL_KINDS } from '../training.js';
// The artifact schema and the training section must know the same kinds.
const kindsAgree: [ModelKind] extends [(typeof MODEL_KINDS)[number]] ? ([(typeof MODEL_KINDS)[number]] extends [ModelKind] ? true : never) : never = true;
void kindsAgree;
