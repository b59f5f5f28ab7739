import { readFile, readdir } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import { STRATEGY_NAMES } from '../../functions/fusion/registry.js';
import { DEFAULT_ENTRY, ENTRIES, ROUTES, entryFile } from '../../functions/http/routes.js';

/** Bundles an entry the way CDK does (esbuild, minified, ESM, platform node); returns the source files in it. */
async function bundledSources(entry: string): Promise<string[]> {
  const out = await build({ entryPoints: [entryFile(entry)], bundle: true, minify: true, format: 'esm', platform: 'node', write: false, metafile: true, logLevel: 'silent' });
  return Object.values(out.metafile.outputs).flatMap((o) => Object.keys(o.inputs)).filter((f) => f.startsWith('functions/'));
}

/** The rule module an entry imports (`functions/fusion/rules/average.ts`, ...). */
async function ruleModule(name: string): Promise<string> {
  const m = /from '\.\.\/\.\.\/(fusion\/[^']+)\.js'/.exec(await readFile(entryFile(name), 'utf8'));
  return `functions/${m![1]}.ts`;
}

describe('Lambda entries', () => {
  it('should have one entry file exporting `handler` for every registry strategy, and the meta entry', async () => {
    const files = await readdir(new URL('../../functions/http/entries/', import.meta.url));
    for (const name of [...STRATEGY_NAMES, DEFAULT_ENTRY]) {
      expect(files, name).toContain(`${name}.ts`);
      const mod = (await import(pathToFileURL(entryFile(name)).href)) as { handler?: unknown };
      expect(typeof mod.handler, name).toBe('function');
    }
  });

  it('should route POST /v1/fuse/<name> to each strategy’s own entry and the GET routes to meta', () => {
    for (const name of STRATEGY_NAMES) expect(ROUTES).toContainEqual({ method: 'POST', path: `/v1/fuse/${name}`, entry: name });
    expect(ROUTES.filter((r) => r.method === 'GET' && !r.path.startsWith('/v1/joins/')).map((r) => r.entry)).toEqual([DEFAULT_ENTRY, DEFAULT_ENTRY, DEFAULT_ENTRY]);
    expect(ENTRIES).toEqual([...STRATEGY_NAMES, DEFAULT_ENTRY, 'joins', 'feedback']);
  });

  it('should never import the registry from a strategy entry', async () => {
    for (const name of STRATEGY_NAMES) {
      const source = await readFile(entryFile(name), 'utf8');
      expect(source, name).not.toMatch(/registry|fusion\/index/);
      expect(source, name).toMatch(/export const handler = fuseHandler\(/);
    }
  });

  it('should bundle each strategy entry with its own rule module and no other strategy’s', async () => {
    const modules = Object.fromEntries(await Promise.all(STRATEGY_NAMES.map(async (n) => [n, await ruleModule(n)] as const)));
    const ruleFiles = new Set(Object.values(modules));
    const bundles = await Promise.all(STRATEGY_NAMES.map(bundledSources));
    for (const [i, name] of STRATEGY_NAMES.entries()) {
      const sources = bundles[i]!;
      expect(sources.filter((f) => ruleFiles.has(f)), name).toEqual([modules[name]]);
      expect(sources.some((f) => /registry|openapi|infra\//.test(f)), `${name} bundles the registry, the OpenAPI builder or the CDK`).toBe(false);
    }
  });
});
