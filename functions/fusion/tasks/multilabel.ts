/**
 * Multi-label fusion (`"task": "multilabel"`): each modality gives an independent probability
 * per label, a rule fuses each label on its own, and the labels whose fused score reaches
 * their threshold are the answer. Its own schemas, preparation and rules.
 */
import * as z from 'zod/mini';
import { type FieldError, InvalidRequestError, joinPath } from '../errors.js';
import type { ProfileLookup, ResolvedProfile } from '../prepare.js';
import { DecisionId, LIMITS, RequestId, meta } from '../schemas.js';
import { loadMultilabel } from '../learned/multilabel.js';
import {
  MinModalities, Modalities, type Present, ProfileRef, Weights,
  checkCount, layer, objectError, present, resolveProfile, shares, tail,
} from './common.js';
import type { MultilabelProfile } from '../profiles.js';
import type { MultilabelResponse } from '../contract.js';

export type { MultilabelResponse };

const unit = (what: string) =>
  z
    .number({ error: (i) => (i.input === undefined ? `${what} is required` : `${what} must be a number between 0 and 1`) })
    .check(z.gte(0, `${what} must be between 0 and 1`), z.lte(1, `${what} must be between 0 and 1`));

const mapOf = <T extends z.ZodMiniType>(value: T, error: string) => z.catchall(z.object({}, { error }), value);

const Label = z
  .string({ error: 'a label must be a string' })
  .check(z.minLength(1, 'a label must not be empty'), z.maxLength(LIMITS.maxClassName, `a label must be at most ${LIMITS.maxClassName} characters`));

/** The label names of a multi-label request or profile. */
export const Labels = z
  .array(Label, { error: 'labels must be an array of label names, for example ["person", "dog", "outdoor"]' })
  .check(z.minLength(1, 'labels needs at least 1 label name'), z.maxLength(LIMITS.maxClasses, `labels allows at most ${LIMITS.maxClasses} label names`));

/** One modality's multi-label prediction: a probability per label, each in [0, 1]. */
export const MultilabelPrediction = meta(
  z.strictObject(
    {
      scores: z.union([z.array(unit('a score')), mapOf(unit('a score'), 'scores must be an object')], {
        error: 'scores must be an array aligned with labels, or an object keyed by label',
      }),
    },
    { error: objectError('a multi-label prediction', ['scores']) },
  ),
  { description: 'An independent probability per label (need not sum to 1).', examples: [{ scores: [0.9, 0.2, 0.7] }] },
);
export type MultilabelPrediction = z.infer<typeof MultilabelPrediction>;

/** The fields of a multi-label request's `options`, which a multi-label profile also carries at its top level (`profiles.ts`). */
export const multilabelOptionsShape = {
  threshold: z.optional(unit('threshold')),
  thresholds: z.optional(meta(mapOf(unit('a threshold'), 'thresholds must be an object mapping label to a number in [0, 1]'), { description: 'Per-label thresholds (default options.threshold).' })),
  minModalities: z.optional(MinModalities),
  epsilon: z.optional(z.number().check(z.positive('epsilon must be > 0'), z.lte(0.01, 'epsilon must be at most 0.01'))),
};
const MultilabelOptions = z.strictObject(multilabelOptionsShape, { error: objectError('options', Object.keys(multilabelOptionsShape)) });
type Options = z.infer<typeof MultilabelOptions>;

const shape = {
  id: z.optional(RequestId),
  profile: z.optional(ProfileRef),
  labels: z.optional(Labels),
  modalities: z.optional(Modalities),
  predictions: z.optional(mapOf(MultilabelPrediction, 'predictions must be an object mapping modality name to {"scores": [...]}')),
  weights: z.optional(Weights),
  options: z.optional(MultilabelOptions),
  decisionId: z.optional(DecisionId),
};

/** A multi-label request: `task` is "multilabel". */
export const MultilabelRequest = meta(
  z.strictObject({ task: z.literal('multilabel'), ...shape }, { error: objectError('a multi-label request', ['task', ...Object.keys(shape)]) }),
  {
    id: 'MultilabelRequest',
    examples: [
      {
        task: 'multilabel',
        labels: ['person', 'dog', 'outdoor'],
        predictions: { image: { scores: [0.9, 0.2, 0.7] }, audio: { scores: { person: 0.6, dog: 0.8, outdoor: 0.5 } } },
      },
    ],
  },
);
export type MultilabelRequest = z.infer<typeof MultilabelRequest>;

/** A batch item of a multi-label batch (its `task`, if given, must be "multilabel"). */
export const MultilabelItem = z.strictObject(
  { task: z.optional(z.literal('multilabel', { error: 'task of every item of a multi-label batch must be "multilabel"' })), ...shape },
  { error: objectError('a multi-label request', ['task', ...Object.keys(shape)]) },
);
type Item = z.infer<typeof MultilabelItem>;

/** A validated multi-label request: each present modality's scores in label order. */
export interface MultilabelPrepared extends Present {
  id?: string | number;
  labels: string[];
  scores: Float64Array[];
  thresholds: Float64Array;
  epsilon: number;
  profile?: ResolvedProfile;
  at: string;
}

function profileLayer(p: MultilabelProfile): Item {
  const options: Options = {};
  for (const key of ['threshold', 'thresholds', 'minModalities', 'epsilon'] as const) if (p[key] !== undefined) (options as Record<string, unknown>)[key] = p[key];
  return { labels: p.labels, modalities: p.modalities, ...(p.weights ? { weights: p.weights } : {}), options };
}

// The last valid label list and its index: a service's requests repeat one list, so most
// checks are a comparison instead of a new map.
let lastLabels: string[] = [];
let lastIndex = new Map<string, number>();

function sameList(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Each label's position; reserved or repeated names are reported through `add`. */
function labelIndex(labels: string[], add: (path: string, message: string) => void): Map<string, number> {
  if (sameList(labels, lastLabels)) return lastIndex;
  const index = new Map<string, number>();
  let ok = true;
  labels.forEach((l, i) => {
    if (l === '__proto__') (ok = false), add(`labels.${i}`, 'the label name "__proto__" is reserved; rename the label');
    else if (index.has(l)) (ok = false), add(`labels.${i}`, `label "${l}" appears more than once; label names must be distinct`);
    index.set(l, i);
  });
  if (ok) [lastLabels, lastIndex] = [labels.slice(), index];
  return index;
}

/** Validates a multi-label request against its profile and batch defaults. */
export function prepareMultilabel(req: Item, lookup?: ProfileLookup, defaults?: Item, at = ''): MultilabelPrepared {
  const resolved = resolveProfile('multilabel', req.profile ?? defaults?.profile, lookup, at);
  const profile = resolved?.profile as MultilabelProfile | undefined;
  let merged: Item = req;
  if (profile || defaults) {
    merged = profile ? profileLayer(profile) : {};
    if (defaults) merged = layer(merged, defaults);
    merged = layer(merged, req);
  }
  const errors: FieldError[] = [];
  const add = (path: string, message: string) => errors.push({ path: joinPath(at, path), message });
  const labels = merged.labels;
  if (!labels) {
    add('labels', 'labels is required (or name a profile that defines them), for example ["person", "dog", "outdoor"]');
    throw new InvalidRequestError(errors);
  }
  if (profile && req.labels && (req.labels.length !== profile.labels.length || req.labels.some((l, i) => l !== profile.labels[i])))
    add('labels', `labels must equal profile "${profile.name}"'s labels, or be left out`);
  const index = labelIndex(labels, add);
  const L = labels.length;
  const predictions = merged.predictions ?? {};
  const p = present(Object.keys(predictions), merged.modalities, merged.weights, profile?.name, errors, at, '{"image": {"scores": [0.9, 0.2]}}');
  // Plain loops, no closures: this runs on every request.
  const scores: Float64Array[] = new Array(p.names.length);
  for (let k = 0; k < p.names.length; k++) scores[k] = scoresOf(p.names[k]!, predictions[p.names[k]!]!.scores, labels, index, add);
  const opts = merged.options ?? NO_OPTIONS;
  const thresholds = new Float64Array(L).fill(opts.threshold ?? 0.5);
  if (opts.thresholds)
    for (const l of Object.keys(opts.thresholds)) {
      const i = index.get(l);
      if (i === undefined) add(`options.thresholds.${l}`, `"${l}" is not one of the labels: ${labels.slice(0, 10).join(', ')}`);
      else thresholds[i] = opts.thresholds[l]!;
    }
  if (errors.length) throw new InvalidRequestError(errors);
  checkCount(p, opts.minModalities, at);
  const out: MultilabelPrepared = { ...p, labels, scores, thresholds, epsilon: opts.epsilon ?? 1e-12, at };
  if (req.id !== undefined) out.id = req.id;
  if (resolved) out.profile = resolved;
  return out;
}

const NO_OPTIONS: Options = Object.freeze({});

/** One modality's scores in label order (an array as given, or a record keyed by label). */
function scoresOf(m: string, s: MultilabelPrediction['scores'], labels: string[], index: Map<string, number>, add: (path: string, message: string) => void): Float64Array {
  const L = labels.length;
  const out = new Float64Array(L);
  if (Array.isArray(s)) {
    if (s.length !== L) add(`predictions.${m}.scores`, `scores has ${s.length} values but there are ${L} labels; give one per label, in the order of labels`);
    else for (let l = 0; l < L; l++) out[l] = s[l]!;
    return out;
  }
  const given = s as Record<string, number>;
  for (const key of Object.keys(given)) if (!index.has(key)) add(`predictions.${m}.scores.${key}`, `"${key}" is not one of the labels: ${labels.slice(0, 10).join(', ')}`);
  for (let l = 0; l < L; l++) {
    if (!Object.hasOwn(given, labels[l]!)) add(`predictions.${m}.scores`, `scores has no value for label "${labels[l]}"; give every label a score`);
    else out[l] = given[labels[l]!]!;
  }
  return out;
}

/** A strategy's multi-label form: fused scores per label into `out`. */
export interface MultilabelRule {
  weighted: boolean;
  fuse(p: MultilabelPrepared, out: Float64Array): void;
  /** Each present modality's support; default: its normalised weight (equal shares if unweighted). */
  support?(p: MultilabelPrepared, fused: Float64Array): number[];
}

/** An unweighted per-label order statistic of the present modalities' scores. */
function perLabel(stat: (values: number[]) => number): MultilabelRule {
  return {
    weighted: false,
    fuse(p, out) {
      for (let l = 0; l < out.length; l++) out[l] = stat(p.scores.map((s) => s[l]!));
    },
    // Closeness of each modality's scores to the fused ones: 1 − mean |s_kl − f_l|.
    support: (p, f) => p.scores.map((s) => 1 - s.reduce((a, v, l) => a + Math.abs(v - f[l]!), 0) / f.length),
  };
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
};

/** Each strategy's multi-label form, by strategy name. */
export const MULTILABEL_RULES: Record<string, MultilabelRule> = {
  average: {
    weighted: true,
    fuse(p, out) {
      for (let l = 0; l < out.length; l++) {
        let s = 0;
        for (let k = 0; k < p.scores.length; k++) s += p.normWeights[k]! * p.scores[k]![l]!;
        out[l] = s;
      }
    },
  },
  product: {
    weighted: true,
    // s = Π s^w / (Π s^w + Π (1 − s)^w) with weights as exponents, in log space.
    fuse(p, out) {
      const eps = p.epsilon;
      for (let l = 0; l < out.length; l++) {
        let a = 0;
        let b = 0;
        for (let k = 0; k < p.scores.length; k++) {
          const s = Math.min(1 - eps, Math.max(eps, p.scores[k]![l]!));
          a += p.weights[k]! * Math.log(s);
          b += p.weights[k]! * Math.log1p(-s);
        }
        out[l] = 1 / (1 + Math.exp(b - a));
      }
    },
  },
  max: perLabel((v) => Math.max(...v)),
  min: perLabel((v) => Math.min(...v)),
  median: perLabel(median),
  vote: {
    weighted: true,
    fuse(p, out) {
      for (let l = 0; l < out.length; l++) {
        let s = 0;
        for (let k = 0; k < p.scores.length; k++) if (p.scores[k]![l]! >= p.thresholds[l]!) s += p.normWeights[k]!;
        out[l] = s;
      }
    },
  },
  learned: {
    weighted: false,
    fuse(p, out) {
      loadMultilabel(p.profile, p.at).predict(p.names, p.scores, out);
    },
    // Occlusion: how much the scores move when the modality is replaced by its fill.
    support(p, f) {
      const model = loadMultilabel(p.profile, p.at);
      const without = new Float64Array(f.length);
      return p.names.map((_, k) => {
        const names = p.names.filter((__, j) => j !== k);
        model.predict(names, p.scores.filter((__, j) => j !== k), without);
        return without.reduce((a, v, l) => a + Math.abs(v - f[l]!), 0);
      });
    },
  },
};

/** Fuses a prepared multi-label request with a strategy's multi-label form. */
export function decideMultilabel(name: string, rule: MultilabelRule, p: MultilabelPrepared): MultilabelResponse {
  const f = new Float64Array(p.labels.length);
  rule.fuse(p, f);
  const scores: Record<string, number> = {};
  const chosen: string[] = [];
  p.labels.forEach((l, i) => {
    scores[l] = f[i]!;
    if (f[i]! >= p.thresholds[i]!) chosen.push(l);
  });
  const support = rule.support ? rule.support(p, f) : rule.weighted ? p.normWeights : p.names.map(() => 1);
  const res: MultilabelResponse = {
    task: 'multilabel',
    strategy: name,
    scores,
    labels: chosen,
    modalities: { used: p.names, missing: p.missing },
    contributions: shares(p.names, support),
  };
  if (!rule.weighted) res.weighted = false;
  return Object.assign(res, tail(p.id, p.profile));
}
