/**
 * Labelled data of the regression and multi-label tasks: JSONL lines checked by the task's own
 * preparation, exactly as a fusion request would be, with their targets.
 */
import * as z from 'zod/mini';
import { type FieldError, FusionError, InvalidRequestError, fieldErrors } from '../errors.js';
import type { Profile } from '../schemas.js';
import { RequestId } from '../schemas.js';
import type { MultilabelProfile, RegressionProfile } from '../profiles.js';
import { MultilabelPrediction, type MultilabelPrepared, prepareMultilabel } from '../tasks/multilabel.js';
import { RegressionPrediction, type RegressionPrepared, prepareRegression } from '../tasks/regression.js';

const map = <T extends z.ZodMiniType>(v: T) => z.catchall(z.object({}, { error: 'predictions must be an object mapping modality name to its prediction' }), v);

const RegressionLine = z.strictObject({ id: z.optional(RequestId), predictions: map(RegressionPrediction), value: z.number({ error: 'value must be the true value, a finite number' }) });
const MultilabelLine = z.strictObject({
  id: z.optional(RequestId),
  predictions: map(MultilabelPrediction),
  labels: z.array(z.string(), { error: 'labels must be the array of true label names (empty for none)' }),
});

/** A regression data set: prepared lines and their true values. */
export interface RegressionData {
  task: 'regression';
  profile: RegressionProfile;
  rows: RegressionPrepared[];
  targets: number[];
}

/** A multi-label data set: prepared lines and their true labels (0/1 per label). */
export interface MultilabelData {
  task: 'multilabel';
  profile: MultilabelProfile;
  rows: MultilabelPrepared[];
  targets: Uint8Array[];
}

export type TaskData = RegressionData | MultilabelData;

/** Parses labelled JSONL of the profile's task; any bad line fails the set with its line number. */
export function parseTaskData(text: string, raw: Profile, maxErrors = 20): TaskData {
  const profile = { ...(raw as unknown as RegressionProfile | MultilabelProfile), minModalities: undefined };
  const lookup = () => ({ profile: profile as unknown as Profile });
  const errors: FieldError[] = [];
  let bad = 0;
  const rows: (RegressionPrepared | MultilabelPrepared)[] = [];
  const targets: (number | Uint8Array)[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const source = lines[i]!.trim();
    if (!source) continue;
    const at = `line ${i + 1}`;
    const before = errors.length;
    try {
      const parsed = (profile.task === 'regression' ? RegressionLine : MultilabelLine).safeParse(JSON.parse(source));
      if (!parsed.success) {
        errors.push(...fieldErrors(parsed.error.issues, at));
        continue;
      }
      const d = parsed.data as { predictions: never; value?: number; labels?: string[] };
      if (profile.task === 'regression') {
        rows.push(prepareRegression({ profile: profile.name, predictions: d.predictions }, lookup, undefined, at));
        targets.push(d.value!);
      } else {
        const y = new Uint8Array(profile.labels.length);
        for (const l of d.labels!) {
          const k = profile.labels.indexOf(l);
          if (k < 0) errors.push({ path: `${at}.labels`, message: `"${l}" is not one of the profile's labels: ${profile.labels.join(', ')}` });
          else y[k] = 1;
        }
        const p = prepareMultilabel({ profile: profile.name, predictions: d.predictions }, lookup, undefined, at);
        if (errors.length === before) (rows.push(p), targets.push(y));
      }
    } catch (e) {
      if (e instanceof SyntaxError) errors.push({ path: at, message: `not valid JSON: ${e.message}` });
      else if (e instanceof FusionError) errors.push(...(e.errors.length ? e.errors : [{ path: at, message: e.message }]));
      else throw e;
    } finally {
      if (errors.length > before) bad++;
    }
  }
  if (errors.length) {
    const first = errors[0]!;
    throw new InvalidRequestError(
      errors.slice(0, maxErrors),
      `${bad} bad line${bad === 1 ? '' : 's'} in the data; the first: ${first.path}: ${first.message}. Fix or remove ${bad === 1 ? 'it' : 'them'} (nothing is skipped).`,
    );
  }
  if (!rows.length) throw new InvalidRequestError([{ path: 'data', message: 'the data has no examples; give one JSON object a line' }]);
  return { task: profile.task, profile, rows, targets } as TaskData;
}

/** The rows at the given indices. */
export function taskSubset<T extends TaskData>(data: T, idx: readonly number[]): T {
  return { ...data, rows: idx.map((i) => data.rows[i]!), targets: idx.map((i) => data.targets[i]!) } as T;
}
