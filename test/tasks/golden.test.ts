import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Profile } from '../../functions/fusion/index.js';
import { compileMultilabel, type MultilabelArtifact } from '../../functions/fusion/learned/multilabel.js';
import { compileRidge, type RidgeArtifact } from '../../functions/fusion/learned/ridge.js';
import { parseTaskData } from '../../functions/fusion/learned/task-data.js';
import { trainTask } from '../../functions/fusion/learned/task-train.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const golden = JSON.parse(read('test/fixtures/sklearn-tasks-golden.json'));
const maxDiff = (a: number[], b: number[]) => {
  expect(a).toHaveLength(b.length);
  return Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
};
const firstLines = (text: string, n: number) => text.split('\n').filter((l) => l.trim()).slice(0, n).join('\n');

describe('parity with scikit-learn (test/fixtures/sklearn-tasks-golden.json, scripts/task_data.py)', () => {
  const dir = 'examples/data/diabetes-3view';
  const profile = JSON.parse(read(`${dir}/profile.json`)) as Profile;
  for (const fit of golden.ridge.fits as { alpha: number; coef: number[]; intercept: number; testPredictions: number[] }[]) {
    it(`should fit Ridge(alpha=${fit.alpha}) within 1e-6 of scikit-learn`, () => {
      const r = trainTask(read(`${dir}/train.jsonl`), profile, { model: 'ridge', alpha: fit.alpha });
      const a = r.type === 'model' ? (r.artifact as RidgeArtifact) : undefined;
      expect(maxDiff(a!.params.coef, fit.coef)).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(a!.params.intercept - fit.intercept)).toBeLessThanOrEqual(1e-6);
      const test = parseTaskData(read(`${dir}/test.jsonl`), profile);
      const model = compileRidge(a!);
      const preds = test.rows.map((row) => model.predict(row.names, (row as { values: number[] }).values).value);
      expect(maxDiff(preds, fit.testPredictions)).toBeLessThanOrEqual(1e-6);
    });
  }

  it('should fit a per-label LogisticRegression(C) within 1e-6 of scikit-learn', () => {
    const dir = 'examples/data/tags-3view';
    const profile = JSON.parse(read(`${dir}/profile.json`)) as Profile;
    const g = golden.logistic;
    const r = trainTask(firstLines(read(`${dir}/train.jsonl`), g.trainRows), profile, { model: 'logistic', C: g.C });
    const a = r.type === 'model' ? (r.artifact as MultilabelArtifact) : undefined;
    const test = parseTaskData(firstLines(read(`${dir}/test.jsonl`), g.testRows), profile);
    const model = compileMultilabel(a!);
    const probs = test.rows.map((row) => model.predict(row.names, (row as { scores: Float64Array[] }).scores, new Float64Array(6)));
    (g.labels as { coef: number[]; intercept: number; testProbabilities: number[] }[]).forEach((label, l) => {
      expect(maxDiff(a!.params.coef[l]!, label.coef), `label ${l} coef`).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(a!.params.intercept[l]! - label.intercept)).toBeLessThanOrEqual(1e-6);
      expect(maxDiff(probs.map((p) => p[l]!), label.testProbabilities)).toBeLessThanOrEqual(1e-6);
    });
  });
});
