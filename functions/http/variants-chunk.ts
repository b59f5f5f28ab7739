/**
 * Loads `functions/loop/variants-runtime.ts` (the strategy registry and the shadow and canary
 * code) on demand: a strategy's bundle carries only its own rule and none of this (budgets in
 * test/infra/bundle.test.ts). The stack builds it as a second file beside the bundle,
 * `variants.mjs`, and names it through the build's `define`; esbuild leaves an import of a
 * computed name alone. From source (tests, `npm start`) the name is the module itself.
 */
import type { VariantsRuntime } from '../loop/variants-runtime.js';
import type { Strategy } from '../fusion/strategy.js';

declare const FUSION_VARIANTS_CHUNK: string | undefined;

const specifier = typeof FUSION_VARIANTS_CHUNK === 'string' ? FUSION_VARIANTS_CHUNK : '../loop/variants-runtime.js';
let loading: Promise<{ runtimeFor(own: Strategy): VariantsRuntime }> | undefined;
const runtimes = new Map<Strategy, VariantsRuntime>();

/** The variants runtime for `own`, importing the module once per process (again after a failure). */
export async function variantsRuntime(own: Strategy): Promise<VariantsRuntime> {
  loading ??= (import(/* @vite-ignore */ specifier) as Promise<{ runtimeFor(own: Strategy): VariantsRuntime }>).catch((e: unknown) => {
    loading = undefined;
    throw e;
  });
  const mod = await loading;
  let runtime = runtimes.get(own);
  if (!runtime) runtimes.set(own, (runtime = mod.runtimeFor(own)));
  return runtime;
}
