/**
 * The one place a request's task is decided and non-classification requests are fused. The
 * classification path (`fuse.ts`, `prepare.ts`) is untouched: a request without `task` (or
 * with "classification") goes there exactly as before.
 */
import * as z from 'zod/mini';
import { type FieldError, FusionError, InsufficientModalitiesError, InvalidRequestError } from '../errors.js';
import type { DecisionObserver, FuseLimits } from '../fuse.js';
import { compiled } from '../parse.js';
import { type ProfileLookup, parseWith } from '../prepare.js';
import { LIMITS } from '../schemas.js';
import type { FusionResponse, MultilabelResponse, RegressionResponse } from '../contract.js';
import type { Strategy } from '../strategy.js';
import { objectError } from './common.js';
import { MULTILABEL_RULES, MultilabelItem, MultilabelRequest, decideMultilabel, prepareMultilabel } from './multilabel.js';
import { REGRESSION_RULES, RegressionItem, RegressionRequest, decideRegression, prepareRegression } from './regression.js';
import { TASKS, type Task, tasksOf } from './task.js';

export * from './task.js';
export { profileTask } from './common.js';
import { profileTask } from './common.js';

/** The answer to one request of any task. */
export type AnyResponse = FusionResponse | RegressionResponse | MultilabelResponse;
/** The answer to a batch of any task. */
export interface AnyBatchResponse {
  results: AnyResponse[];
}

/** Each non-classification task's forms, by strategy name. */
export const TASK_RULES = { regression: REGRESSION_RULES, multilabel: MULTILABEL_RULES } as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The `task` a request or batch states, when it states one other than classification. */
export function statedTask(input: unknown): string | undefined {
  return isObject(input) && input.task !== undefined && input.task !== 'classification' ? (input.task as string) : undefined;
}

/**
 * A request's or batch's task: its `task` (a batch's applies to every item), else
 * classification. An unknown task is a 400, and so is a classification request naming a
 * profile (or, in a batch, an item naming one) of another task.
 */
export function taskOf(input: unknown, lookup?: ProfileLookup): Task {
  if (!isObject(input)) return 'classification';
  const given = input.task ?? 'classification';
  if (!(TASKS as readonly unknown[]).includes(given))
    throw new InvalidRequestError([{ path: 'task', message: `task must be one of: ${TASKS.join(', ')} (default classification)` }]);
  if (given === 'classification' && lookup) {
    checkClassificationProfile(input.profile, lookup, 'profile');
    if (Array.isArray(input.items)) input.items.forEach((item, i) => isObject(item) && checkClassificationProfile(item.profile, lookup, `items.${i}.profile`));
  }
  return given as Task;
}

function checkClassificationProfile(ref: unknown, lookup: ProfileLookup, path: string): void {
  if (typeof ref !== 'string') return;
  const own = profileTask(lookup(ref)?.profile);
  if (own !== 'classification')
    throw new InvalidRequestError([{ path, message: `profile "${ref}" is a ${own} profile but the request's task is classification; send "task": "${own}"` }]);
}

/** Profile names a regression or multi-label request or batch refers to (at most `max`, else 400). */
export function taskProfiles(input: unknown, max: number = LIMITS.maxProfilesPerRequest): string[] {
  const names: string[] = [];
  const add = (v: unknown) => typeof v === 'string' && !names.includes(v) && names.push(v);
  if (!isObject(input)) return names;
  add(input.profile);
  if (Array.isArray(input.items)) for (const item of input.items) if (isObject(item)) add(item.profile);
  if (names.length > max)
    throw new InvalidRequestError([
      { path: 'profile', message: `a request may name at most ${max} distinct profiles (FUSION_MAX_PROFILES_PER_REQUEST), this one names ${names.length}; send one batch per profile` },
    ]);
  return names;
}

/** The 400 of a strategy without a form for the task, listing those that have one. */
export function unsupportedTask(strategy: Strategy, task: Task): InvalidRequestError {
  const has = task === 'classification' ? undefined : Object.keys(TASK_RULES[task]);
  const list = has ? `strategies with a ${task} form: ${has.join(', ')}` : 'GET /v1/strategies lists the tasks of each strategy';
  return new InvalidRequestError(
    [{ path: 'task', message: `strategy "${strategy.name}" has no ${task} form (it supports: ${tasksOf(strategy).join(', ')}); ${list}` }],
    `Strategy "${strategy.name}" has no ${task} form; ${list}.`,
  );
}

/** Throws the 400 when `strategy` has no form for `task`. */
export function checkTask(strategy: Strategy, task: Task): void {
  if (!tasksOf(strategy).includes(task)) throw unsupportedTask(strategy, task);
}

/** A batch of `item`s: its fields as defaults, and `items`. */
export const batchShape = (item: z.ZodMiniObject) => ({
  ...item.def.shape,
  items: z
    .array(z.unknown(), { error: 'items must be an array of fusion requests' })
    .check(
      z.minLength(1, 'items needs at least 1 request'),
      z.maxLength(LIMITS.maxBatchItems, `items allows at most ${LIMITS.maxBatchItems} requests; split larger batches or use the S3 batch input`),
    ),
});

// Compiled parsers, as the classification path's: several times faster than the interpreted ones.
const FORMS = {
  regression: { item: compiled(RegressionItem), prepare: prepareRegression, decide: decideRegression },
  multilabel: { item: compiled(MultilabelItem), prepare: prepareMultilabel, decide: decideMultilabel },
} as const;

const BATCHES = {
  regression: z.strictObject(batchShape(RegressionItem), { error: objectError('a batch', [...Object.keys(RegressionItem.def.shape), 'items']) }),
  multilabel: z.strictObject(batchShape(MultilabelItem), { error: objectError('a batch', [...Object.keys(MultilabelItem.def.shape), 'items']) }),
};

// Bytes of an answer beyond its names: keys, punctuation and up to 24 characters per number.
const PER_NUMBER = 32;
const PER_RESPONSE = 240;

/**
 * Throws `response-too-large` (413) when the answer would exceed `maxBytes`, estimated from the
 * labels and modalities of each item (its own, the batch's or its profile's) before any work.
 */
function checkTaskResponseSize(input: unknown, lookup: ProfileLookup | undefined, maxBytes: number = LIMITS.maxResponseBytes): void {
  if (!isObject(input)) return;
  const items = Array.isArray(input.items) ? input.items : [input];
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);
  let total = 0;
  for (const raw of items) {
    const r = isObject(raw) ? raw : {};
    const ref = typeof r.profile === 'string' ? r.profile : typeof input.profile === 'string' ? input.profile : undefined;
    const profile = ref === undefined ? undefined : (lookup?.(ref)?.profile as unknown as { labels?: string[]; modalities?: string[] } | undefined);
    const labels = strings(r.labels ?? input.labels ?? profile?.labels);
    const names = new Set([...Object.keys(isObject(input.predictions) ? input.predictions : {}), ...Object.keys(isObject(r.predictions) ? r.predictions : {})]);
    for (const m of strings(r.modalities ?? input.modalities ?? profile?.modalities)) names.add(m);
    total += PER_RESPONSE + (ref?.length ?? 0);
    for (const l of labels) total += 2 * l.length + PER_NUMBER;
    for (const m of names) total += 2 * m.length + PER_NUMBER;
  }
  if (total > maxBytes)
    throw new FusionError(
      'response-too-large',
      `The answer would be about ${total} bytes, over the limit of ${maxBytes} (FUSION_MAX_RESPONSE_BYTES). ${items.length > 1 ? 'Split the batch into smaller ones, or use the S3 batch input for large jobs' : 'Send fewer labels or modalities'}.`,
    );
}

/** Fuses one request or a batch of a regression or multi-label task. */
export function fuseTask(
  task: 'regression' | 'multilabel',
  strategy: Strategy,
  input: unknown,
  lookup?: ProfileLookup,
  limits: FuseLimits = {},
  observe?: DecisionObserver,
): AnyResponse | AnyBatchResponse {
  taskProfiles(input, limits.maxProfiles);
  checkTaskResponseSize(input, lookup, limits.maxResponseBytes);
  checkTask(strategy, task);
  const form = FORMS[task] as unknown as {
    item: z.ZodMiniType<Record<string, unknown>>;
    prepare: (req: unknown, lookup?: ProfileLookup, defaults?: unknown, at?: string) => unknown;
    decide: (name: string, rule: unknown, p: unknown) => AnyResponse;
  };
  const rule = TASK_RULES[task][strategy.name]!;
  const answer = (p: unknown) => {
    const r = form.decide(strategy.name, rule, p);
    observe?.(p as Parameters<DecisionObserver>[0], r);
    return r;
  };
  if (!(isObject(input) && 'items' in input)) return answer(form.prepare(parseWith(form.item, input), lookup));
  const { items, ...defaults } = parseWith(BATCHES[task] as z.ZodMiniType<{ items: unknown[] }>, input);
  const prepared: unknown[] = [];
  const failures: FusionError[] = [];
  items.forEach((item, i) => {
    try {
      prepared.push(form.prepare(parseWith(form.item, item, `items.${i}`), lookup, defaults, `items.${i}`));
    } catch (e) {
      if (!(e instanceof FusionError)) throw e;
      failures.push(e);
    }
  });
  if (failures.length) {
    const errors: FieldError[] = failures.flatMap((e) => e.errors);
    if (failures.some((e) => e instanceof InvalidRequestError)) throw new InvalidRequestError(errors);
    const first = failures[0]!;
    if (first instanceof InsufficientModalitiesError) throw new InsufficientModalitiesError(first.message, errors);
    throw first;
  }
  if (!observe) return { results: prepared.map((p) => form.decide(strategy.name, rule, p)) };
  const results = prepared.map((p) => form.decide(strategy.name, rule, p));
  prepared.forEach((p, i) => observe(p as Parameters<DecisionObserver>[0], results[i]!));
  return { results };
}

export { RegressionRequest, MultilabelRequest };
export type { MultilabelResponse, RegressionResponse } from '../contract.js';
export { RegressionPrediction } from './regression.js';
export { MultilabelPrediction } from './multilabel.js';

