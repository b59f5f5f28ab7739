/**
 * The adapters' side of shadows and canaries: which strategies a request's profiles need, a
 * `decide` hook for the core that picks the variant and runs the shadows of each decision, and
 * the ShadowAgreement / ShadowFailures metrics. Requests whose profiles name neither pass
 * through untouched.
 */
import { type FuseOptions, decide } from '../fusion/fuse.js';
import type { ShadowResult } from '../fusion/loop/decision-log.js';
import { type StrategyLookup, decideVariant, runShadows, variantStrategies } from '../fusion/loop/shadow.js';
import type { Variant } from '../fusion/loop/variant.js';
import type { Prepared, ProfileLookup } from '../fusion/prepare.js';
import type { FusionResponse } from '../fusion/schemas.js';
import type { Strategy } from '../fusion/strategy.js';
import { METRIC, emitMetrics } from '../observability.js';
import type { Decision } from './record.js';

/** The registry module, as the adapters that carry every strategy import it. */
export interface Registry {
  getStrategy(name: string): Strategy;
}

/** A lookup over the registry that answers undefined for an unknown name. */
export function registryLookup(registry: Registry): StrategyLookup {
  return (name) => {
    try {
      return registry.getStrategy(name);
    } catch {
      return undefined;
    }
  };
}

/** The strategies named by the shadows and canaries of the profiles `names` (loaded in `lookup`). */
export function neededStrategies(lookup: ProfileLookup | undefined, names: readonly string[]): string[] {
  const out = new Set<string>();
  for (const n of names) for (const s of variantStrategies(lookup?.(n)?.profile)) out.add(s);
  return [...out];
}

/**
 * A lookup of `own` plus the strategies `needed`: those other than `own` come from the registry,
 * which `load` imports only when some are needed (a strategy's Lambda bundle carries only its
 * own rule; see `registry-chunk.ts`). A registry that cannot be loaded leaves them unknown, so
 * the shadows naming them fail (logged and counted) and the answer stands.
 */
export async function strategiesFor(own: Strategy, needed: readonly string[], load: () => Promise<Registry>): Promise<StrategyLookup> {
  if (needed.every((n) => n === own.name)) return (name) => (name === own.name ? own : undefined);
  let other: StrategyLookup = () => undefined;
  try {
    other = registryLookup(await load());
  } catch {
    // Counted as shadow failures with the strategy named: see runShadows.
  }
  return (name) => (name === own.name ? own : other(name));
}

/** What the variants hook saw of each decision, by batch index, for the decision log. */
export interface VariantRecord {
  prepared: Prepared;
  variant?: Variant;
  shadows: ShadowResult[];
}

/**
 * The core's `decide` hook for one request: the canary is chosen from `idOf(index)` (the
 * decisionId, or the joinId), the answer is decided, then each shadow runs on the prepared input
 * as it was before the answer (a shallow copy: a rule may adapt weights in place).
 */
export function variantsHook(strategies: StrategyLookup, idOf: (index: number) => string) {
  const records: VariantRecord[] = [];
  const hook: NonNullable<FuseOptions['decide']> = (strategy, p, index) => {
    const profile = p.profile?.profile;
    if (!profile?.canary && !profile?.shadow?.length) {
      records[index] = { prepared: p, shadows: [] };
      return decide(strategy, p);
    }
    const before = { ...p };
    const { response, variant } = decideVariant(strategy, p, idOf(index), strategies);
    const shadows = runShadows(before, response, strategies);
    records[index] = { prepared: before, ...(variant ? { variant } : {}), shadows };
    return response;
  };
  return { decide: hook, records };
}

/**
 * Adds what the variants hook saw (variant, shadow results) to the decisions about to be
 * recorded, then emits the shadow metrics. `decisions[i]` is the request's decision i.
 */
export function withVariants(decisions: Decision[], records: readonly VariantRecord[]): void {
  for (let i = 0; i < decisions.length; i++) {
    const r = records[i];
    if (!r) continue;
    if (r.variant) decisions[i]!.variant = r.variant;
    if (r.shadows.length) decisions[i]!.shadows = r.shadows;
  }
  emitShadowMetrics(records, decisions.map((d) => d.response as FusionResponse));
}

/** Emits ShadowAgreement (the share of decisions agreeing) and ShadowFailures per profile and shadow. */
export function emitShadowMetrics(records: readonly VariantRecord[], responses: readonly FusionResponse[]): void {
  const by = new Map<string, { profile: string; shadow: string; agree: number; compared: number; failed: number }>();
  records.forEach((r, i) => {
    const profile = responses[i]?.profile?.name ?? r.prepared.profile?.profile.name ?? '';
    for (const s of r.shadows) {
      const key = `${profile}\n${s.name}`;
      let m = by.get(key);
      if (!m) by.set(key, (m = { profile, shadow: s.name, agree: 0, compared: 0, failed: 0 }));
      if (s.error !== undefined) m.failed++;
      else (m.compared++, s.agree && m.agree++);
    }
  });
  for (const m of by.values())
    emitMetrics(
      { profile: m.profile, shadow: m.shadow },
      { ...(m.compared ? { [METRIC.shadowAgreement]: m.agree / m.compared } : {}), ...(m.failed ? { [METRIC.shadowFailures]: m.failed } : {}) },
    );
}
