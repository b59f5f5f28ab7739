import type { Problem } from './contract.js';

/** A problem object with its extension members (RFC 9457, section 3.2). */
export type ProblemDetails = Problem & { [extension: string]: unknown };

/**
 * Every non-2xx answer. `problem` is the RFC 9457 object the API sent; an answer that is not
 * one (API Gateway's own `{"message": "Forbidden"}`, a proxy's HTML page) becomes one with
 * `type` `about:blank`, the status and the first 500 characters of the body as `detail`.
 */
export class FusionProblemError extends Error {
  override readonly name = 'FusionProblemError';
  /**
   * The RFC 9457 problem object: `type`, `title`, `status`, `detail`, for a 400 `errors`, and any
   * extension member (a 409 `join-closed` carries `outcomeId` and `outcome`).
   */
  readonly problem: ProblemDetails;

  constructor(problem: ProblemDetails) {
    super(`${problem.status} ${problem.title}: ${problem.detail}`);
    this.problem = problem;
  }

  /** The HTTP status, `problem.status`. */
  get status(): number {
    return this.problem.status;
  }
}

/** `join(...).wait()` ran out of time before the join was decided or found insufficient. */
export class FusionTimeoutError extends Error {
  override readonly name = 'FusionTimeoutError';
}

/** The problem carried by an error answer, whatever its body. */
export function toProblem(status: number, statusText: string, text: string): ProblemDetails {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (isProblem(body)) return body;
  const message = body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string' ? (body as { message: string }).message : text;
  return { type: 'about:blank', title: statusText || `HTTP ${status}`, status, detail: message.slice(0, 500) };
}

function isProblem(body: unknown): body is ProblemDetails {
  const p = body as Partial<Problem> | undefined;
  return !!p && typeof p === 'object' && typeof p.type === 'string' && typeof p.status === 'number' && typeof p.title === 'string';
}
