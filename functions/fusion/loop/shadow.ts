/**
 * Shadows and canaries of a profile, on a prepared request. A canary decision is decided with
 * the canary's model (and strategy, if it names one) in place of the primary's; shadows are
 * decided after the answer, on the same prepared input, and only compared with it: they never
 * change the answer, and a shadow that fails becomes `{name, error}`, never an exception.
 *
 * Agreement is defined for classification only (same label as the answer), so the store and
 * `fusion publish` accept `shadow` and `canary` on classification profiles only.
 */
import { forStrategy } from '../adaptive.js';
import { chooseLabel, decide } from '../fuse.js';
import type { Prepared, VariantModelLoad } from '../prepare.js';
import type { FusionResponse, Profile } from '../schemas.js';
import type { Strategy } from '../strategy.js';
import type { ShadowResult } from './decision-log.js';
import { type Variant, chooseVariant } from './variant.js';
import { shadowName } from './variant-schema.js';

/** The strategies a shadow or canary may name; undefined for one this process cannot run. */
export type StrategyLookup = (name: string) => Strategy | undefined;

/** A decision and, when its profile names a canary, which variant answered. */
export interface VariantDecision {
  response: FusionResponse;
  variant?: Variant;
}

/** The strategy names a profile's shadows and canary use, besides the route's own. */
export function variantStrategies(profile: Profile | undefined): string[] {
  const names: string[] = [];
  for (const s of profile?.shadow ?? []) if (!names.includes(s.strategy)) names.push(s.strategy);
  const c = profile?.canary?.strategy;
  if (c && !names.includes(c)) names.push(c);
  return names;
}

/** `p` decided with another model of its profile: the profile stays, its `model` is swapped. */
function withModel(p: Prepared, load: VariantModelLoad | undefined): Prepared {
  if (!load) return p;
  if ('error' in load) throw new Error(load.error);
  return { ...p, profile: { ...p.profile!, model: load.model } };
}

/** `p` with per-modality weights overridden by `weights` (others keep theirs), renormalised. */
function withWeights(p: Prepared, weights: Record<string, number> | undefined): Prepared {
  if (!weights) return p;
  const K = p.modalities.length;
  const w: number[] = new Array(K);
  let sum = 0;
  for (let k = 0; k < K; k++) {
    const m = p.modalities[k]!;
    sum += w[k] = Object.hasOwn(weights, m) ? weights[m]! : p.weights[k]!;
  }
  if (!(sum > 0)) throw new Error(`the shadow's weights leave no present modality (${p.modalities.join(', ')}) with a weight > 0`);
  return { ...p, weights: w, normWeights: w.map((x) => x / sum) };
}

/**
 * Decides `p` with `strategy`, or, when its profile names a canary and `id` (the decisionId, or
 * the joinId of a join) falls in the canary's share, with the canary's model and strategy. A
 * canary that cannot run here (its model failed to load, its strategy is unknown) leaves the
 * decision to the primary, which the answer's `variant` then says. Pass a shallow copy of the
 * prepared request if shadows run on it afterwards (`decide` may adapt weights in place).
 */
export function decideVariant(strategy: Strategy, p: Prepared, id: string, strategies: StrategyLookup): VariantDecision {
  const canary = p.profile?.profile.canary;
  if (!canary) return { response: decide(strategy, p) };
  if (chooseVariant(id, canary.fraction) === 'canary') {
    const load = p.profile!.canaryModel;
    const rule = canary.strategy ? strategies(canary.strategy) : strategy;
    if (rule && load && !('error' in load)) {
      const response = decide(rule, withModel(p, load));
      response.variant = 'canary';
      return { response, variant: 'canary' };
    }
  }
  const response = decide(strategy, p);
  response.variant = 'primary';
  return { response, variant: 'primary' };
}

// Shadow names by spec: a profile object lives as long as the store caches it.
const names = new WeakMap<object, string>();

/**
 * Each shadow of `p`'s profile decided on `p` (prepared before the answer was decided) and
 * compared with `answer`: `agree` when it chose the same label. Never throws.
 */
export function runShadows(p: Prepared, answer: FusionResponse, strategies: StrategyLookup): ShadowResult[] {
  const specs = p.profile?.profile.shadow;
  if (!specs?.length) return [];
  const out: ShadowResult[] = [];
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i]!;
    let name = names.get(spec);
    if (name === undefined) names.set(spec, (name = shadowName(spec, i)));
    try {
      const rule = strategies(spec.strategy);
      if (!rule) throw new Error(`strategy "${spec.strategy}" is not available here`);
      const load = spec.model ? (p.profile!.shadowModels?.[i] ?? { error: 'its model was not loaded' }) : undefined;
      if (load && 'error' in load) throw new Error(load.error);
      // A copy only where a rule could change it: adaptive weights are applied in place.
      const q = withWeights(p.adaptive ? { ...p } : p, spec.weights);
      // A rule with `distribution` takes the shadow's model as an argument, without a copy of `q`.
      const r = fusedLabel(rule, rule.distribution ? q : withModel(q, load), load?.model);
      out.push({ name, label: r.label, confidence: r.confidence, agree: r.label === answer.label });
    } catch (e) {
      out.push({ name, error: clip(e instanceof Error ? e.message : String(e)) });
    }
  }
  return out;
}

/**
 * A shadow's label and confidence: the rule's fused distribution (`distribution` when it has
 * one) and the label `decide` would choose, without the answer's other fields (contributions,
 * votes), which nobody reads of a shadow.
 */
let buffer = new Float64Array(0);

function fusedLabel(rule: Strategy, prepared: Prepared, model: unknown): { label: string; confidence: number } {
  const p = forStrategy(rule, prepared);
  const f = buffer.length === p.classes.length ? buffer : (buffer = new Float64Array(p.classes.length));
  if (rule.distribution) rule.distribution(p, f, model);
  else rule.combine(p, f);
  const c = chooseLabel(p, f, rule.weighted);
  if (!Number.isFinite(f[c])) throw new Error(`the ${rule.name} rule gave a non-finite answer`);
  return { label: p.classes[c]!, confidence: f[c]! };
}

/** Shadow errors go to the decision log: bounded, whatever a failure says. */
function clip(message: string): string {
  return message.length > 300 ? `${message.slice(0, 300)}...` : message;
}
