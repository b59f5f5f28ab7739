import { z } from 'zod';
import { argmax, softmax, temper } from './calibrate.js';
import { type FieldError, InsufficientModalitiesError, InvalidRequestError, NotFoundError, fieldErrors } from './errors.js';
import { type FusionRequest, LIMITS, type Prediction, type Profile } from './schemas.js';

/** A profile as a store hands it over, with where it came from. */
export interface ResolvedProfile {
  profile: Profile;
  version?: string;
  stale?: boolean;
  /** The learned fusion model the profile points to, already loaded. */
  model?: unknown;
}

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
  /** Raw weights (default 1) of each present modality. */
  weights: Float64Array;
  /** Weights renormalised to sum 1 over present modalities. */
  normWeights: Float64Array;
  /** Given confidence, else max probability. */
  confidences: Float64Array;
  /** Class index each modality votes for: its label, else its argmax. */
  votesFor: Int32Array;
  missing: string[];
  priors?: Float64Array;
  mode: 'hard' | 'confidence';
  tieBreak: 'first' | 'average';
  epsilon: number;
  profile?: ResolvedProfile;
  /** The raw predictions, for strategies that need more than distributions. */
  predictions: Record<string, Prediction>;
}

type Layer = Omit<FusionRequest, 'id' | 'profile'>;

/** Layers a request over defaults: record fields merge per key, the rest is replaced. */
export function overlay(base: Layer, top: Layer): Layer {
  const out: Layer = { ...base, ...top };
  if (base.predictions && top.predictions) out.predictions = { ...base.predictions, ...top.predictions };
  if (base.weights && top.weights) out.weights = { ...base.weights, ...top.weights };
  if (base.options && top.options) {
    out.options = { ...base.options, ...top.options };
    if (base.options.temperatures && top.options.temperatures)
      out.options.temperatures = { ...base.options.temperatures, ...top.options.temperatures };
  }
  return out;
}

/** A profile seen as the lowest layer of defaults. */
export function profileLayer(p: Profile): Layer {
  const options: NonNullable<Layer['options']> = {};
  if (p.temperatures) options.temperatures = p.temperatures;
  if (p.priors) options.priors = p.priors;
  if (p.mode) options.mode = p.mode;
  if (p.minModalities) options.minModalities = p.minModalities;
  if (p.tieBreak) options.tieBreak = p.tieBreak;
  if (p.epsilon) options.epsilon = p.epsilon;
  return { classes: p.classes, modalities: p.modalities, ...(p.weights ? { weights: p.weights } : {}), options };
}

/** Validates a parsed request against itself, its profile and batch defaults, and calibrates it. */
export function prepare(req: FusionRequest, lookup?: ProfileLookup, defaults?: FusionRequest, at = ''): Prepared {
  const errors: FieldError[] = [];
  const err = (path: string, message: string) => errors.push({ path: at ? (path ? `${at}.${path}` : at) : path, message });

  const profileRef = req.profile ?? defaults?.profile;
  let resolved: ResolvedProfile | undefined;
  if (profileRef !== undefined) {
    resolved = lookup?.(profileRef);
    if (!resolved) throw new NotFoundError(`Profile "${profileRef}" was not found.`, [{ path: at ? `${at}.profile` : 'profile', message: `no profile named "${profileRef}"` }]);
  }
  let merged: Layer = resolved ? profileLayer(resolved.profile) : {};
  if (defaults) merged = overlay(merged, defaults);
  merged = overlay(merged, req);

  const classes = merged.classes;
  if (!classes) {
    err('classes', 'classes is required (or name a profile that defines them), for example ["negative", "positive"]');
    throw new InvalidRequestError(errors);
  }
  if (resolved) {
    for (const [layer, where] of [[defaults?.classes, 'classes (batch default)'], [req.classes, 'classes']] as const) {
      if (layer && !sameList(layer, resolved.profile.classes))
        err(where === 'classes' ? 'classes' : '', `${where} must equal profile "${resolved.profile.name}"'s classes [${resolved.profile.classes.join(', ')}], or be left out`);
    }
  }
  const C = classes.length;
  const index = new Map<string, number>();
  for (let c = 0; c < C; c++) {
    if (index.has(classes[c]!)) err(`classes.${c}`, `class "${classes[c]}" appears more than once; class names must be distinct`);
    else index.set(classes[c]!, c);
  }

  const predictions = merged.predictions ?? {};
  const names = Object.keys(predictions);
  if (names.length < LIMITS.minModalities) err('predictions', 'predictions needs at least one modality, for example {"text": {"probabilities": [0.2, 0.8]}}');
  if (names.length > LIMITS.maxModalities) err('predictions', `predictions allows at most ${LIMITS.maxModalities} modalities, got ${names.length}`);
  const expected = merged.modalities;
  if (expected) {
    const known = new Set(expected);
    for (const m of names)
      if (!known.has(m)) err(`predictions.${m}`, `modality "${m}" is not expected${resolved ? ` by profile "${resolved.profile.name}"` : ''}; expected one of: ${expected.join(', ')}`);
  }

  const opts = merged.options ?? {};
  const temps = opts.temperatures ?? {};
  const weightsIn = merged.weights ?? {};
  const K = names.length;
  const dists: Float64Array[] = new Array(K);
  const weights = new Float64Array(K);
  const confidences = new Float64Array(K);
  const votesFor = new Int32Array(K);
  let weightSum = 0;
  for (let k = 0; k < K; k++) {
    const m = names[k]!;
    const d = distribution(predictions[m]!, classes, index, (msg, sub = '') => err(`predictions.${m}${sub}`, msg));
    const t = temps[m];
    dists[k] = d && t !== undefined ? temper(d, t) : (d ?? new Float64Array(C));
    const pred = predictions[m]!;
    confidences[k] = pred.confidence ?? (d ? dists[k]![argmax(dists[k]!)]! : 0);
    votesFor[k] = pred.label !== undefined ? (index.get(pred.label) ?? 0) : argmax(dists[k]!);
    const w = weightsIn[m] ?? 1;
    weights[k] = w;
    weightSum += w;
  }
  if (K > 0 && weightSum <= 0) err('weights', `at least one present modality (${names.join(', ')}) must have a weight > 0`);

  let priors: Float64Array | undefined;
  if (opts.priors) {
    if (opts.priors.length !== C) err('options.priors', `priors has ${opts.priors.length} values but there are ${C} classes; give one prior per class, in the order of classes`);
    else priors = Float64Array.from(opts.priors);
  }
  if (errors.length) throw new InvalidRequestError(errors);

  const missing = expected ? expected.filter((m) => !(m in predictions)) : [];
  const minModalities = opts.minModalities ?? 1;
  if (K < minModalities) {
    throw new InsufficientModalitiesError(
      `Insufficient modalities: ${minModalities} needed but ${K} present (${names.join(', ') || 'none'})${missing.length ? `; missing: ${missing.join(', ')}` : ''}.`,
      [{ path: at ? `${at}.predictions` : 'predictions', message: `send at least ${minModalities} modalities${missing.length ? `; missing: ${missing.join(', ')}` : ''}` }],
    );
  }

  const normWeights = new Float64Array(K);
  for (let k = 0; k < K; k++) normWeights[k] = weights[k]! / weightSum;
  const out: Prepared = {
    classes, modalities: names, dists, weights, normWeights, confidences, votesFor, missing,
    mode: opts.mode ?? 'hard', tieBreak: opts.tieBreak ?? 'first', epsilon: opts.epsilon ?? 1e-12, predictions,
  };
  if (priors) out.priors = priors;
  if (resolved) out.profile = resolved;
  const id = req.id ?? undefined;
  if (id !== undefined) out.id = id;
  return out;
}

/** One prediction as a distribution over `classes`, or undefined after reporting what is wrong. */
function distribution(
  pred: Prediction,
  classes: string[],
  index: Map<string, number>,
  err: (message: string, sub?: string) => void,
): Float64Array | undefined {
  const given = (['probabilities', 'logits', 'label'] as const).filter((f) => pred[f] !== undefined);
  if (given.length !== 1) {
    err(given.length ? `give exactly one of probabilities, logits or label, not ${given.join(' and ')}` : 'give one of probabilities, logits or label');
    return undefined;
  }
  const C = classes.length;
  if (pred.label !== undefined) {
    const c = index.get(pred.label);
    if (c === undefined) return err(`label "${pred.label}" is not a class; expected one of: ${preview(classes)}`, '.label'), undefined;
    const conf = pred.confidence ?? 1;
    return new Float64Array(C).fill((1 - conf) / (C - 1)).fill(conf, c, c + 1);
  }
  if (pred.logits !== undefined) {
    if (pred.logits.length !== C) return err(`logits has ${pred.logits.length} values but there are ${C} classes; give one logit per class, in the order of classes`, '.logits'), undefined;
    return softmax(pred.logits);
  }
  const p = pred.probabilities!;
  const out = new Float64Array(C);
  if (Array.isArray(p)) {
    if (p.length !== C) return err(`probabilities has ${p.length} values but there are ${C} classes; give one per class, in the order of classes`, '.probabilities'), undefined;
    out.set(p);
  } else {
    let ok = true;
    for (const key of Object.keys(p)) {
      const c = index.get(key);
      if (c === undefined) {
        err(`"${key}" is not a class; expected keys: ${preview(classes)}`, `.probabilities.${key}`);
        ok = false;
      } else out[c] = p[key]!;
    }
    for (const c of classes) if (!(c in p)) (err(`missing the probability of class "${c}"; give every class a value`, '.probabilities'), (ok = false));
    if (!ok) return undefined;
  }
  let sum = 0;
  for (let c = 0; c < C; c++) {
    if (out[c]! < 0) return err(`probability of class "${classes[c]}" is ${out[c]}; probabilities must be >= 0`, '.probabilities'), undefined;
    sum += out[c]!;
  }
  if (Math.abs(sum - 1) > LIMITS.sumTolerance)
    return err(`probabilities sum to ${+sum.toPrecision(6)} but must sum to 1 (within ${LIMITS.sumTolerance}); send unnormalised scores as "logits" instead`, '.probabilities'), undefined;
  for (let c = 0; c < C; c++) out[c]! /= sum;
  return out;
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function preview(list: string[]): string {
  return list.length <= 20 ? list.join(', ') : `${list.slice(0, 20).join(', ')}, ... (${list.length} in all)`;
}

/** Parses `input` with `schema`, throwing an `InvalidRequestError` that lists every field. */
export function parseWith<T>(schema: z.ZodType<T>, input: unknown, at = ''): T {
  const r = schema.safeParse(input);
  if (!r.success) throw new InvalidRequestError(fieldErrors(r.error.issues, at));
  return r.data;
}
