/** One field-level problem: where (dotted path) and how to fix it. */
export interface FieldError {
  path: string;
  message: string;
}

/** Base of every error the core raises on purpose. `code` picks the problem type and status. */
export class FusionError extends Error {
  readonly code: string;
  readonly errors: FieldError[];
  constructor(code: string, message: string, errors: FieldError[] = [], options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FusionError';
    this.code = code;
    this.errors = errors;
  }
}

/** The input does not follow the contract; `errors` lists every field and how to fix it. */
export class InvalidRequestError extends FusionError {
  constructor(errors: FieldError[], message = describe(errors)) {
    super('invalid-request', message, errors);
    this.name = 'InvalidRequestError';
  }
}

/** Fewer modalities present than `minModalities`. */
export class InsufficientModalitiesError extends FusionError {
  constructor(message: string, errors: FieldError[]) {
    super('insufficient-modalities', message, errors);
    this.name = 'InsufficientModalitiesError';
  }
}

/** A strategy, profile or model that does not exist. */
export class NotFoundError extends FusionError {
  constructor(message: string, errors: FieldError[] = []) {
    super('not-found', message, errors);
    this.name = 'NotFoundError';
  }
}

/** A needed stored object (profile, model) cannot be loaded and nothing good is cached. */
export class UnavailableError extends FusionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('unavailable', message, [], options);
    this.name = 'UnavailableError';
  }
}

/** A stored model whose answer is not a finite distribution: the model is at fault, not the request. */
export class ModelFailureError extends UnavailableError {
  constructor(message: string) {
    super(message);
    this.name = 'ModelFailureError';
  }
}

function describe(errors: FieldError[]): string {
  if (errors.length === 0) return 'The request is invalid.';
  const first = errors[0]!;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return `${first.path ? `${first.path}: ` : ''}${first.message}${more}`;
}

/** The parts of a zod issue that `fieldErrors` reads. */
export interface IssueLike {
  readonly path: ReadonlyArray<PropertyKey>;
  readonly message: string;
  readonly code?: string;
  readonly keys?: readonly string[];
  readonly errors?: ReadonlyArray<ReadonlyArray<IssueLike>>;
  readonly issues?: ReadonlyArray<IssueLike>;
}

/**
 * Converts zod issues into field errors with dotted paths (`predictions.text.probabilities.1`).
 * An unknown field is reported at its own path; a union whose value had the right type for
 * exactly one branch reports that branch's issues (the precise ones) instead of "no match".
 */
export function fieldErrors(issues: ReadonlyArray<IssueLike>, prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of issues) collect(issue, prefix, out);
  return out;
}

function collect(issue: IssueLike, prefix: string, out: FieldError[]): void {
  const path = joinPath(prefix, issue.path.map(String).join('.'));
  if (issue.code === 'unrecognized_keys' && issue.keys?.length) {
    for (const key of issue.keys) out.push({ path: joinPath(path, key), message: `unknown field "${key}"; ${issue.message}` });
    return;
  }
  if (issue.code === 'invalid_union' && issue.errors) {
    const typed = issue.errors.filter((branch) => !branch.some((i) => i.path.length === 0 && i.code === 'invalid_type'));
    if (typed.length === 1) {
      for (const i of typed[0]!) collect(i, path, out);
      return;
    }
  }
  if (issue.code === 'invalid_key' && issue.issues?.[0]) {
    out.push({ path, message: issue.issues[0].message });
    return;
  }
  out.push({ path, message: issue.message });
}

/** Joins two dotted paths, either of which may be empty. */
export function joinPath(prefix: string, path: string): string {
  return prefix && path ? `${prefix}.${path}` : prefix || path;
}
