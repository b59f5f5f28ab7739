/**
 * Stored models with extreme but finite numbers: refused when published or loaded (a 503 naming
 * the model), and a model at the bound still answers finite numbers. A response never carries
 * a non-finite number.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import { type Io } from '../../functions/cli/io.js';
import { main } from '../../functions/cli/main.js';
import { MAX_PARAMETER } from '../../functions/fusion/learned/artifact.js';
import { type LocalServer, startServer } from '../../functions/local/server.js';

type Artifact = {
  kind: string;
  classes: string[];
  modalities: string[];
  fill: Record<string, number[]>;
  params: { coef: number[][]; intercept: number[] };
};

let dir: string;
let server: LocalServer;
let base: Artifact;

/** A copy of the shipped logistic model with `change` applied. */
function variant(change: (a: Artifact) => void): Artifact {
  const a = structuredClone(base);
  change(a);
  return a;
}

const variants: Record<string, (a: Artifact) => void> = {
  'huge-coef': (a) => (a.params.coef[0]![0] = 1e300),
  'huge-intercept': (a) => (a.params.intercept[1] = -1e308),
  'huge-fill': (a) => (a.fill[a.modalities[0]!]![0] = 1e200),
  'at-bound': (a) => {
    for (const row of a.params.coef) row.fill(MAX_PARAMETER);
    a.params.intercept.fill(-MAX_PARAMETER);
  },
};

beforeAll(async () => {
  base = JSON.parse(await readFile('examples/profiles/models/digits-logistic.json', 'utf8')) as Artifact;
  const profile = JSON.parse(await readFile('examples/profiles/digits-learned.json', 'utf8')) as Record<string, unknown>;
  dir = await mkdtemp(join(tmpdir(), 'fusion-models-'));
  // The directory store's layout: profiles at the top, models under models/.
  await mkdir(join(dir, 'models'));
  for (const [name, change] of Object.entries(variants)) {
    await writeFile(join(dir, 'models', `${name}.json`), JSON.stringify(variant(change)));
    await writeFile(join(dir, `${name}.json`), JSON.stringify({ ...profile, name, model: { key: `models/${name}.json` } }));
  }
  server = await startServer({ port: 0, env: { ...process.env, FUSION_STORE_DIR: dir } });
});
afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function learned(profile: string) {
  const C = base.classes.length;
  const uniform = Array.from({ length: C }, () => 1 / C);
  const predictions = Object.fromEntries(base.modalities.map((m) => [m, { probabilities: uniform }]));
  const res = await fetch(`${server.url}/v1/fuse/learned`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ profile, predictions }) });
  return { status: res.status, text: await res.text() };
}

describe('extreme model numbers', () => {
  for (const name of ['huge-coef', 'huge-intercept', 'huge-fill']) {
    it(`should answer 503 naming the model for ${name}, never 200 with null numbers`, async () => {
      const a = await learned(name);
      expect(a.status, a.text).toBe(503);
      expect(a.text).toContain(`models/${name}.json`);
      expect(a.text).not.toContain('null');
    });
  }

  it('should answer finite numbers for a model at the parameter bound', async () => {
    const a = await learned('at-bound');
    expect(a.status).toBe(200);
    const body = JSON.parse(a.text) as { confidence: number; probabilities: Record<string, number> };
    expect(Number.isFinite(body.confidence)).toBe(true);
    for (const v of Object.values(body.probabilities)) expect(Number.isFinite(v)).toBe(true);
  });

  it('should refuse to publish a model with a parameter beyond the bound', async () => {
    let stderr = '';
    const io: Io = { stdin: process.stdin, stdout: { write: () => true }, stderr: { write: (s: string) => ((stderr += s), true) }, env: { PATH: process.env.PATH, FUSION_STORE_DIR: dir } };
    const code = await main(['publish', '--model', join(dir, 'models', 'huge-coef.json')], io);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/must be between -1000000 and 1000000/);
  });
});
