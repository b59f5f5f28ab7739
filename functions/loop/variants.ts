/**
 * The adapters' side of shadows and canaries: a `decide` hook for the core that picks the
 * variant and runs the shadows of each decision, and the ShadowAgreement / ShadowFailures
 * metrics. Requests whose profiles name neither never reach this module. It imports no
 * observability code (the caller passes `emitMetrics`), so that the strategy functions can load
 * it with the registry as one separate file (`variants-runtime.ts`).
 */
import { type FuseOptions, decide } from '../fusion/fuse.js';
import type { ShadowResult } from '../fusion/loop/decision-log.js';
import { type StrategyLookup, decideVariant, runShadows } from '../fusion/loop/shadow.js';
import type { Variant } from '../fusion/loop/variant.js';
import type { Prepared } from '../fusion/prepare.js';
import type { FusionResponse } from '../fusion/schemas.js';
import type { Strategy } from '../fusion/strategy.js';
import type { Decision } from './record.js';

/** `emitMetrics` of functions/observability.ts, passed in. */
export type Emit = (dimensions: Record<string, string>, values: Record<string, number>) => void;

/** The metric names (functions/observability.ts `METRIC` lists them too). */
export const SHADOW_METRIC = { agreement: 'ShadowAgreement', failures: 'ShadowFailures' } as const;

/** Whether any of the profiles `names` (loaded in `lookup`) names shadows or a canary. */
export function profilesWithVariants(lookup: ((name: string) => { profile: { shadow?: unknown[]; canary?: unknown } } | undefined) | undefined, names: readonly string[]): boolean {
  return names.some((n) => {
    const p = lookup?.(n)?.profile;
    return p?.canary !== undefined || (p?.shadow?.length ?? 0) > 0;
  });
}

/** What the variants hook saw of each decision, by batch index, for the decision log. */
export interface VariantRecord {
  prepared: Prepared;
  variant?: Variant;
  shadows: ShadowResult[];
}

/** What one request's hook needs and keeps. */
interface HookState {
  strategies: StrategyLookup;
  idOf: (index: number) => string;
  records: VariantRecord[];
}

/**
 * The core's `decide` hook for one request: the canary is chosen from `idOf(index)` (the
 * decisionId, or the joinId), the answer is decided, then each shadow runs on the prepared input
 * as it was before the answer (a shallow copy: a rule may adapt weights in place).
 */
export function variantsHook(strategies: StrategyLookup, idOf: (index: number) => string): { decide: NonNullable<FuseOptions['decide']>; records: VariantRecord[] } {
  const state: HookState = { strategies, idOf, records: [] };
  return { decide: hookOf(state), records: state.records };
}

// The hook is an arrow returned from here, not a named constant: tsx (the bench, the tests,
// `npm start`) compiles with esbuild's keepNames, which names every named closure it creates
// with Object.defineProperty, and that cost about 0.4 µs per request, 10% of a decision. The
// Lambda bundles do not keep names; this shape costs the same there and nothing here.
function hookOf(state: HookState): NonNullable<FuseOptions['decide']> {
  return (strategy, p, index) => decideWithVariants(state, strategy, p, index);
}

function decideWithVariants(state: HookState, strategy: Strategy, p: Prepared, index: number): FusionResponse {
  const profile = p.profile?.profile;
  if (!profile?.canary && !profile?.shadow?.length) {
    state.records[index] = { prepared: p, shadows: [] };
    return decide(strategy, p);
  }
  // The input as it was before the answer: a rule with adaptive weights changes it in place.
  const before = p.adaptive ? { ...p } : p;
  // The id (a string built per decision) is needed only to choose a canary.
  let response: FusionResponse;
  let variant: Variant | undefined;
  if (profile.canary) ({ response, variant } = decideVariant(strategy, p, state.idOf(index), state.strategies));
  else response = decide(strategy, p);
  const shadows = runShadows(before, response, state.strategies);
  state.records[index] = variant ? { prepared: before, variant, shadows } : { prepared: before, shadows };
  return response;
}

/**
 * Adds what the variants hook saw (variant, shadow results) to the decisions about to be
 * recorded, then emits the shadow metrics. `decisions[i]` is the request's decision i.
 */
export function withVariants(decisions: Decision[], records: readonly VariantRecord[], emit: Emit): void {
  for (let i = 0; i < decisions.length; i++) {
    const r = records[i];
    if (!r) continue;
    if (r.variant) decisions[i]!.variant = r.variant;
    if (r.shadows.length) decisions[i]!.shadows = r.shadows;
  }
  emitShadowMetrics(records, decisions.map((d) => d.response as FusionResponse), emit);
}

/** Emits ShadowAgreement (the share of decisions agreeing) and ShadowFailures per profile and shadow. */
export function emitShadowMetrics(records: readonly VariantRecord[], responses: readonly FusionResponse[], emit: Emit): void {
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
    emit(
      { profile: m.profile, shadow: m.shadow },
      { ...(m.compared ? { [SHADOW_METRIC.agreement]: m.agree / m.compared } : {}), ...(m.failed ? { [SHADOW_METRIC.failures]: m.failed } : {}) },
    );
}
