import * as z from 'zod/mini';
import { f64 } from './buffers.js';
import { argmax } from './calibrate.js';
import { calibrate } from './calibration/apply.js';
import { classIndex, distribution, preview } from './distribution.js';
import { type FieldError, InsufficientModalitiesError, InvalidRequestError, NotFoundError, fieldErrors, joinPath } from './errors.js';
import { type FusionRequest, LIMITS, type Prediction, type Profile } from './schemas.js';

/** A profile as a store hands it over, with where it came from. */
export interface ResolvedProfile {
  profile: Profile;
  version?: string;
  stale?: boolean;
  /** The learned fusion model the profile points to, already loaded. */
  model?: unknown;
  /** The models of the profile's `shadow` entries, by index (undefined where a shadow names none). */
  shadowModels?: (VariantModelLoad | undefined)[];
  /** The model of the profile's `canary`. */
  canaryModel?: VariantModelLoad;
}

/** A shadow's or canary's model as the store loaded it, or why it could not. */
export type VariantModelLoad = { model: unknown } | { error: string };

/** Looks up a profile referenced by name (already loaded by the adapter). */
export type ProfileLookup = (name: string) => ResolvedProfile | undefined;

/** A validated request, calibrated and ready for a rule: plain arrays, no more checks needed. */
export interface Prepared {
  id?: string | number;
  classes: string[];
  /** Present modalities, in request order. */
  modalities: string[];
  /** Calibrated distribution of each present modality. */
  dists: Float64Array[];
  // The per-modality numbers below are plain arrays: a handful of numbers each, which V8
  // allocates several times faster than typed-array views.
  /** Raw weights (default 1) of each present modality. */
  weights: number[];
  /** Weights renormalised to sum 1 over present modalities. */
  normWeights: number[];
  /** Given confidence, else max probability. */
  confidences: number[];
  /** Class index each modality votes for: its label, else its argmax. */
  votesFor: number[];
  missing: string[];
  priors?: Float64Array;
  mode: 'hard' | 'confidence';
  tieBreak: 'first' | 'average';
  epsilon: number;
  profile?: ResolvedProfile;
  /** The raw predictions, for strategies that need more than distributions. */
  predictions: Record<string, Prediction>;
  /** `options.adaptiveWeights`, applied by the strategies that list it (see `adaptive.ts`). */
  adaptive?: 'entropy';
  /** The weights after adaptation, before normalisation (set by `adapt`). */
  effectiveWeights?: number[];
  /** `options.combination` of dempster-shafer (default "dempster"). */
  combination?: 'dempster' | 'yager';
  /** Things the request says that had no effect (a weight for a modality nobody sent, say). */
  warnings?: FieldError[];
}

type Layer = Omit<FusionRequest, 'id' | 'profile'>;
type Options = NonNullable<Layer['options']>;

/** Layers a request over defaults: record fields (predictions, weights, options, temperatures) merge per key, the rest is replaced. */
export function overlay(base: Layer, top: Layer): Layer {
  return {
    classes: top.classes ?? base.classes,
    modalities: top.modalities ?? base.modalities,
    predictions: merge(base.predictions, top.predictions),
    weights: merge(base.weights, top.weights),
    options: mergeOptions(base.options, top.options),
  };
}

function merge<T extends object>(base: T | undefined, top: T | undefined): T | undefined {
  return base && top ? { ...base, ...top } : (top ?? base);
}

function mergeOptions(base: Options | undefined, top: Options | undefined): Options | undefined {
  if (!base || !top) return top ?? base;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(top)) if (value !== undefined) out[key] = value;
  const temperatures = merge(base.temperatures, top.temperatures);
  if (temperatures) out.temperatures = temperatures;
  return out as Options;
}

/** A profile seen as the lowest layer of defaults. */
export function profileLayer(p: Profile): Layer {
  const options: Options = {};
  if (p.temperatures) options.temperatures = p.temperatures;
  if (p.priors) options.priors = p.priors;
  if (p.mode) options.mode = p.mode;
  if (p.minModalities) options.minModalities = p.minModalities;
  if (p.tieBreak) options.tieBreak = p.tieBreak;
  if (p.epsilon) options.epsilon = p.epsilon;
  if (p.combination) options.combination = p.combination;
  if (p.adaptiveWeights) options.adaptiveWeights = p.adaptiveWeights;
  return { classes: p.classes, modalities: p.modalities, ...(p.weights ? { weights: p.weights } : {}), options };
}

const hasOwn = Object.hasOwn;
const NO_OPTIONS: Options = Object.freeze({});

/** A number the map holds for `key` as its own, else `fallback` (inherited members are never numbers). */
function own(map: Record<string, number> | undefined, key: string, fallback: number): number {
  const v = map?.[key];
  return typeof v === 'number' ? v : fallback;
}

/**
 * Validates a parsed request against itself, its profile and batch defaults, and calibrates it.
 * `at` prefixes every error path (`items.3` inside a batch).
 */
export function prepare(req: FusionRequest, lookup?: ProfileLookup, defaults?: FusionRequest, at = ''): Prepared {
  const errors: FieldError[] = [];
  const profileRef = req.profile ?? defaults?.profile;
  let resolved: ResolvedProfile | undefined;
  if (profileRef !== undefined) {
    resolved = lookup?.(profileRef);
    if (!resolved) throw new NotFoundError(`Profile "${profileRef}" was not found.`, [{ path: joinPath(at, 'profile'), message: `no profile named "${profileRef}"` }]);
  }
  // The common case (no profile, no batch defaults) reads the request as it is, without copies.
  let merged: Layer = req;
  if (resolved || defaults) {
    merged = resolved ? profileLayer(resolved.profile) : {};
    if (defaults) merged = overlay(merged, defaults);
    merged = overlay(merged, req);
  }

  const classes = merged.classes;
  if (!classes) {
    add(errors, at, 'classes', 'classes is required (or name a profile that defines them), for example ["negative", "positive"]');
    throw new InvalidRequestError(errors);
  }
  if (resolved) {
    const own = resolved.profile.classes;
    const expect = `must equal profile "${resolved.profile.name}"'s classes [${preview(own)}], or be left out`;
    if (defaults?.classes && !sameList(defaults.classes, own)) errors.push({ path: 'classes', message: `the batch's classes ${expect}` });
    if (req.classes && !sameList(req.classes, own)) add(errors, at, 'classes', `classes ${expect}`);
  }
  const C = classes.length;
  checkClasses(classes, errors, at);

  const predictions = merged.predictions ?? {};
  const names = Object.keys(predictions);
  const K = names.length;
  if (K < LIMITS.minModalities) add(errors, at, 'predictions', 'predictions needs at least one modality, for example {"text": {"probabilities": [0.2, 0.8]}}');
  if (K > LIMITS.maxModalities) add(errors, at, 'predictions', `predictions allows at most ${LIMITS.maxModalities} modalities, got ${K}`);
  for (const m of names) {
    if (m === '') add(errors, at, 'predictions', 'a modality name must not be empty');
    else if (m.length > LIMITS.maxModalityName) add(errors, at, `predictions.${m}`, `a modality name must be at most ${LIMITS.maxModalityName} characters`);
  }
  const expected = merged.modalities;
  if (expected) {
    for (const m of names)
      if (!expected.includes(m))
        add(errors, at, `predictions.${m}`, `modality "${m}" is not expected${resolved ? ` by profile "${resolved.profile.name}"` : ''}; expected one of: ${preview(expected)}`);
  }

  const opts = merged.options ?? NO_OPTIONS;
  const temps = opts.temperatures;
  const weightsIn = merged.weights;
  const calibration = resolved?.profile.calibration;
  const warnings = checkKeys(req, defaults, resolved, names, expected, errors, at);
  if (resolved?.profile.minModalities) {
    const floor = resolved.profile.minModalities;
    for (const [layer, where] of [[defaults, ''], [req, at]] as const) {
      const asked = layer?.options?.minModalities;
      if (asked !== undefined && asked < floor)
        add(errors, where, 'options.minModalities', `profile "${resolved.profile.name}" requires at least ${floor} modalities; a request may raise minModalities but not lower it`);
    }
  }
  const dists: Float64Array[] = new Array(K);
  const weights: number[] = new Array(K);
  const confidences: number[] = new Array(K);
  const votesFor: number[] = new Array(K);
  let maxWeight = 0;
  for (let k = 0; k < K; k++) {
    const m = names[k]!;
    const pred = predictions[m]!;
    const t = own(temps, m, 1);
    const d = distribution(pred, classes, t, errors, at, m) ?? f64(C);
    if (calibration && hasOwn(calibration, m)) calibrate(calibration[m]!, d, errors, `profile.calibration.${m}`);
    dists[k] = d;
    const label = pred.label === undefined ? -1 : classIndex(classes, pred.label);
    const best = argmax(d);
    votesFor[k] = label >= 0 ? label : best;
    confidences[k] = pred.confidence ?? d[best]!;
    const w = own(weightsIn, m, 1);
    weights[k] = w;
    if (w > maxWeight) maxWeight = w;
  }
  if (K > 0 && !(maxWeight > 0)) add(errors, at, 'weights', `at least one present modality (${preview(names)}) must have a weight > 0`);

  let priors: Float64Array | undefined;
  if (opts.priors) {
    if (opts.priors.length !== C) add(errors, at, 'options.priors', `priors has ${opts.priors.length} values but there are ${C} classes; give one prior per class, in the order of classes`);
    else priors = Float64Array.from(opts.priors);
  }
  if (errors.length) throw new InvalidRequestError(errors);

  const missing: string[] = [];
  if (expected) for (const m of expected) if (!hasOwn(predictions, m) && !missing.includes(m)) missing.push(m);
  const minModalities = opts.minModalities ?? 1;
  if (K < minModalities) {
    const lacking = missing.length ? `; missing: ${missing.join(', ')}` : '';
    throw new InsufficientModalitiesError(`Insufficient modalities: ${minModalities} needed but ${K} present (${names.join(', ')})${lacking}.`, [
      { path: joinPath(at, 'predictions'), message: `send at least ${minModalities} modalities${lacking}` },
    ]);
  }

  // Scaling by the largest weight first keeps the sum finite for any finite weights.
  const normWeights: number[] = new Array(K);
  let scaledSum = 0;
  for (let k = 0; k < K; k++) scaledSum += normWeights[k] = weights[k]! / maxWeight;
  for (let k = 0; k < K; k++) normWeights[k]! /= scaledSum;
  const out: Prepared = {
    classes, modalities: names, dists, weights, normWeights, confidences, votesFor, missing,
    mode: opts.mode ?? 'hard', tieBreak: opts.tieBreak ?? 'first', epsilon: opts.epsilon ?? 1e-12, predictions,
  };
  if (priors) out.priors = priors;
  if (opts.adaptiveWeights) out.adaptive = opts.adaptiveWeights;
  if (opts.combination) out.combination = opts.combination;
  if (warnings.length) out.warnings = warnings;
  if (resolved) out.profile = resolved;
  if (req.id !== undefined) out.id = req.id;
  return out;
}

const NO_WARNINGS: FieldError[] = [];

/**
 * Weights and temperatures keyed by a modality the request cannot mean. With a profile, a key
 * that names none of its modalities is an error (a misspelt key would otherwise be ignored);
 * without one, a key naming neither a sent nor an expected modality is returned as a warning.
 */
function checkKeys(req: FusionRequest, defaults: FusionRequest | undefined, resolved: ResolvedProfile | undefined, names: string[], expected: string[] | undefined, errors: FieldError[], at: string): FieldError[] {
  let warnings = NO_WARNINGS;
  for (const [layer, where] of [[defaults, ''], [req, at]] as const) {
    if (!layer) continue;
    for (const [field, map] of [['weights', layer.weights], ['options.temperatures', layer.options?.temperatures]] as const) {
      if (!map) continue;
      for (const key in map) {
        if (resolved) {
          if (!resolved.profile.modalities.includes(key))
            add(errors, where, `${field}.${key}`, `"${preview([key])}" is not a modality of profile "${resolved.profile.name}"; its modalities are: ${preview(resolved.profile.modalities)}`);
        } else if (!names.includes(key) && !expected?.includes(key)) {
          if (warnings === NO_WARNINGS) warnings = [];
          if (warnings.length < 20) warnings.push({ path: joinPath(where, `${field}.${key}`), message: `no modality "${preview([key])}" was sent or expected, so this value had no effect` });
        }
      }
    }
  }
  return warnings;
}

function add(errors: FieldError[], at: string, path: string, message: string): void {
  errors.push({ path: joinPath(at, path), message });
}

// The last class list found valid: requests of one service repeat it, so most checks are a comparison.
let checked: string[] = [];

/** Class names must be distinct; `__proto__` cannot be a key of the response's probabilities. */
function checkClasses(classes: string[], errors: FieldError[], at: string): void {
  if (sameList(classes, checked)) return;
  const before = errors.length;
  const C = classes.length;
  const seen = C > 16 ? new Set<string>() : undefined;
  for (let c = 0; c < C; c++) {
    const name = classes[c]!;
    if (name === '__proto__') add(errors, at, `classes.${c}`, 'the class name "__proto__" is reserved; rename the class');
    const dup = seen ? seen.has(name) : classes.indexOf(name) < c;
    if (dup) add(errors, at, `classes.${c}`, `class "${name}" appears more than once; class names must be distinct`);
    seen?.add(name);
  }
  if (errors.length === before) checked = classes.slice();
}

function sameList(a: string[], b: string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Parses `input` with `schema`, throwing an `InvalidRequestError` that lists every field. */
export function parseWith<T>(schema: z.ZodMiniType<T>, input: unknown, at = ''): T {
  const r = schema.safeParse(input);
  if (!r.success) throw new InvalidRequestError(fieldErrors(r.error.issues, at));
  return r.data;
}
