/**
 * What regression and multi-label requests share with each other: profile resolution, the
 * expected modalities, weights, `minModalities` and the response's common fields. Kept apart
 * from the classification path (`prepare.ts`), which stays as it is.
 */
import * as z from 'zod/mini';
import { type FieldError, InsufficientModalitiesError, InvalidRequestError, NotFoundError, joinPath } from '../errors.js';
import type { ProfileLookup, ResolvedProfile } from '../prepare.js';
import { LIMITS, Weights, meta } from '../schemas.js';
import type { Task } from './task.js';

export const ModalityName = z
  .string()
  .check(
    z.minLength(1, 'a modality name must not be empty'),
    z.maxLength(LIMITS.maxModalityName, `a modality name must be at most ${LIMITS.maxModalityName} characters`),
  );

export const Modalities = meta(
  z
    .array(ModalityName, { error: 'modalities must be an array of expected modality names' })
    .check(z.maxLength(LIMITS.maxModalities, `modalities allows at most ${LIMITS.maxModalities} names`)),
  { description: 'The modalities expected; absent ones are reported in modalities.missing.' },
);

export const ProfileRef = z
  .string({ error: 'profile must be a profile name, optionally "name@version"' })
  .check(
    z.regex(
      /^[A-Za-z0-9._-]{1,128}(@[A-Za-z0-9._+/=-]{1,1024})?$/,
      'profile must be a name of letters, digits, ".", "_" or "-", optionally followed by "@<version>"',
    ),
  );

export const MinModalities = z
  .int({ error: 'minModalities must be a whole number' })
  .check(z.gte(1, 'minModalities must be at least 1'), z.lte(LIMITS.maxModalities, `minModalities must be at most ${LIMITS.maxModalities}`));

/** Error of a strict object: names the allowed fields when an unknown one is given. */
export const objectError = (what: string, fields: readonly string[]) => (issue: { code?: string }) =>
  issue.code === 'unrecognized_keys' ? `${what} has only the fields ${fields.join(', ')}` : `${what} must be a JSON object`;

export { Weights };

/** The fields of a task request that are layered (profile, then batch defaults, then the item). */
export interface TaskLayer<P, O> {
  modalities?: string[] | undefined;
  predictions?: Record<string, P> | undefined;
  weights?: Record<string, number> | undefined;
  options?: O | undefined;
}

/** Layers `top` over `base`: maps merge per key, lists are replaced. */
export function layer<P, O extends object, L extends TaskLayer<P, O>>(base: L, top: L): L {
  const out = { ...base };
  for (const [key, value] of Object.entries(top)) if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  for (const key of ['predictions', 'weights', 'options'] as const) if (base[key] && top[key]) (out as Record<string, unknown>)[key] = { ...base[key], ...top[key] };
  return out;
}

/**
 * The profile a request names, if any. It must be a profile of `task`: a request of another
 * task is told to change its `task` or its profile.
 */
export function resolveProfile(task: Task, ref: string | undefined, lookup: ProfileLookup | undefined, at: string): ResolvedProfile | undefined {
  if (ref === undefined) return undefined;
  const resolved = lookup?.(ref);
  if (!resolved) throw new NotFoundError(`Profile "${ref}" was not found.`, [{ path: joinPath(at, 'profile'), message: `no profile named "${ref}"` }]);
  const own = profileTask(resolved.profile);
  if (own !== task)
    throw new InvalidRequestError([
      { path: joinPath(at, 'profile'), message: `profile "${resolved.profile.name}" is a ${own} profile but the request's task is ${task}; name a ${task} profile or send "task": "${own}"` },
    ]);
  return resolved;
}

/** A profile's task (classification when it declares none). */
export function profileTask(profile: unknown): Task {
  const task = (profile as { task?: Task } | undefined)?.task;
  return task ?? 'classification';
}

/** Modalities checked, weighted and counted, ready for a task's rules. */
export interface Present {
  names: string[];
  weights: number[];
  /** Weights renormalised to sum 1 over present modalities. */
  normWeights: number[];
  missing: string[];
}

/** Checks the predictions' modality names against the expected ones and weighs them. */
export function present(
  names: string[],
  expected: string[] | undefined,
  weightsIn: Record<string, number> | undefined,
  profileName: string | undefined,
  errors: FieldError[],
  at: string,
  example: string,
): Present {
  const K = names.length;
  const add = (path: string, message: string) => void errors.push({ path: joinPath(at, path), message });
  if (K < LIMITS.minModalities) add('predictions', `predictions needs at least one modality, for example ${example}`);
  if (K > LIMITS.maxModalities) add('predictions', `predictions allows at most ${LIMITS.maxModalities} modalities, got ${K}`);
  for (const m of names) {
    if (m === '') add('predictions', 'a modality name must not be empty');
    else if (m.length > LIMITS.maxModalityName) add(`predictions.${m}`, `a modality name must be at most ${LIMITS.maxModalityName} characters`);
    else if (expected && !expected.includes(m))
      add(`predictions.${m}`, `modality "${m}" is not expected${profileName ? ` by profile "${profileName}"` : ''}; expected one of: ${expected.slice(0, 10).join(', ')}`);
  }
  // Plain loops, no closures: this runs on every request.
  const weights: number[] = new Array(K);
  let maxWeight = 0;
  for (let k = 0; k < K; k++) {
    const w = weightsIn?.[names[k]!];
    weights[k] = typeof w === 'number' && Object.hasOwn(weightsIn!, names[k]!) ? w : 1;
    if (weights[k]! > maxWeight) maxWeight = weights[k]!;
  }
  if (K > 0 && !(maxWeight > 0)) add('weights', `at least one present modality (${names.slice(0, 10).join(', ')}) must have a weight > 0`);
  const missing: string[] = [];
  if (expected) for (const m of expected) if (!names.includes(m) && !missing.includes(m)) missing.push(m);
  // Scaling by the largest weight first keeps the sum finite for any finite weights.
  const normWeights: number[] = new Array(K);
  let sum = 0;
  for (let k = 0; k < K; k++) sum += normWeights[k] = weights[k]! / (maxWeight || 1);
  for (let k = 0; k < K; k++) normWeights[k]! /= sum || 1;
  return { names, weights, normWeights, missing };
}

/** Throws 422 when fewer modalities than `minModalities` are present. */
export function checkCount(p: Present, minModalities: number | undefined, at: string): void {
  const min = minModalities ?? 1;
  if (p.names.length >= min) return;
  const lacking = p.missing.length ? `; missing: ${p.missing.join(', ')}` : '';
  throw new InsufficientModalitiesError(`Insufficient modalities: ${min} needed but ${p.names.length} present (${p.names.join(', ')})${lacking}.`, [
    { path: joinPath(at, 'predictions'), message: `send at least ${min} modalities${lacking}` },
  ]);
}

/** The response fields every task shares, in the classification response's order. */
export function tail(id: string | number | undefined, resolved: ResolvedProfile | undefined) {
  const out: { id?: string | number; profile?: { name: string; version: string; stale: boolean } } = {};
  if (id !== undefined) out.id = id;
  if (resolved) out.profile = { name: resolved.profile.name, version: resolved.version ?? 'local', stale: resolved.stale ?? false };
  return out;
}

/** Shares summing to 1; all zero (or not finite) becomes equal shares. */
export function shares(names: string[], support: number[]): Record<string, number> {
  const total = support.reduce((a, b) => a + b, 0);
  const out: Record<string, number> = {};
  names.forEach((m, k) => (out[m] = total > 0 && Number.isFinite(total) ? support[k]! / total : 1 / names.length));
  return out;
}
