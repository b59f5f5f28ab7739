import { FusionError } from './errors.js';
import type { Problem } from './schemas.js';

const TYPES: Record<string, { status: number; title: string }> = {
  'invalid-json': { status: 400, title: 'Body is not valid JSON' },
  'invalid-request': { status: 400, title: 'Invalid fusion request' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  'payload-too-large': { status: 413, title: 'Payload too large' },
  'response-too-large': { status: 413, title: 'Response too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'insufficient-modalities': { status: 422, title: 'Insufficient modalities' },
  'total-conflict': { status: 422, title: 'Total conflict' },
  unavailable: { status: 503, title: 'Service unavailable' },
  internal: { status: 500, title: 'Internal error' },
};

/** Base of the `type` URI of every problem object (RFC 9457). */
export const PROBLEM_BASE = 'urn:problem:late-fusion:';

/** Caps that keep a problem object proportionate to the request, whatever the request holds. */
export const PROBLEM_LIMITS = { maxErrors: 20, maxMessage: 500, maxPath: 300 } as const;

/** `text` cut to `max` characters, marked with an ellipsis when cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * Builds an RFC 9457 problem object for a problem code. At most 20 field errors are listed
 * (`errorsTruncated` counts the rest) and every message and path is clipped, so the answer to
 * a request with 20,000 mistakes is as small as the answer to one with 21.
 */
export function problem(code: string, detail: string, errors?: Problem['errors']): Problem {
  const t = TYPES[code] ?? TYPES.internal!;
  const out: Problem = { type: PROBLEM_BASE + (TYPES[code] ? code : 'internal'), title: t.title, status: t.status, detail: clip(detail, PROBLEM_LIMITS.maxMessage) };
  if (errors?.length) {
    const { maxErrors, maxMessage, maxPath } = PROBLEM_LIMITS;
    out.errors = errors.slice(0, maxErrors).map((e) => ({ path: clip(e.path, maxPath), message: clip(e.message, maxMessage) }));
    if (errors.length > maxErrors) out.errorsTruncated = errors.length - maxErrors;
  }
  return out;
}

/**
 * Maps any thrown value to a problem. Only `FusionError`s expose their message; anything else
 * is a bug and callers see a generic 500 without internals.
 */
export function toProblem(err: unknown): Problem {
  if (err instanceof FusionError) return problem(err.code, err.message, err.errors);
  return problem('internal', 'An internal error occurred. It has been logged; please report it with the request id.');
}
