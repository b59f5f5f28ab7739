import { InvalidRequestError, joinPath } from '../errors.js';
import type { ResolvedProfile } from '../prepare.js';

/**
 * The resolved profile and its raw model artifact for the learned strategy, or a 400 saying how
 * to get one (`kind` is the `fusion train --model` kind to suggest).
 */
export function profileModel(resolved: ResolvedProfile | undefined, kind: string, at = ''): ResolvedProfile & { model: unknown } {
  if (!resolved)
    throw new InvalidRequestError([{ path: joinPath(at, 'profile'), message: 'the learned strategy needs a profile with a trained model: name it with "profile": "<name>"' }]);
  if (resolved.model === undefined)
    throw new InvalidRequestError([
      { path: joinPath(at, 'profile'), message: `profile "${resolved.profile.name}" has no learned model; train one (fusion train --model ${kind}) and set the profile's "model": {"key": "<artifact key>"}` },
    ]);
  return resolved as ResolvedProfile & { model: unknown };
}

/** `compile(raw)` once per artifact object: stores hand the same parsed object to every request. */
export function compiledOnce<M>(cache: WeakMap<object, M>, raw: unknown, compile: (raw: unknown) => M): M {
  const key = typeof raw === 'object' && raw !== null ? raw : undefined;
  let model = key && cache.get(key);
  if (!model) {
    model = compile(raw);
    if (key) cache.set(key, model);
  }
  return model;
}
