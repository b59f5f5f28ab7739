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

function describe(errors: FieldError[]): string {
  if (errors.length === 0) return 'The request is invalid.';
  const first = errors[0]!;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return `${first.path ? `${first.path}: ` : ''}${first.message}${more}`;
}

/** Converts zod issues into field errors with dotted paths (`predictions.text.probabilities.1`). */
export function fieldErrors(
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>,
  prefix = '',
): FieldError[] {
  return issues.map((i) => ({ path: joinPath(prefix, i.path.map(String).join('.')), message: i.message }));
}

export function joinPath(prefix: string, path: string): string {
  return prefix && path ? `${prefix}.${path}` : prefix || path;
}
