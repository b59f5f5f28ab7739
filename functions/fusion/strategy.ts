import type { Prepared } from './prepare.js';
import type { Task } from './tasks/task.js';

/** A fusion rule: how present modalities' distributions become one distribution. */
export interface Strategy {
  name: string;
  /** One line for `/v1/strategies` and `--help`. */
  description: string;
  /** Whether `weights` change the result. Unweighted rules answer `"weighted": false`. */
  weighted: boolean;
  /** Request fields and options this rule reads, for `/v1/strategies` and the docs. */
  parameters: string[];
  /** Literature reference. */
  reference: string;
  /**
   * Writes the fused distribution (sums to 1) into `out` (length = classes). Rules clear `out`
   * with a loop: `fill` is a call into the runtime that costs more than a few stores.
   */
  combine(p: Prepared, out: Float64Array): void;
  /**
   * The fused distribution alone, for a rule whose `combine` also prepares what `support` reads
   * and can skip it (learned: no occlusion). Shadows use it; default `combine`. `model`, when
   * given, is used in place of the profile's (a shadow's own model, loaded by the store).
   */
  distribution?(p: Prepared, out: Float64Array, model?: unknown): void;
  /**
   * Modality k's non-negative support for class c. `contributions` are each modality's
   * support for the chosen label divided by the total support for it.
   */
  support(p: Prepared, k: number, c: number): number;
  /** Whether responses carry `votes`. */
  votes?: boolean;
  /** The tasks this strategy has a form for (default: classification only). */
  tasks?: readonly Task[];
  /** Extra response fields of the rule (dempster-shafer's `conflict`), called after `combine` on the same request. */
  details?(p: Prepared): Record<string, number>;
}

/** Normalises `v` in place to sum 1; an all-zero vector becomes uniform. */
export function normalise(v: Float64Array): Float64Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]!;
  if (!(sum > 0) || !Number.isFinite(sum)) return v.fill(1 / v.length);
  for (let i = 0; i < v.length; i++) v[i]! /= sum;
  return v;
}
