/**
 * Validation of stored objects, shared by both stores and `fusion publish`: JSON, the zod
 * schema, then the rules a schema cannot express (weights for modalities the profile does not
 * expect, a model that disagrees with its profile). Every error names the object's key.
 */
import { type FieldError, InvalidRequestError, Profile, fieldErrors } from '../fusion/index.js';
import { ModelArtifact } from '../fusion/learned/artifact.js';

/** A stored profile's name: what `profiles/<name>.json` may hold (the schema's `name` rule). */
export const PROFILE_NAME = /^[A-Za-z0-9._-]{1,128}$/;

/** Parses JSON text; a syntax error (an invalid or corrupt object) names `where`. */
export function decodeJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InvalidRequestError([{ path: '', message: (e as Error).message }], `${where} is not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * A profile: schema, then per-modality settings only for modalities it lists. Stored under
 * `profiles/<name>.json` (give `key`), its `name` must be that name: a profile is never served
 * under a name it does not carry.
 */
export function checkProfile(raw: unknown, where: string, key?: string): Profile {
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
  if (profile.priors && profile.priors.length !== profile.classes.length)
    errors.push({ path: 'priors', message: `priors has ${profile.priors.length} values but there are ${profile.classes.length} classes` });
  if (errors.length) throw invalid(where, 'profile', errors);
  return profile;
}

/** A learned model artifact, validated with its schema. */
export function checkModel(raw: unknown, where: string): ModelArtifact {
  const parsed = ModelArtifact.safeParse(raw);
  if (!parsed.success) throw invalid(where, 'model artifact', fieldErrors(parsed.error.issues));
  return parsed.data;
}

/**
 * A profile and the model it names must agree: the same classes in the same order and the same
 * set of modalities.
 */
export function checkModelFits(profile: Profile, model: ModelArtifact, profileKey: string, modelKey: string): void {
  const errors: FieldError[] = [];
  if (!sameList(model.classes, profile.classes))
    errors.push({ path: 'classes', message: `the profile's classes [${profile.classes.join(', ')}] differ from model ${modelKey}'s classes [${model.classes.join(', ')}]` });
  if (!sameList([...model.modalities].sort(), [...profile.modalities].sort()))
    errors.push({ path: 'modalities', message: `the profile's modalities [${profile.modalities.join(', ')}] differ from model ${modelKey}'s modalities [${model.modalities.join(', ')}]` });
  if (errors.length) throw invalid(profileKey, `profile for model ${modelKey}`, errors);
}

function invalid(where: string, what: string, errors: FieldError[]): InvalidRequestError {
  const list = errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ');
  return new InvalidRequestError(errors, `${where} is not a valid ${what}: ${list}`);
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
