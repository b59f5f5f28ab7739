/**
 * A profile's `calibration` section: one fitted calibrator per modality, applied to that
 * modality's distribution before any rule (learned ones included). Fitted by
 * `fusion train --model calibration --method temperature|platt|isotonic`.
 */
import * as z from 'zod/mini';
import { meta } from '../schema-meta.js';

/** Most breakpoints an isotonic curve keeps (the fit thins longer curves evenly). */
export const MAX_ISOTONIC_POINTS = 2048;
/** Most per-class curves or sigmoids (one per class, as the largest class list). */
const MAX_CURVES = 1000;

const finite = (what: string) => z.number({ error: `${what} must be a finite number` });
const numbers = (what: string, max: number) =>
  z.array(finite(what), { error: `${what} must be an array of numbers` }).check(z.minLength(1, `${what} needs at least one value`), z.maxLength(max, `${what} allows at most ${max} values`));
const curves = (what: string) =>
  z.array(numbers(what, MAX_ISOTONIC_POINTS), { error: `${what} must be an array of arrays, one per class` }).check(z.minLength(1), z.maxLength(MAX_CURVES));

const Temperature = z.strictObject({
  method: z.literal('temperature'),
  temperature: finite('temperature').check(z.positive('temperature must be > 0')),
});

const Platt = z
  .strictObject({ method: z.literal('platt'), a: numbers('a', MAX_CURVES), b: numbers('b', MAX_CURVES) })
  .check(z.refine((v) => v.a.length === v.b.length, { message: 'a and b must have the same length (one sigmoid per class, or one for the positive class of two)', path: ['b'] }));

const Isotonic = z
  .strictObject({ method: z.literal('isotonic'), x: curves('x'), y: curves('y') })
  .check(
    z.refine((v) => v.x.length === v.y.length && v.x.every((xs, i) => xs.length === v.y[i]!.length && xs.every((x, j) => j === 0 || x > xs[j - 1]!)), {
      message: 'x and y must hold curves of equal lengths, each x strictly increasing',
      path: ['x'],
    }),
  );

/** One modality's calibrator. Platt and isotonic hold one curve for the positive (second) class of two, else one per class. */
export const Calibrator = meta(
  z.discriminatedUnion('method', [Temperature, Platt, Isotonic], { error: 'a calibrator has "method": "temperature", "platt" or "isotonic" and its fitted values' }),
  {
    description:
      'temperature: p ∝ p^(1/T). platt: p_c = 1/(1 + exp(a_c·logit(p_c) + b_c)). isotonic: p_c = the piecewise-linear curve (x_c, y_c) at p_c, clipped to its ends. Binary: the positive class only, the other gets 1 − it; multiclass: per class, then renormalised.',
  },
);

/** `{modality: calibrator}`. */
export const Calibration = meta(z.catchall(z.object({}, { error: 'calibration must be an object mapping modality name to its calibrator' }), Calibrator), {
  description: 'Per-modality calibrators fitted by `fusion train --model calibration`, applied before any rule.',
});

export type Calibrator = z.infer<typeof Calibrator>;
export type Calibration = z.infer<typeof Calibration>;
export type CalibrationMethod = Calibrator['method'];
export const CALIBRATION_METHODS = ['temperature', 'platt', 'isotonic'] as const satisfies readonly CalibrationMethod[];
