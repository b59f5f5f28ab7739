/**
 * A profile's drift reference, one shape per task, stored in the profile by `fusion train` and
 * by retraining, and compared with production by PSI (functions/fusion/loop/psi.ts):
 * classification, the share of each class among each modality's top classes on the training
 * data (`datasetReference` in monitor.ts); regression, each modality's value histogram over
 * bins cut at the training deciles; multi-label, each modality's per-label positive share
 * (`regressionReference` and `multilabelReference` in drift-tasks.ts). Every strategy function
 * that reads profiles carries these schemas: keep them small.
 */
import * as z from 'zod/mini';
import { meta } from '../schema-meta.js';

/** Bounds of a stored reference (a profile is read on every cold start). */
export const REFERENCE_LIMITS = { maxModalities: 64, maxClasses: 1000, maxBins: 100, sumTolerance: 1e-3 } as const;

const FIX = 'rerun fusion train';
const Share = z.number({ error: 'a share must be a finite number' }).check(z.gte(0, 'a share must be between 0 and 1'), z.lte(1, 'a share must be between 0 and 1'));
/** An array of shares: `what` names one (`class share`), `max` bounds them. */
const shares = (what: string, max: number) => z.array(Share, { error: `shares must be an array of ${what}s` }).check(z.maxLength(max, `a modality has at most ${max} shares (one ${what} each)`));
const byModality = <T extends z.ZodMiniType>(field: string, v: T, what: string) =>
  z.record(z.string().check(z.minLength(1), z.maxLength(128)), v, { error: `${field} must map each modality name to its ${what}; ${FIX} to write it` });
/** The reference object of a task: its fields besides `rows` and `createdAt`, and what the error calls it. */
const reference = <S extends Record<string, z.ZodMiniType>>(shape: S, what: string, fix = '') =>
  z.strictObject(
    {
      rows: z.int({ error: 'rows must be a whole number: how many training rows the reference comes from' }).check(z.gte(1, 'rows must be at least 1')),
      ...shape,
      createdAt: z.optional(z.string().check(z.maxLength(40))),
    },
    { error: (i) => (i.code === 'unrecognized_keys' ? `${what} has only the fields rows, ${Object.keys(shape).join(', ')}, createdAt${fix}` : 'reference must be a JSON object') },
  );

/** `"reference": {"rows": 1200, "shares": {"text": [0.3, 0.5, 0.2]}}` in a classification profile. */
export const DriftReference = meta(reference({ shares: byModality('shares', shares('class share', REFERENCE_LIMITS.maxClasses), 'class shares, in classes order') }, 'reference'), {
  id: 'DriftReference',
  description: "Each modality's top-class shares on the training data (written by fusion train), for drift (PSI).",
});
export type DriftReference = z.infer<typeof DriftReference>;

const HISTOGRAM = 'histogram {"edges": [...], "shares": [...]}';

/**
 * `"reference": {"rows": 1200, "histograms": {"a": {"edges": [1.2, 3.4], "shares": [0.3, 0.4, 0.3]}}}`
 * in a regression profile: bin i holds the values v with edges[i−1] <= v < edges[i].
 */
export const RegressionReference = reference(
  {
    histograms: byModality(
      'histograms',
      z.strictObject(
        {
          edges: z.array(z.number({ error: 'an edge must be a finite number' })).check(z.maxLength(REFERENCE_LIMITS.maxBins - 1, `a histogram has at most ${REFERENCE_LIMITS.maxBins - 1} edges`)),
          shares: shares('bin share', REFERENCE_LIMITS.maxBins),
        },
        { error: (i) => (i.code === 'unrecognized_keys' ? `a histogram has only the fields edges, shares; ${FIX}` : `each modality maps to its ${HISTOGRAM}`) },
      ),
      HISTOGRAM,
    ),
  },
  'the reference of a regression profile',
  `; ${FIX} to write it`,
);
export type RegressionReference = z.infer<typeof RegressionReference>;

/** `"reference": {"rows": 800, "labelShares": {"img": [0.4, 0.1, 0.25]}}` in a multi-label profile, in `labels` order. */
export const MultilabelReference = reference(
  { labelShares: byModality('labelShares', shares('label share', REFERENCE_LIMITS.maxClasses), 'positive share per label, in labels order') },
  'the reference of a multi-label profile',
  `; ${FIX} to write it`,
);
export type MultilabelReference = z.infer<typeof MultilabelReference>;

type FieldProblem = { path: string; message: string };

/** A problem of one modality's entry: its message, or the field under the entry and its message. */
type Problem = string | [field: string, message: string] | undefined;

/** Checks each modality a reference names (at most `maxModalities`): one of the profile's, then `check`. */
function eachModality<T>(field: string, map: Record<string, T>, modalities: readonly string[], check: (value: T) => Problem): FieldProblem[] {
  const errors: FieldProblem[] = [];
  const names = Object.keys(map);
  if (names.length > REFERENCE_LIMITS.maxModalities) errors.push({ path: `reference.${field}`, message: `reference.${field} names at most ${REFERENCE_LIMITS.maxModalities} modalities` });
  for (const m of names.slice(0, REFERENCE_LIMITS.maxModalities)) {
    const path = `reference.${field}.${m}`;
    const problem = modalities.includes(m) ? check(map[m]!) : `"${m}" is not in modalities [${modalities.join(', ')}]; remove it or ${FIX}`;
    if (typeof problem === 'string') errors.push({ path, message: problem });
    else if (problem) errors.push({ path: `${path}.${problem[0]}`, message: problem[1] });
  }
  return errors;
}

/** Why `s` does not sum to 1 (all zeros allowed with `zeros`: a modality absent from training). */
function sumProblem(s: readonly number[], zeros: boolean): string | undefined {
  const sum = s.reduce((a, b) => a + b, 0);
  return (zeros && sum === 0) || Math.abs(sum - 1) <= REFERENCE_LIMITS.sumTolerance ? undefined : `shares sum to ${sum.toFixed(4)}, not 1; ${FIX}`;
}

/**
 * What the schema cannot see: every modality of the reference is one of the profile's, has one
 * share per class, and its shares sum to 1 (or are all 0: a modality absent from the training
 * data). Each problem names its field and the fix.
 */
export function referenceErrors(reference: DriftReference, modalities: readonly string[], classes: readonly string[]): FieldProblem[] {
  return eachModality('shares', reference.shares, modalities, (s) => (s.length !== classes.length ? `has ${s.length} shares but there are ${classes.length} classes; ${FIX}` : sumProblem(s, true)));
}

/** A regression reference: each histogram of a profile modality, its edges increasing strictly, one share more than edges, summing to 1. */
export function regressionReferenceErrors(reference: RegressionReference, modalities: readonly string[]): FieldProblem[] {
  return eachModality('histograms', reference.histograms, modalities, ({ edges, shares }) => {
    const at = edges.findIndex((e, i) => i > 0 && !(e > edges[i - 1]!));
    if (at > 0) return [`edges.${at}`, `edges must increase strictly (${edges[at]} follows ${edges[at - 1]}); ${FIX}`];
    if (shares.length !== edges.length + 1) return ['shares', `has ${shares.length} shares for ${edges.length} edges, not one per bin (edges + 1, the first and last bins open-ended); ${FIX}`];
    const sum = sumProblem(shares, false);
    return sum && ['shares', sum];
  });
}

/** A multi-label reference: each modality a profile modality with one share per label. */
export function multilabelReferenceErrors(reference: MultilabelReference, modalities: readonly string[], labels: readonly string[]): FieldProblem[] {
  return eachModality('labelShares', reference.labelShares, modalities, (s) => (s.length !== labels.length ? `has ${s.length} shares but there are ${labels.length} labels; ${FIX}` : undefined));
}
