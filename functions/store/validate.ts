/**
 * Validation of stored objects, shared by both stores and `fusion publish`: JSON, the zod
 * schema, then the rules a schema cannot express (weights for modalities the profile does not
 * expect, a model that disagrees with its profile). Every error names the object's key.
 */
import { type FieldError, InvalidRequestError, fieldErrors } from '../fusion/errors.js';
import { ModelArtifact } from '../fusion/learned/artifact.js';
import { joinSectionErrors } from '../fusion/join/check.js';
import { type MultilabelReference, type RegressionReference, multilabelReferenceErrors, referenceErrors, regressionReferenceErrors } from '../fusion/loop/reference.js';
import { Profile, parseAnyProfile, taskModelSchema } from '../fusion/profiles.js';
import { profileTask } from '../fusion/tasks/common.js';
import { isModelRef } from '../fusion/loop/variant-schema.js';
import { PREFIX } from '../layout.js';

export { PROFILE_NAME, decodeJson, profileNotFound } from './names.js';

/** Where every model lives in a store: a profile's `model.key` must be under it. */
export const MODELS_PREFIX = PREFIX.models;

/**
 * Why `key` is not a model key a profile may name, or undefined when it is: relative, under
 * `models/`, of plain segments (no `.`, `..` or empty segment, no backslash or control
 * character), so it resolves inside the store's models prefix in S3 and on disk alike.
 */
export function modelKeyProblem(key: string): string | undefined {
  const shown = JSON.stringify(key.length > 200 ? `${key.slice(0, 200)}...` : key);
  if (!key.startsWith(MODELS_PREFIX) || key.length === MODELS_PREFIX.length)
    return `${shown} is not under ${MODELS_PREFIX}; name the model relative to the store, for example "models/<profile>.json"`;
  const segments = key.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..') || key.includes('\\') || [...key].some((c) => c < ' '))
    return `${shown} has an empty, "." or ".." segment or a backslash; use a plain relative key such as "models/<profile>.json"`;
  return undefined;
}

/**
 * A profile: schema, then per-modality settings only for modalities it lists. Stored under
 * `profiles/<name>.json` (give `key`), its `name` must be that name: a profile is never served
 * under a name it does not carry.
 */
export function checkProfile(raw: unknown, where: string, key?: string): Profile {
  if (profileTask(raw) !== 'classification') return checkTaskProfile(raw, where, key);
  const parsed = Profile.safeParse(raw);
  if (!parsed.success) throw invalid(where, 'profile', fieldErrors(parsed.error.issues));
  const profile = parsed.data;
  const known = new Set(profile.modalities);
  const errors: FieldError[] = [];
  const stored = key && /([^/]+)\.json$/.exec(key)?.[1];
  if (stored && stored !== profile.name)
    errors.push({ path: 'name', message: `the profile is stored as "${stored}" but its name is "${profile.name}"; the name must match the key profiles/${profile.name}.json` });
  for (const field of ['weights', 'temperatures'] as const) {
    for (const m of Object.keys(profile[field] ?? {}))
      if (!known.has(m)) errors.push({ path: `${field}.${m}`, message: `"${m}" is not in modalities [${profile.modalities.join(', ')}]; add it there or remove this entry` });
  }
  const keyProblem = profile.model && modelKeyProblem(profile.model.key);
  if (keyProblem) errors.push({ path: 'model.key', message: keyProblem });
  errors.push(...variantErrors(profile));
  if (profile.priors && profile.priors.length !== profile.classes.length)
    errors.push({ path: 'priors', message: `priors has ${profile.priors.length} values but there are ${profile.classes.length} classes` });
  errors.push(...joinSectionErrors(profile));
  if (profile.reference) errors.push(...referenceErrors(profile.reference, profile.modalities, profile.classes));
  if (errors.length) throw invalid(where, 'profile', errors);
  return profile;
}

/** A learned model artifact, validated with its schema. */
export function checkModel(raw: unknown, where: string): ModelArtifact {
  // A regression or multi-label model travels in the same slot; `loadRidge` / `loadMultilabel` read it.
  const parsed = (taskModelSchema(raw) ?? ModelArtifact).safeParse(raw) as ReturnType<typeof ModelArtifact.safeParse>;
  if (!parsed.success) throw invalid(where, 'model artifact', fieldErrors(parsed.error.issues));
  return parsed.data;
}

/**
 * A profile and the model it names must agree: the same classes in the same order and the same
 * set of modalities.
 */
export function checkModelFits(profile: Profile, model: ModelArtifact, profileKey: string, modelKey: string): void {
  const errors: FieldError[] = [];
  const task = profileTask(profile);
  if (task !== profileTask(model)) errors.push({ path: 'task', message: `the profile's task ${task} differs from model ${modelKey}'s task ${profileTask(model)}` });
  else if (task === 'multilabel' && !sameList((model as unknown as { labels: string[] }).labels, (profile as unknown as { labels: string[] }).labels))
    errors.push({ path: 'labels', message: `the profile's labels differ from model ${modelKey}'s labels` });
  else if (task === 'classification' && !sameList(model.classes, profile.classes))
    errors.push({ path: 'classes', message: `the profile's classes [${profile.classes.join(', ')}] differ from model ${modelKey}'s classes [${model.classes.join(', ')}]` });
  if (!sameList([...model.modalities].sort(), [...profile.modalities].sort()))
    errors.push({ path: 'modalities', message: `the profile's modalities [${profile.modalities.join(', ')}] differ from model ${modelKey}'s modalities [${model.modalities.join(', ')}]` });
  if (errors.length) throw invalid(profileKey, `profile for model ${modelKey}`, errors);
}

/**
 * The models a profile's shadows and canary name: stored keys under `models/` (as the primary's),
 * inline artifacts valid and agreeing with the profile, and shadow weights for listed modalities.
 */
function variantErrors(profile: Profile): FieldError[] {
  const errors: FieldError[] = [];
  const models = [...(profile.shadow ?? []).map((s, i) => [`shadow.${i}`, s.model] as const), ['canary', profile.canary?.model] as const];
  for (const [at, model] of models) {
    if (!model) continue;
    if (isModelRef(model)) {
      const problem = modelKeyProblem(model.key);
      if (problem) errors.push({ path: `${at}.model.key`, message: problem });
      continue;
    }
    const parsed = ModelArtifact.safeParse(model);
    if (!parsed.success) errors.push(...fieldErrors(parsed.error.issues, `${at}.model`));
    else
      try {
        checkModelFits(profile, parsed.data, `${at}.model`, 'inline');
      } catch (e) {
        for (const err of (e as InvalidRequestError).errors) errors.push({ ...err, path: `${at}.model.${err.path}` });
      }
  }
  profile.shadow?.forEach((s, i) => {
    for (const m of Object.keys(s.weights ?? {}))
      if (!profile.modalities.includes(m)) errors.push({ path: `shadow.${i}.weights.${m}`, message: `"${m}" is not in modalities [${profile.modalities.join(', ')}]; add it there or remove this entry` });
  });
  return errors;
}

/** A regression or multi-label profile: its schema, then per-modality and per-label settings only for those it lists. */
function checkTaskProfile(raw: unknown, where: string, key?: string): Profile {
  for (const field of ['shadow', 'canary'])
    if (typeof raw === 'object' && raw !== null && field in raw)
      throw invalid(where, 'profile', [
        { path: field, message: `${field} is for classification profiles only (a shadow's agreement is "the same label"); remove it from this ${profileTask(raw)} profile` },
      ]);
  let profile: Profile;
  try {
    profile = parseAnyProfile(raw);
  } catch (e) {
    throw invalid(where, 'profile', (e as { errors: FieldError[] }).errors);
  }
  const errors: FieldError[] = [];
  const stored = key && /([^/]+)\.json$/.exec(key)?.[1];
  if (stored && stored !== profile.name)
    errors.push({ path: 'name', message: `the profile is stored as "${stored}" but its name is "${profile.name}"; the name must match the key profiles/${profile.name}.json` });
  for (const m of Object.keys(profile.weights ?? {}))
    if (!profile.modalities.includes(m)) errors.push({ path: `weights.${m}`, message: `"${m}" is not in modalities [${profile.modalities.join(', ')}]; add it there or remove this entry` });
  const { labels, thresholds } = profile as unknown as { labels?: string[]; thresholds?: Record<string, number> };
  for (const l of Object.keys(thresholds ?? {}))
    if (!labels?.includes(l)) errors.push({ path: `thresholds.${l}`, message: `"${l}" is not in labels; add it there or remove this entry` });
  const keyProblem = profile.model && modelKeyProblem(profile.model.key);
  if (keyProblem) errors.push({ path: 'model.key', message: keyProblem });
  errors.push(...joinSectionErrors(profile));
  const reference = (profile as unknown as { reference?: RegressionReference | MultilabelReference }).reference;
  if (reference && 'histograms' in reference) errors.push(...regressionReferenceErrors(reference, profile.modalities));
  if (reference && 'labelShares' in reference) errors.push(...multilabelReferenceErrors(reference, profile.modalities, labels ?? []));
  if (errors.length) throw invalid(where, 'profile', errors);
  return profile;
}

function invalid(where: string, what: string, errors: FieldError[]): InvalidRequestError {
  const list = errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ');
  return new InvalidRequestError(errors, `${where} is not a valid ${what}: ${list}`);
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
