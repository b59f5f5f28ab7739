import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../../functions/cli/io.js';
import { main } from '../../functions/cli/main.js';

async function cli(argv: string[], stdin = '', env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const io: Io = { stdin: Readable.from([stdin]), stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env };
  return { code: await main(argv, io), stdout, stderr };
}

const DIABETES = 'examples/data/diabetes-3view';
const TAGS = 'examples/data/tags-3view';
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fusion-tasks-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('fusion train, evaluate and fuse on regression data', () => {
  it('should train ridge, beat the best single modality on held-out RMSE, publish it and fuse with it from the store', async () => {
    const model = join(dir, 'ridge.json');
    const trained = await cli(['train', '--data', `${DIABETES}/train.jsonl`, '--profile', `${DIABETES}/profile.json`, '--model', 'ridge', '--alpha', '1', '--out', model]);
    expect(trained.stderr).toBe('');
    expect(trained.stdout).toContain('Trained ridge on 296 rows');
    const ev = await cli(['evaluate', '--data', `${DIABETES}/test.jsonl`, '--profile', `${DIABETES}/profile.json`, '--model', model, '--json']);
    const table = JSON.parse(ev.stdout).table as { name: string; kind: string; rmse: number }[];
    const best = Math.min(...table.filter((r) => r.kind === 'modality').map((r) => r.rmse));
    expect(table.find((r) => r.name === 'ridge')!.rmse).toBeLessThan(best);
    expect(table.map((r) => r.name)).toEqual(['average', 'median', 'inverse-variance', 'ridge', 'body', 'serum', 'bmi']);

    const store = join(dir, 'store');
    await mkdir(store);
    const env = { FUSION_STORE_DIR: store };
    const profile = { ...JSON.parse(await readFile(`${DIABETES}/profile.json`, 'utf8')), model: { key: 'models/diabetes-ridge.json' } };
    await writeFile(join(dir, 'profile.json'), JSON.stringify(profile));
    const published = await cli(['publish', '--model', model, '--key', 'models/diabetes-ridge.json'], '', env);
    expect(published.code, published.stderr).toBe(0);
    expect((await cli(['publish', '--profile', join(dir, 'profile.json')], '', env)).code).toBe(0);
    // A profile whose model is of another task is refused, naming both tasks.
    await writeFile(join(dir, 'tags-model.json'), JSON.stringify({ ...JSON.parse(await readFile(model, 'utf8')), task: 'multilabel', kind: 'logistic' }));
    const wrong = await cli(['publish', '--model', join(dir, 'tags-model.json')], '', env);
    expect(wrong.code).toBe(2);
    expect(JSON.parse(wrong.stderr).detail).toContain('model artifact');
    const request = { task: 'regression', profile: 'diabetes-3view', predictions: { body: { value: 150 }, serum: { value: 170 }, bmi: { value: 160 } } };
    const fused = await cli(['fuse', '--strategy', 'learned', '--compact'], JSON.stringify(request), env);
    expect(fused.code, fused.stderr).toBe(0);
    expect(JSON.parse(fused.stdout)).toMatchObject({ task: 'regression', strategy: 'learned', profile: { name: 'diabetes-3view' } });
  });

  it('should answer exit code 2 with a problem for a strategy without a regression form', async () => {
    const r = await cli(['fuse', '--strategy', 'product'], JSON.stringify({ task: 'regression', predictions: { a: { value: 1 } } }));
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stderr)).toMatchObject({ status: 400, detail: expect.stringContaining('average, median, inverse-variance, learned') });
  });
});

describe('fusion train and evaluate on multi-label data', () => {
  it('should fit thresholds into the profile and report micro/macro-F1, Hamming loss and per-label AP', async () => {
    const out = join(dir, 'tags-thresholds.json');
    const fitted = await cli(['train', '--data', `${TAGS}/train.jsonl`, '--profile', `${TAGS}/profile.json`, '--model', 'thresholds', '--out', out]);
    expect(fitted.code, fitted.stderr).toBe(0);
    const profile = JSON.parse(await readFile(out, 'utf8'));
    expect(Object.keys(profile.thresholds)).toEqual(profile.labels);
    const ev = await cli(['evaluate', '--data', `${TAGS}/test.jsonl`, '--profile', out, '--json']);
    const report = JSON.parse(ev.stdout);
    expect(report).toMatchObject({ task: 'multilabel', rows: 300 });
    const average = report.table.find((r: { name: string }) => r.name === 'average');
    expect(Object.keys(average).sort()).toEqual(['averagePrecision', 'hamming', 'kind', 'macroF1', 'microF1', 'name']);
    expect(Object.keys(average.averagePrecision)).toEqual(profile.labels);
  });

  it('should refuse --model ridge on a multi-label profile, naming the kinds it trains', async () => {
    const r = await cli(['train', '--data', `${TAGS}/train.jsonl`, '--profile', `${TAGS}/profile.json`, '--model', 'ridge', '--out', join(dir, 'x.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('logistic or thresholds');
  });
});

describe('fusion batch with regression and multi-label lines', () => {
  it('should fuse every good line of each task, write the bad one to the errors file and count fused lines by task', async () => {
    const input = join(dir, 'tasks.jsonl');
    const lines = [
      { id: 'r', task: 'regression', predictions: { a: { value: 1, std: 1 }, b: { value: 3, std: 1 } } },
      { id: 'bad', task: 'regression', predictions: { a: { value: 1 } } },
      { id: 'm', task: 'multilabel', labels: ['x', 'y'], options: { threshold: 0.3 }, predictions: { a: { scores: [0.2, 0.9] } } },
    ];
    await writeFile(input, lines.map((l) => JSON.stringify(l)).join('\n'));
    const out = join(dir, 'tasks.out.jsonl');
    const errors = join(dir, 'tasks.errors.jsonl');
    const r = await cli(['batch', '--strategy', 'inverse-variance', '--input', input, '--output', out, '--errors', errors]);
    expect(r.code).toBe(2);
    const read = async (f: string) => (await readFile(f, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect((await read(out)).map((x) => [x.id, x.result.value])).toEqual([['r', 2]]);
    // Line 2 lacks the std inverse-variance needs; line 3's task has no inverse-variance form.
    expect((await read(errors)).map((x) => [x.line, x.error.errors[0].path])).toEqual([[2, 'predictions.a.std'], [3, 'task']]);
    expect(JSON.parse(r.stderr)).toMatchObject({ lines: 3, fused: 1, failed: 2, fusedByTask: { regression: 1 } });
    const avg = await cli(['batch', '--strategy', 'average', '--input', input, '--output', out, '--errors', errors]);
    expect(avg.code, avg.stderr).toBe(0);
    expect((await read(out)).map((x) => [x.id, x.result.value ?? x.result.labels])).toEqual([['r', 2], ['bad', 1], ['m', ['y']]]);
    expect(JSON.parse(avg.stderr)).toMatchObject({ lines: 3, fused: 3, failed: 0, fusedByTask: { regression: 2, multilabel: 1 } });
  });
});
