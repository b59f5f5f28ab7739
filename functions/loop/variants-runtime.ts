/**
 * Shadows and canaries for a strategy's HTTP function, as one module loaded on demand: the
 * strategy registry (any strategy a shadow or canary names) and the variants hook. The stack
 * builds it as `variants.mjs` beside each strategy function's bundle (FusionFunction's
 * `variantsChunk`), which imports it only when a request's profile names shadows or a canary
 * (`functions/http/variants-chunk.ts`): functions that never see one never load it.
 */
import type { StrategyLookup } from '../fusion/loop/shadow.js';
import { knownStrategy } from '../fusion/registry.js';
import type { Strategy } from '../fusion/strategy.js';
import { type Emit, type VariantRecord, variantsHook, withVariants } from './variants.js';
import type { Decision } from './record.js';

/** What a strategy's function needs for one request whose profile names shadows or a canary. */
export interface VariantsRuntime {
  /** The core's `decide` hook, and what it saw, for decision `i` whose id is `idOf(i)`. */
  hook(idOf: (i: number) => string): ReturnType<typeof variantsHook>;
  /** Adds the variant and shadows to the decisions about to be logged and emits the shadow metrics. */
  finish(decisions: Decision[], records: readonly VariantRecord[], emit: Emit): void;
}

/** The runtime of the function whose own strategy is `own` (used as is; the others from the registry). */
export function runtimeFor(own: Strategy): VariantsRuntime {
  const strategies: StrategyLookup = (name) => (name === own.name ? own : knownStrategy(name));
  return { hook: (idOf) => variantsHook(strategies, idOf), finish: withVariants };
}
