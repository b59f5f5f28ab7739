/**
 * Parsing a request or batch completely before any work: every schema problem of every item is
 * collected at once, the profiles it names are bounded, and the size of the answer is known
 * before a single distribution is computed.
 */
import * as z from 'zod/mini';
import { type FieldError, FusionError, InvalidRequestError, type IssueLike, fieldErrors, joinPath } from './errors.js';
import type { ProfileLookup } from './prepare.js';
import { FusionBatch, FusionRequest, LIMITS } from './schemas.js';

const parseRequest = z.compile(FusionRequest);
const parseBatch = z.compile(FusionBatch);

/** A request or batch that passed the schema, or did after its invalid parts were set aside. */
export interface Parsed {
  batch: boolean;
  /** The single request, or the batch's defaults. */
  request: FusionRequest;
  /** The batch's items (undefined where an item could not be read at all). */
  items?: (FusionRequest | undefined)[];
  /** Schema problems found; when any, the request is answered 400 after the remaining checks. */
  errors: FieldError[];
  /** Paths of the parts set aside, so later checks do not report what is merely absent. */
  removed: string[];
}

/** Whether a parsed JSON value is a batch (`{"items": [...]}`). */
export function isBatch(input: unknown): input is { items: unknown } {
  return typeof input === 'object' && input !== null && !Array.isArray(input) && 'items' in input;
}

/**
 * Parses a single request or a batch. Throws at once only when nothing further can be checked
 * (the body is not an object, or `items` is not a list of at most 1,000); otherwise every
 * schema problem is in `errors` and the parts that caused them are left out of the result.
 */
export function parseInput(input: unknown): Parsed {
  if (!isBatch(input)) {
    const one = lenient(parseRequest, input, '');
    if (!one.value) throw new InvalidRequestError(one.errors);
    return { batch: false, request: one.value, errors: one.errors, removed: one.removed };
  }
  const envelope = lenient(parseBatch, input, '');
  if (!envelope.value || envelope.errors.some((e) => e.path === 'items' || e.path.startsWith('items.'))) throw new InvalidRequestError(envelope.errors);
  const { items: raw, ...defaults } = envelope.value;
  const errors = envelope.errors;
  const removed = envelope.removed;
  const items = raw.map((item, i) => {
    const r = lenient(parseRequest, item, `items.${i}`);
    errors.push(...r.errors);
    removed.push(...r.removed);
    return r.value;
  });
  return { batch: true, request: defaults, items, errors, removed };
}

/** Distinct profile names a parsed request refers to, at most `max` of them (else 400). */
export function profilesOf(parsed: Parsed, max: number = LIMITS.maxProfilesPerRequest): string[] {
  const names: string[] = [];
  const add = (name: string | undefined) => name !== undefined && !names.includes(name) && names.push(name);
  add(parsed.request.profile);
  if (parsed.items) for (const item of parsed.items) add(item?.profile);
  if (names.length > max)
    throw new InvalidRequestError([
      ...parsed.errors,
      { path: 'profile', message: `a request may name at most ${max} distinct profiles (FUSION_MAX_PROFILES_PER_REQUEST), this one names ${names.length}; send one batch per profile` },
    ]);
  return names;
}

// Bytes of a response beyond its names: keys, punctuation and up to 24 characters per number.
const PER_NUMBER = 32;
const PER_RESPONSE = 240;

/**
 * Throws `response-too-large` (413) when the answer would exceed `maxBytes`, estimated from the
 * classes and modalities every item ends up with (its own, the batch's or its profile's),
 * before any work is done. The work itself (items × classes × modalities) is bounded with it.
 */
export function checkResponseSize(parsed: Parsed, lookup: ProfileLookup | undefined, maxBytes: number = LIMITS.maxResponseBytes): void {
  const base = parsed.items ? parsed.request : {};
  const requests = parsed.items ?? [parsed.request];
  let total = 0;
  let largest = 0;
  for (const r of requests) {
    if (!r) continue;
    const name = r.profile ?? base.profile;
    const profile = name === undefined ? undefined : lookup?.(name)?.profile;
    const modalities = new Set([...Object.keys(base.predictions ?? {}), ...Object.keys(r.predictions ?? {})]);
    for (const m of r.modalities ?? base.modalities ?? profile?.modalities ?? []) modalities.add(m);
    let bytes = PER_RESPONSE + (name?.length ?? 0);
    for (const c of r.classes ?? base.classes ?? profile?.classes ?? []) bytes += c.length + PER_NUMBER;
    // Each modality appears in `used` or `missing`, and in `contributions` (and `effectiveWeights` when adaptive).
    const times = (r.options?.adaptiveWeights ?? base.options?.adaptiveWeights ?? profile?.adaptiveWeights) ? 3 : 2;
    for (const m of modalities) bytes += times * m.length + (times - 1) * PER_NUMBER;
    total += bytes;
    if (bytes > largest) largest = bytes;
  }
  if (total <= maxBytes) return;
  const split = parsed.items
    ? `Split the batch into requests of at most ${Math.max(1, Math.floor(maxBytes / largest))} items, or use the S3 batch input for large jobs`
    : 'Send fewer classes or modalities';
  throw new FusionError('response-too-large', `The answer would be about ${total} bytes, over the limit of ${maxBytes} (FUSION_MAX_RESPONSE_BYTES). ${split}.`);
}

interface Lenient<T> {
  value?: T;
  errors: FieldError[];
  removed: string[];
}

/**
 * Parses with `schema`; on failure, parses once more with the offending fields removed, so the
 * checks that come after the schema can still report their own problems in the same answer.
 */
function lenient<T>(schema: z.ZodMiniType<T>, input: unknown, at: string): Lenient<T> {
  const r = schema.safeParse(input);
  if (r.success) return { value: r.data, errors: [], removed: [] };
  const errors = fieldErrors(r.error.issues, at);
  const removed: string[] = [];
  const stripped = strip(input, r.error.issues, removed);
  if (!stripped) return { errors, removed };
  const again = schema.safeParse(stripped);
  return again.success ? { value: again.data, errors, removed: removed.map((p) => joinPath(at, p)) } : { errors, removed };
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** How deep a problem's path is cut: a whole prediction, weight or option goes, never half of one. */
function depth(path: readonly PropertyKey[]): number {
  if (path[0] === 'predictions' || path[0] === 'weights') return 2;
  if (path[0] === 'options') return path[1] === 'temperatures' ? 3 : 2;
  return 1;
}

/** A copy of `input` without the parts the issues point at (copying only along those paths). */
function strip(input: unknown, issues: ReadonlyArray<IssueLike>, removed: string[]): Json | undefined {
  if (!isObject(input)) return undefined;
  const root: Json = { ...input };
  for (const issue of issues) {
    const paths = issue.code === 'unrecognized_keys' && issue.keys ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
    for (const path of paths) {
      const cut = path.slice(0, Math.min(path.length, depth(path)));
      if (cut.length === 0 || !remove(root, cut)) return undefined;
      removed.push(cut.map(String).join('.'));
    }
  }
  return root;
}

function remove(root: Json, path: readonly PropertyKey[]): boolean {
  let node = root;
  for (let i = 0; i < path.length - 1; i++) {
    const key = String(path[i]);
    const child = node[key];
    if (!isObject(child)) return false;
    node = node[key] = { ...child };
  }
  delete node[String(path[path.length - 1])];
  return true;
}
