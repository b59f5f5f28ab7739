import * as z from 'zod/mini';
import { type FieldError, FusionError, InvalidRequestError, fieldErrors } from '../errors.js';
import { type Prepared, prepare } from '../prepare.js';
import { Predictions, type Profile, RequestId } from '../schemas.js';

/** One labelled example: its calibrated distributions in profile modality order. */
export interface Example {
  /** 1-based line number in the JSONL source. */
  line: number;
  label: number;
  /** Distribution of each profile modality, `undefined` where the modality is absent. */
  dists: (Float64Array | undefined)[];
  /** The line prepared by the core, for the fixed rules. */
  prepared: Prepared;
}

/** A labelled data set checked against a profile. */
export interface Dataset {
  classes: string[];
  modalities: string[];
  examples: Example[];
}

/** One JSONL line: a fusion request's predictions plus the true class. */
export const DataLine = z.strictObject({
  id: z.optional(RequestId),
  predictions: Predictions,
  label: z.string({ error: 'label must be the true class name' }),
});

export interface ParseOptions {
  /** Apply the profile's temperatures and calibration (default true); fitting temperatures needs raw outputs. */
  calibrate?: boolean;
  /** Apply the profile's per-modality `calibration` (default: as `calibrate`); fitting calibrators needs it off. */
  calibration?: boolean;
  /** How many bad lines to list in the error (default 20); all are counted. */
  maxErrors?: number;
}

/**
 * Parses labelled JSONL (`{"predictions": {...}, "label": "..."}` a line) against a profile.
 * Every line goes through the core's `prepare`, so it is validated and calibrated exactly as
 * a fusion request would be. Blank lines are skipped; any bad line fails the whole set with
 * its line number, so nothing is silently dropped.
 */
export function parseDataset(text: string, profile: Profile, options: ParseOptions = {}): Dataset {
  // minModalities is a serving rule: rows below it are kept here and left out at scoring time.
  const base: Profile = { ...profile, minModalities: undefined };
  if (options.calibrate === false) base.temperatures = undefined;
  if (options.calibration === false || options.calibrate === false) base.calibration = undefined;
  const lookup = () => ({ profile: base });
  const classIndex = new Map(profile.classes.map((c, i) => [c, i]));
  const modalityIndex = new Map(profile.modalities.map((m, i) => [m, i]));
  const errors: FieldError[] = [];
  let bad = 0;
  const examples: Example[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const source = lines[i]!.trim();
    if (!source) continue;
    const line = i + 1;
    const at = `line ${line}`;
    const before = errors.length;
    try {
      let raw: unknown;
      try {
        raw = JSON.parse(source);
      } catch (e) {
        errors.push({ path: at, message: `not valid JSON: ${(e as Error).message}` });
        continue;
      }
      const parsed = DataLine.safeParse(raw);
      if (!parsed.success) {
        errors.push(...fieldErrors(parsed.error.issues, at));
        continue;
      }
      const label = classIndex.get(parsed.data.label);
      if (label === undefined) errors.push({ path: `${at}.label`, message: `label "${parsed.data.label}" is not one of the profile's classes: ${profile.classes.join(', ')}` });
      const prepared = prepare({ profile: base.name, predictions: parsed.data.predictions }, lookup, undefined, at);
      if (errors.length > before || label === undefined) continue;
      const dists: (Float64Array | undefined)[] = new Array(profile.modalities.length).fill(undefined);
      prepared.modalities.forEach((m, k) => (dists[modalityIndex.get(m)!] = prepared.dists[k]));
      examples.push({ line, label, dists, prepared });
    } catch (e) {
      if (!(e instanceof FusionError)) throw e;
      errors.push(...(e.errors.length ? e.errors : [{ path: at, message: e.message }]));
    } finally {
      if (errors.length > before) bad++;
    }
  }
  if (errors.length) {
    const max = options.maxErrors ?? 20;
    const first = errors[0]!;
    throw new InvalidRequestError(
      errors.slice(0, max),
      `${bad} bad line${bad === 1 ? '' : 's'} in the data; the first: ${first.path}: ${first.message}. Fix or remove ${bad === 1 ? 'it' : 'them'} (nothing is skipped).`,
    );
  }
  if (!examples.length) throw new InvalidRequestError([{ path: 'data', message: 'the data has no examples; give one JSON object a line: {"predictions": {...}, "label": "..."}' }]);
  return { classes: profile.classes, modalities: profile.modalities, examples };
}

/** The examples at the given indices, as a data set of their own. */
export function subset(data: Dataset, indices: ArrayLike<number>): Dataset {
  return { ...data, examples: Array.from(indices, (i) => data.examples[i]!) };
}

/**
 * Stratified folds (like scikit-learn's `StratifiedKFold` without shuffling): the examples of
 * each class are dealt to the folds in turn. Returns each example's fold.
 */
export function stratifiedFolds(labels: ArrayLike<number>, k: number): Int32Array {
  const fold = new Int32Array(labels.length);
  const next = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    const f = next.get(c) ?? 0;
    fold[i] = f;
    next.set(c, (f + 1) % k);
  }
  return fold;
}
