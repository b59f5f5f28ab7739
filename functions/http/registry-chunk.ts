/**
 * The strategy registry, imported on demand by a strategy's function when a profile's shadow or
 * canary names another strategy. A strategy's bundle carries only its own rule (budgets in
 * test/infra/bundle.test.ts), so the registry is a second file beside it, `registry.mjs`, built
 * by the stack (`FusionFunction`'s `registryChunk`) and named here through the build's
 * `define`: esbuild leaves an import of a computed name alone. From source (tests, `npm start`)
 * the name is the registry module itself.
 */
import type { Registry } from '../loop/variants.js';

declare const FUSION_REGISTRY_CHUNK: string | undefined;

const specifier = typeof FUSION_REGISTRY_CHUNK === 'string' ? FUSION_REGISTRY_CHUNK : '../fusion/registry.js';
let loading: Promise<Registry> | undefined;

/** The registry module, imported once per process (again after a failed import). */
export function loadRegistry(): Promise<Registry> {
  loading ??= (import(/* @vite-ignore */ specifier) as Promise<Registry>).catch((e: unknown) => {
    loading = undefined;
    throw e;
  });
  return loading;
}
