/**
 * A profile's drift reference: the share of each class among each modality's top classes on the
 * training data (`datasetReference` in monitor.ts), stored in the profile by `fusion train` and
 * by retraining, and compared with production by PSI (functions/fusion/loop/psi.ts).
 */
import * as z from 'zod/mini';
import { meta } from '../schema-meta.js';

/** Bounds of a stored reference (a profile is read on every cold start). */
export const REFERENCE_LIMITS = { maxModalities: 64, maxClasses: 1000, sumTolerance: 1e-3 } as const;

const Shares = z
  .array(z.number({ error: 'a share must be a finite number' }).check(z.gte(0, 'a share must be between 0 and 1'), z.lte(1, 'a share must be between 0 and 1')), {
    error: 'each modality maps to an array of class shares, one per class in classes order',
  })
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
