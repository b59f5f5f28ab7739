/**
 * A profile's `shadow` and `canary` sections, in zod/mini. Shadows are other strategies or
 * models computed beside every decision (logged, never answered); a canary answers a share of
 * the decisions in place of the primary model. Strategy names are checked against the registry
 * where it is at hand (`fusion publish`, and per decision: an unknown one is a shadow error).
 */
import * as z from 'zod/mini';
import { meta } from '../schema-meta.js';

/** Bounds of the variant sections. */
export const VARIANT_LIMITS = { maxShadows: 3, maxName: 64 } as const;

const StrategyName = (field: string) =>
  z
    .string({ error: `${field} must name a strategy, for example "learned"` })
    .check(z.minLength(1, `${field} must not be empty`), z.maxLength(64, `${field} must be at most 64 characters`));

/** A stored model (`{"key", "versionId"?}`) or a model artifact written inline (`"format": "fusion-model"`). */
export const VariantModel = meta(
  z.union(
    [
      z.strictObject({ key: z.string().check(z.minLength(1, 'model.key must not be empty')), versionId: z.optional(z.string()) }),
      // A record, not a loose object: the same JSON Schema, and the TypeScript client's contract types it alike.
      z.record(z.string(), z.unknown()).check(z.refine((m) => m.format === 'fusion-model', 'an inline model must have "format": "fusion-model"')),
    ],
    { error: 'model must be {"key": "models/<file>.json"} or an inline fusion-model artifact' },
  ),
  { description: 'A stored model {"key", "versionId"?}, or an inline fusion-model artifact.' },
);

const weights = z.record(
  z.string(),
  z.number({ error: 'a weight must be a finite number' }).check(z.gte(0, 'a weight must be >= 0')),
  { error: 'weights must be an object mapping modality name to a number >= 0' },
);

const shadowShape = {
  name: z.optional(
    z
      .string({ error: 'name must be a string' })
      .check(z.regex(/^[A-Za-z0-9._:/@-]{1,64}$/, `name must be 1 to ${VARIANT_LIMITS.maxName} letters, digits or . _ : / @ -`)),
  ),
  strategy: StrategyName('strategy'),
  model: z.optional(VariantModel),
  weights: z.optional(weights),
};

/** One shadow: a strategy, optionally with its own model and weights. */
export const ShadowSpec = z.strictObject(shadowShape, {
  error: (i) => (i.code === 'unrecognized_keys' ? `a shadow has only the fields ${Object.keys(shadowShape).join(', ')}` : 'a shadow must be an object such as {"strategy": "product"}'),
});

/** The profile's `shadow` list (at most `VARIANT_LIMITS.maxShadows`). */
export const ShadowSection = meta(
  z
    .array(ShadowSpec, { error: 'shadow must be an array of shadows, for example [{"strategy": "product"}]' })
    .check(z.maxLength(VARIANT_LIMITS.maxShadows, `shadow allows at most ${VARIANT_LIMITS.maxShadows} shadows`)),
  { description: 'Strategies or models computed after every decision and logged; never answered.' },
);

const canaryShape = {
  model: VariantModel,
  fraction: z
    .number({ error: 'fraction is required: the share of decisions (0 to 1) the canary answers' })
    .check(z.gte(0, 'fraction must be between 0 and 1'), z.lte(1, 'fraction must be between 0 and 1')),
  strategy: z.optional(StrategyName('strategy')),
};

/** The profile's `canary`: a model (and optionally a strategy) that answers a share of decisions. */
export const CanarySection = meta(
  z.strictObject(canaryShape, {
    error: (i) => (i.code === 'unrecognized_keys' ? `canary has only the fields ${Object.keys(canaryShape).join(', ')}` : 'canary must be an object such as {"model": {"key": "models/new.json"}, "fraction": 0.1}'),
  }),
  { description: 'A model (and strategy) answering `fraction` of the decisions, chosen by a hash of the decisionId (or joinId).' },
);

export type ShadowSpec = z.infer<typeof ShadowSpec>;
export type CanarySection = z.infer<typeof CanarySection>;
export type VariantModel = z.infer<typeof VariantModel>;

/** A shadow's name in the decision log and metrics: its `name`, else its strategy and model key. */
export function shadowName(s: ShadowSpec, i: number): string {
  if (s.name) return s.name;
  if (!s.model) return s.strategy;
  return 'key' in s.model && typeof s.model.key === 'string' ? `${s.strategy}:${s.model.key}` : `${s.strategy}:inline-${i}`;
}

/** Whether a variant model is a stored reference (else an inline artifact). */
export function isModelRef(m: VariantModel): m is { key: string; versionId?: string } {
  return typeof (m as { key?: unknown }).key === 'string';
}
