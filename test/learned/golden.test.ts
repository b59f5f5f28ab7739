import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { softmax } from '../../functions/fusion/calibrate.js';
import { designMatrix, meanFill, parseDataset } from '../../functions/fusion/learned/index.js';
import { fitLogistic, linearScores } from '../../functions/fusion/learned/logistic.js';
import { fitLinearSvm } from '../../functions/fusion/learned/svm.js';
import { head, load } from './helpers.js';

// Made once by scripts/sklearn_golden.py with scikit-learn (see the file's "sklearn" field).
const golden = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/sklearn-golden.json'), 'utf8'));

describe('parity with scikit-learn on the digits features', () => {
  const { profile, trainText, testText } = load('digits-3view');
  const train = parseDataset(head(trainText, golden.trainRows), profile);
  const test = parseDataset(head(testText, golden.testRows), profile);
  const fill = meanFill(train);
  const m = designMatrix(train.examples, fill);
  const mt = designMatrix(test.examples, fill);
  const row = (M: typeof m, i: number) => M.X.subarray(i * M.F, (i + 1) * M.F);

  it('should give LogisticRegression(C=1, multinomial) probabilities within 1e-4', () => {
    const params = fitLogistic(m, 10, { C: golden.C });
    const z = new Float64Array(10);
    let worst = 0;
    for (const [M, expected] of [[m, golden.logistic.trainProbabilities], [mt, golden.logistic.testProbabilities]] as const) {
      expect(M.n).toBe(expected.length);
      for (let i = 0; i < M.n; i++) {
        const p = softmax(linearScores(params, row(M, i), z));
        for (let c = 0; c < 10; c++) worst = Math.max(worst, Math.abs(p[c]! - expected[i][c]));
      }
    }
    expect(worst).toBeLessThan(1e-4);
  });

  it('should give LinearSVC(C=1) decision values within 1e-4', () => {
    const params = fitLinearSvm(m, 10, { C: golden.C });
    const z = new Float64Array(10);
    let worst = 0;
    for (let i = 0; i < mt.n; i++) {
      linearScores(params, row(mt, i), z);
      for (let c = 0; c < 10; c++) worst = Math.max(worst, Math.abs(z[c]! - golden.linearSvm.testDecision[i][c]));
    }
    expect(worst).toBeLessThan(1e-4);
  });
});
