/**
 * What both stores need before reading anything: the rule of a profile's name, its 404, and
 * JSON decoding. Kept apart from validate.ts, whose schemas are built only when a store first
 * checks what it read (`checks.ts`).
 */
import { InvalidRequestError, NotFoundError } from '../fusion/errors.js';

let checksModule: Promise<typeof import('./checks.js')> | undefined;

/**
 * The store's checks (checks.ts), imported once on first use: their schemas are built then, not
 * at init. The promise is kept, so later reads do not go through module resolution again.
 */
export function loadChecks(): Promise<typeof import('./checks.js')> {
  return (checksModule ??= import('./checks.js'));
}

/** A stored profile's name: what `profiles/<name>.json` may hold (the schema's `name` rule). */
export const PROFILE_NAME = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * The 404 for a profile that is not stored. It names the profile and how to list the stored
 * ones, and nothing of the store's contents or location: API callers get it too.
 */
export function profileNotFound(name: string): NotFoundError {
  const shown = JSON.stringify(name.length > 128 ? `${name.slice(0, 128)}...` : name);
  return new NotFoundError(`Profile ${shown} was not found. List the stored profiles with \`npx fusion profiles list\`.`, [
    { path: 'profile', message: 'name a stored profile (`npx fusion profiles list` lists them), or leave "profile" out' },
  ]);
}

/** Parses JSON text; a syntax error (an invalid or corrupt object) names `where`. */
export function decodeJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InvalidRequestError([{ path: '', message: (e as Error).message }], `${where} is not valid JSON: ${(e as Error).message}`);
  }
}
