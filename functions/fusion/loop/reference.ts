/**
 * A profile's drift reference, one shape per task, stored in the profile by `fusion train` and
 * by retraining, and compared with production by PSI (functions/fusion/loop/psi.ts):
 * classification, the share of each class among each modality's top classes on the training
 * data (`datasetReference` in monitor.ts); regression, each modality's value histogram over
 * bins cut at the training deciles; multi-label, each modality's per-label positive share
 * (`regressionReference` and `multilabelReference` in drift-tasks.ts).
 */
import * as z from 'zod/mini';
import { meta } from '../schema-meta.js';

/** Bounds of a stored reference (a profile is read on every cold start). */
export const REFERENCE_LIMITS = { maxModalities: 64, maxClasses: 1000, maxBins: 100, sumTolerance: 1e-3 } as const;

const Share = z.number({ error: 'a share must be a finite number' }).check(z.gte(0, 'a share must be between 0 and 1'), z.lte(1, 'a share must be between 0 and 1'));
const Shares = z
  .array(Share, { error: 'each modality maps to an array of class shares, one per class in classes order' })
  .check(z.maxLength(REFERENCE_LIMITS.maxClasses, `a modality has at most ${REFERENCE_LIMITS.maxClasses} shares (one per class)`));

/** `"reference": {"rows": 1200, "shares": {"text": [0.3, 0.5, 0.2]}}` in a profile. */
export const DriftReference = meta(
  z.strictObject(
    {
      rows: z.int({ error: 'rows must be a whole number: how many training rows the shares come from' }).check(z.gte(1, 'rows must be at least 1')),
      shares: z.record(z.string().check(z.minLength(1), z.maxLength(128)), Shares, { error: 'shares must map each modality name to its class shares' }),
      createdAt: z.optional(z.string().check(z.maxLength(40))),
    },
    { error: (i) => (i.code === 'unrecognized_keys' ? 'reference has only the fields rows, shares, createdAt' : 'reference must be a JSON object') },
  ),
  {
    id: 'DriftReference',
    description: "Each modality's top-class shares on the training data (written by fusion train), for drift (PSI).",
  },
);
export type DriftReference = z.infer<typeof DriftReference>;

/**
 * What the schema cannot see: every modality of the reference is one of the profile's, has one
 * share per class, and its shares sum to 1 (or are all 0: a modality absent from the training
 * data). Each problem names its field and the fix.
 */
export function referenceErrors(reference: DriftReference, modalities: readonly string[], classes: readonly string[]): { path: string; message: string }[] {
  const errors: { path: string; message: string }[] = [];
  const known = new Set(modalities);
  const names = Object.keys(reference.shares);
  if (names.length > REFERENCE_LIMITS.maxModalities) errors.push({ path: 'reference.shares', message: `reference.shares names at most ${REFERENCE_LIMITS.maxModalities} modalities` });
  for (const m of names.slice(0, REFERENCE_LIMITS.maxModalities)) {
    const s = reference.shares[m]!;
    const path = `reference.shares.${m}`;
    if (!known.has(m)) errors.push({ path, message: `"${m}" is not in modalities [${modalities.join(', ')}]; remove it or rerun fusion train` });
    else if (s.length !== classes.length) errors.push({ path, message: `has ${s.length} shares but there are ${classes.length} classes; rerun fusion train` });
    else {
      const sum = s.reduce((a, b) => a + b, 0);
      if (sum !== 0 && Math.abs(sum - 1) > REFERENCE_LIMITS.sumTolerance) errors.push({ path, message: `shares sum to ${sum.toFixed(4)}, not 1; rerun fusion train` });
    }
  }
  return errors;
}

const ModalityKey = z.string().check(z.minLength(1), z.maxLength(128));
const createdAt = z.optional(z.string().check(z.maxLength(40)));
const rows = z.int({ error: 'rows must be a whole number: how many training rows the reference comes from' }).check(z.gte(1, 'rows must be at least 1'));
const fields = (what: string, names: string) => (i: { code?: string }) =>
  i.code === 'unrecognized_keys' ? `the reference of a ${what} profile has only the fields ${names}; rerun fusion train to write it` : 'reference must be a JSON object';

/** One modality's value histogram: `edges` cut the line into `edges.length + 1` bins, the first and last open-ended. */
const Histogram = z.strictObject(
  {
    edges: z
      .array(z.number({ error: 'an edge must be a finite number' }), { error: 'edges must be an array of increasing bin edges' })
      .check(z.maxLength(REFERENCE_LIMITS.maxBins - 1, `a histogram has at most ${REFERENCE_LIMITS.maxBins - 1} edges (${REFERENCE_LIMITS.maxBins} bins)`)),
    shares: z
      .array(Share, { error: 'shares must be an array of bin shares, one per bin' })
      .check(z.maxLength(REFERENCE_LIMITS.maxBins, `a histogram has at most ${REFERENCE_LIMITS.maxBins} shares (one per bin)`)),
  },
  { error: (i) => (i.code === 'unrecognized_keys' ? 'a histogram has only the fields edges, shares' : 'each modality maps to its histogram {"edges": [...], "shares": [...]}') },
);

/**
 * `"reference": {"rows": 1200, "histograms": {"a": {"edges": [1.2, 3.4], "shares": [0.3, 0.4, 0.3]}}}`
 * in a regression profile: bin i holds the values v with edges[i−1] <= v < edges[i].
 */
export const RegressionReference = meta(
  z.strictObject(
    {
      rows,
      histograms: z.record(ModalityKey, Histogram, { error: 'histograms must map each modality name to its value histogram {"edges": [...], "shares": [...]}; rerun fusion train to write it' }),
      createdAt,
    },
    { error: fields('regression', 'rows, histograms, createdAt') },
  ),
  { id: 'RegressionReference', description: "Each modality's value histogram on the training data (bins cut at the training deciles; written by fusion train), for drift (PSI)." },
);
export type RegressionReference = z.infer<typeof RegressionReference>;

const LabelShares = z
  .array(Share, { error: 'each modality maps to an array of positive shares, one per label in labels order' })
  .check(z.maxLength(REFERENCE_LIMITS.maxClasses, `a modality has at most ${REFERENCE_LIMITS.maxClasses} shares (one per label)`));

/** `"reference": {"rows": 800, "labelShares": {"img": [0.4, 0.1, 0.25]}}` in a multi-label profile, in `labels` order. */
export const MultilabelReference = meta(
  z.strictObject(
    {
      rows,
      labelShares: z.record(ModalityKey, LabelShares, { error: 'labelShares must map each modality name to its positive share per label, in labels order; rerun fusion train to write it' }),
      createdAt,
    },
    { error: fields('multi-label', 'rows, labelShares, createdAt') },
  ),
  { id: 'MultilabelReference', description: 'Each modality\'s share of training rows in which it puts each label at or over its threshold (written by fusion train), for drift (PSI).' },
);
export type MultilabelReference = z.infer<typeof MultilabelReference>;

type FieldProblem = { path: string; message: string };

/** The modalities a reference names, at most `maxModalities`, each checked for being one of the profile's. */
function eachModality<T>(field: string, byModality: Record<string, T>, modalities: readonly string[], errors: FieldProblem[], check: (value: T, path: string) => void): void {
  const names = Object.keys(byModality);
  if (names.length > REFERENCE_LIMITS.maxModalities) errors.push({ path: `reference.${field}`, message: `reference.${field} names at most ${REFERENCE_LIMITS.maxModalities} modalities` });
  for (const m of names.slice(0, REFERENCE_LIMITS.maxModalities)) {
    const path = `reference.${field}.${m}`;
    if (!modalities.includes(m)) errors.push({ path, message: `"${m}" is not in modalities [${modalities.join(', ')}]; remove it or rerun fusion train` });
    else check(byModality[m]!, path);
  }
}

/**
 * What a regression reference's schema cannot see: each histogram is of one of the profile's
 * modalities, its edges increase strictly, it has one share more than edges, and its shares sum to 1.
 */
export function regressionReferenceErrors(reference: RegressionReference, modalities: readonly string[]): FieldProblem[] {
  const errors: FieldProblem[] = [];
  eachModality('histograms', reference.histograms, modalities, errors, ({ edges, shares }, path) => {
    const at = edges.findIndex((e, i) => i > 0 && !(e > edges[i - 1]!));
    if (at > 0) errors.push({ path: `${path}.edges.${at}`, message: `edges must increase strictly (${edges[at]} follows ${edges[at - 1]}); rerun fusion train` });
    else if (shares.length !== edges.length + 1)
      errors.push({ path: `${path}.shares`, message: `has ${shares.length} shares for ${edges.length} edges; a histogram has one share per bin, edges + 1 (the first and last bins are open-ended); rerun fusion train` });
    else {
      const sum = shares.reduce((a, b) => a + b, 0);
      if (Math.abs(sum - 1) > REFERENCE_LIMITS.sumTolerance) errors.push({ path: `${path}.shares`, message: `shares sum to ${sum.toFixed(4)}, not 1; rerun fusion train` });
    }
  });
  return errors;
}

/** What a multi-label reference's schema cannot see: each modality is the profile's and has one share per label. */
export function multilabelReferenceErrors(reference: MultilabelReference, modalities: readonly string[], labels: readonly string[]): FieldProblem[] {
  const errors: FieldProblem[] = [];
  eachModality('labelShares', reference.labelShares, modalities, errors, (shares, path) => {
    if (shares.length !== labels.length) errors.push({ path, message: `has ${shares.length} shares but there are ${labels.length} labels; rerun fusion train` });
  });
  return errors;
}
