/**
 * `npm run bench [-- --json] [-- section ...]`: runs every benchmark section (or the named
 * ones), prints a table per section and writes bench/results/<section>.json. Each section
 * measures against a baseline in the same run and reports medians and ratios.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';

export interface SectionResult {
  /** Rows printed as a table. */
  rows: Record<string, string | number>[];
  /** Anything else worth keeping in the JSON. */
  extra?: Record<string, unknown>;
}

/** Every section, loaded on demand. Each module exports `run(): Promise<SectionResult>`. */
const SECTIONS: Record<string, () => Promise<{ run(): Promise<SectionResult> }>> = {
  core: () => import('./sections/core.js'),
  rules: () => import('./sections/rules.js'),
  batch: () => import('./sections/batch.js'),
  http: () => import('./sections/http.js'),
  store: () => import('./sections/store.js'),
  learned: () => import('./sections/learned.js'),
  tasks: () => import('./sections/tasks.js'),
  amplification: () => import('./sections/amplification.js'),
  coldstart: () => import('./sections/coldstart.js'),
  joins: () => import('./sections/joins.js'),
  shadow: () => import('./sections/shadow.js'),
};

const args = process.argv.slice(2);
const json = args.includes('--json');
const wanted = args.filter((a) => !a.startsWith('--'));
const machine = { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, platform: process.platform };
const all: Record<string, unknown> = { machine, at: new Date().toISOString() };
for (const [name, load] of Object.entries(SECTIONS)) {
  if (wanted.length && !wanted.includes(name)) continue;
  const result = await (await load()).run();
  all[name] = result;
  await mkdir(join(import.meta.dirname, 'results'), { recursive: true });
  await writeFile(join(import.meta.dirname, 'results', `${name}.json`), JSON.stringify({ machine, ...result }, null, 2));
  if (!json) {
    console.log(`\n## ${name}`);
    console.table(result.rows);
  }
}
if (json) console.log(JSON.stringify(all, null, 2));
