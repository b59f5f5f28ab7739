/**
 * Regression fusion (`"task": "regression"`): each modality predicts a number (`value`, with an
 * optional `std`), and a rule fuses them into one value. Its own schemas, preparation and
 * rules, beside the classification path.
 */
import * as z from 'zod/mini';
import { type FieldError, InvalidRequestError, joinPath } from '../errors.js';
import type { ProfileLookup, ResolvedProfile } from '../prepare.js';
import { DecisionId, RequestId, meta } from '../schemas.js';
import { type RidgeModel, loadRidge } from '../learned/ridge.js';
import {
  MinModalities, Modalities, type Present, ProfileRef, Weights,
  checkCount, layer, objectError, present, resolveProfile, shares, tail,
} from './common.js';
import type { RegressionProfile } from '../profiles.js';
import type { RegressionResponse } from '../contract.js';

export type { RegressionResponse };

const finite = (what: string) =>
  z.number({ error: (i) => (i.input === undefined ? `${what} is required` : `${what} must be a finite number`) });

/** One modality's regression prediction. */
export const RegressionPrediction = meta(
  z.strictObject(
    {
      value: finite('value'),
      std: z.optional(finite('std').check(z.positive('std must be > 0'))),
    },
    { error: objectError('a regression prediction', ['value', 'std']) },
  ),
  { description: 'A predicted value with an optional standard deviation (> 0).', examples: [{ value: 1.8, std: 0.5 }] },
);
export type RegressionPrediction = z.infer<typeof RegressionPrediction>;

const optionsShape = { minModalities: z.optional(MinModalities) };
const RegressionOptions = z.strictObject(optionsShape, { error: objectError('options', Object.keys(optionsShape)) });

const shape = {
  id: z.optional(RequestId),
  profile: z.optional(ProfileRef),
  modalities: z.optional(Modalities),
  predictions: z.optional(
    z.catchall(z.object({}, { error: 'predictions must be an object mapping modality name to {"value": <number>, "std"?: <number>}' }), RegressionPrediction),
  ),
  weights: z.optional(Weights),
  options: z.optional(RegressionOptions),
  decisionId: z.optional(DecisionId),
};

/** A regression request: `task` is "regression". */
export const RegressionRequest = meta(
  z.strictObject({ task: z.literal('regression'), ...shape }, { error: objectError('a regression request', ['task', ...Object.keys(shape)]) }),
  {
    id: 'RegressionRequest',
    examples: [
      {
        task: 'regression',
        predictions: { text: { value: 1.8, std: 0.5 }, audio: { value: 0.9, std: 1.2 }, video: { value: 1.1 } },
        weights: { text: 0.5, audio: 0.2, video: 0.3 },
      },
    ],
  },
);
export type RegressionRequest = z.infer<typeof RegressionRequest>;

/** A batch item of a regression batch (its `task`, if given, must be "regression"). */
export const RegressionItem = z.strictObject(
  { task: z.optional(z.literal('regression', { error: 'task of every item of a regression batch must be "regression"' })), ...shape },
  { error: objectError('a regression request', ['task', ...Object.keys(shape)]) },
);
type Item = z.infer<typeof RegressionItem>;

/** A validated regression request. */
export interface RegressionPrepared extends Present {
  id?: string | number;
  values: number[];
  /** Each present modality's std, `undefined` where not given. */
  stds: (number | undefined)[];
  profile?: ResolvedProfile;
  at: string;
}

/** Validates a regression request against its profile and batch defaults. */
export function prepareRegression(req: Item, lookup?: ProfileLookup, defaults?: Item, at = ''): RegressionPrepared {
  const resolved = resolveProfile('regression', req.profile ?? defaults?.profile, lookup, at);
  const profile = resolved?.profile as RegressionProfile | undefined;
  let merged: Item = req;
  if (profile || defaults) {
    merged = profile
      ? { modalities: profile.modalities, ...(profile.weights ? { weights: profile.weights } : {}), ...(profile.minModalities ? { options: { minModalities: profile.minModalities } } : {}) }
      : {};
    if (defaults) merged = layer(merged, defaults);
    merged = layer(merged, req);
  }
  const errors: FieldError[] = [];
  const predictions = merged.predictions ?? {};
  const p = present(Object.keys(predictions), merged.modalities, merged.weights, profile?.name, errors, at, '{"text": {"value": 1.8}}');
  if (errors.length) throw new InvalidRequestError(errors);
  checkCount(p, merged.options?.minModalities, at);
  const out: RegressionPrepared = {
    ...p,
    values: p.names.map((m) => predictions[m]!.value),
    stds: p.names.map((m) => predictions[m]!.std),
    at,
  };
  if (req.id !== undefined) out.id = req.id;
  if (resolved) out.profile = resolved;
  return out;
}

/** What a regression rule computes. */
export interface RegressionOutcome {
  value: number;
  std?: number;
  /** Each present modality's non-negative support (normalised into `contributions`). */
  support: number[];
}

/** A strategy's regression form. */
export interface RegressionRule {
  weighted: boolean;
  fuse(p: RegressionPrepared): RegressionOutcome;
}

/** Σ ŵ_k v_k: never overflows, since ŵ sums to 1. */
function weightedMean(values: number[], w: number[]): number {
  let v = 0;
  for (let k = 0; k < values.length; k++) v += w[k]! * values[k]!;
  return v;
}

/** The plain median; with an even count the mean of the two middle values. */
export function medianOf(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  const h = n >> 1;
  return n % 2 ? s[h]! : s[h - 1]! / 2 + s[h]! / 2;
}

/**
 * Inverse-variance weighting: w_k ∝ given weight / std_k². Computed in log space, so any
 * finite weights and stds give a finite answer. std = sqrt(1 / Σ w_k / std_k²).
 */
function inverseVariance(p: RegressionPrepared): RegressionOutcome {
  const missing = p.names.filter((_, k) => p.stds[k] === undefined);
  if (missing.length)
    throw new InvalidRequestError(
      missing.map((m) => ({ path: joinPath(p.at, `predictions.${m}.std`), message: `inverse-variance needs every present modality's std (> 0); give "${m}" a std, or use average` })),
    );
  const logs = p.names.map((_, k) => (p.weights[k]! > 0 ? Math.log(p.weights[k]!) - 2 * Math.log(p.stds[k]!) : -Infinity));
  const top = Math.max(...logs);
  let sum = 0;
  for (const l of logs) sum += Math.exp(l - top);
  const logTotal = top + Math.log(sum);
  const w = logs.map((l) => Math.exp(l - logTotal));
  return { value: weightedMean(p.values, w), std: Math.exp(-0.5 * logTotal), support: w };
}

const ridgeOf = (p: RegressionPrepared): RidgeModel => loadRidge(p.profile, p.at);

/** Each strategy's regression form, by strategy name. */
export const REGRESSION_RULES: Record<string, RegressionRule> = {
  average: { weighted: true, fuse: (p) => ({ value: weightedMean(p.values, p.normWeights), support: p.normWeights }) },
  median: {
    weighted: false,
    fuse(p) {
      const s = [...p.values].sort((a, b) => a - b);
      const h = s.length >> 1;
      const mids = s.length % 2 ? [s[h]!] : [s[h - 1]!, s[h]!];
      // The modalities holding the middle value(s) share the contributions.
      return { value: medianOf(p.values), support: p.values.map((v) => (mids.includes(v) ? 1 : 0)) };
    },
  },
  'inverse-variance': { weighted: true, fuse: inverseVariance },
  learned: {
    weighted: false,
    fuse(p) {
      const model = ridgeOf(p);
      const { value, occluded } = model.predict(p.names, p.values);
      if (!Number.isFinite(value))
        throw new InvalidRequestError([{ path: joinPath(p.at, 'predictions'), message: 'the values are too large for the model: its answer is not a finite number' }]);
      return { value, support: occluded.map((v) => Math.abs(value - v)) };
    },
  },
};

/** Fuses a prepared regression request with a strategy's regression form. */
export function decideRegression(name: string, rule: RegressionRule, p: RegressionPrepared): RegressionResponse {
  const o = rule.fuse(p);
  const res: RegressionResponse = {
    task: 'regression',
    strategy: name,
    value: o.value,
    ...(o.std === undefined ? {} : { std: o.std }),
    modalities: { used: p.names, missing: p.missing },
    contributions: shares(p.names, o.support),
  };
  if (!rule.weighted) res.weighted = false;
  return Object.assign(res, tail(p.id, p.profile));
}
