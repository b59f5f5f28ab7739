import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import type { RetrainOutcome } from '../../functions/events/retrain.js';
import { fuse } from '../../functions/fusion/index.js';
import { trainTask } from '../../functions/fusion/learned/task-train.js';
import { type S3Fixture, startS3 } from '../support/s3.js';
import { type Json, lambdaContext, s3Event } from '../events/shapes.js';

const ROOT = resolve(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(resolve(ROOT, 'examples/data', file), 'utf8');
const lines = (file: string, from: number, to: number) => read(file).split('\n').filter(Boolean).slice(from, to);

let s3: S3Fixture;
let handler: typeof import('../../functions/events/retrain.js').handler;

beforeAll(async () => {
  s3 = await startS3();
  Object.assign(process.env, s3.env);
  ({ handler } = await import('../../functions/events/retrain.js'));
});
afterAll(async () => {
  await s3?.stop();
});

async function getJson(key: string): Promise<Json> {
  const out = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
  return JSON.parse(await out.Body!.transformToString());
}
async function upload(profile: string, name: string, body: string): Promise<RetrainOutcome> {
  const key = `training/${profile}/${name}.jsonl`;
  const etag = await s3.put(key, body);
  const [outcome] = await handler(s3Event(s3.bucket, key, etag, body.length), lambdaContext('retrain'));
  return outcome!;
}

describe('S3-triggered retraining of a regression profile (ridge, guarded by squared error on the holdout)', () => {
  const profile = { ...JSON.parse(read('diabetes-3view/profile.json')), training: { model: 'ridge', alpha: 1 } };
  const train = lines('diabetes-3view/train.jsonl', 0, 200).join('\n');

  it('should promote a first ridge model that beats the mean on the holdout, equal to fusion train --model ridge on the same data, and fuse with it', async () => {
    await s3.put('profiles/diabetes-3view.json', profile);
    await s3.put('validation/diabetes-3view/h.jsonl', lines('diabetes-3view/test.jsonl', 0, 100).join('\n'));
    const outcome = await upload('diabetes-3view', 'first', train);
    expect(outcome.status, outcome.reason).toBe('promoted');
    expect(outcome.reason).toContain('mean squared error');
    const report = await getJson(outcome.reportKey!);
    expect(report.decision.holdout.candidateLoss).toBeLessThan(report.decision.holdout.baselineLoss);
    expect(report.evaluation.map((e: Json) => e.name)).toContain('new model (fitted on this data)');
    const stored = await getJson('profiles/diabetes-3view.json');
    expect(stored.model.key).toBe(outcome.modelKey);
    const artifact = await getJson(outcome.modelKey!);
    const cli = trainTask(train, profile, { model: 'ridge', alpha: 1 });
    expect(artifact.params).toEqual((cli as Json).artifact.params);
    // The promoted model's data is the new drift reference: each modality's decile histogram, as fusion train writes it.
    expect(Object.keys(stored.reference.histograms)).toEqual(['body', 'serum', 'bmi']);
    expect(stored.reference).toEqual({ ...cli.reference, createdAt: stored.reference.createdAt });
    const request = { task: 'regression', profile: 'diabetes-3view', predictions: { body: { value: 150 }, serum: { value: 170 } } };
    const answer = fuse('learned', request, () => ({ profile: stored, model: artifact })) as Json;
    expect(answer).toMatchObject({ task: 'regression', strategy: 'learned' });
    expect(answer.value).toBeCloseTo(artifact.params.intercept + artifact.params.coef[0] * 150 + artifact.params.coef[1] * 170 + artifact.params.coef[2] * artifact.fill.bmi, 9);
  });

  it('should not promote a model trained on poisoned targets, which loses on the holdout', async () => {
    const before = (await getJson('profiles/diabetes-3view.json')).model;
    const poisoned = lines('diabetes-3view/train.jsonl', 0, 200).map((l) => {
      const row = JSON.parse(l);
      return JSON.stringify({ ...row, value: 400 - row.value });
    });
    const outcome = await upload('diabetes-3view', 'poisoned', poisoned.join('\n'));
    expect(outcome.status).toBe('not-promoted');
    expect(outcome.reason).toMatch(/worse by .* on the holdout.*mean squared error/);
    expect((await getJson('profiles/diabetes-3view.json')).model).toEqual(before);
  });
});

describe('S3-triggered retraining of a multi-label profile (per-label logistic, guarded by mean per-label log loss)', () => {
  const profile = { ...JSON.parse(read('tags-3view/profile.json')), training: { model: 'logistic', C: 1, folds: 3 } };

  it('should promote a first model, then refuse one trained on inverted labels', async () => {
    await s3.put('profiles/tags-3view.json', profile);
    await s3.put('validation/tags-3view/h.jsonl', lines('tags-3view/test.jsonl', 0, 150).join('\n'));
    const first = await upload('tags-3view', 'first', lines('tags-3view/train.jsonl', 0, 300).join('\n'));
    expect(first.status, first.reason).toBe('promoted');
    expect(first.reason).toContain('mean per-label log loss');
    const report = await getJson(first.reportKey!);
    expect(report.decision).toMatchObject({ loss: 'mean per-label log loss', folds: 3, rows: 300 });
    expect(report.decision.holdout.candidateLoss).toBeLessThan(Math.LN2);
    expect(await getJson(first.modelKey!)).toMatchObject({ task: 'multilabel', kind: 'logistic', labels: profile.labels });
    const { reference } = await getJson('profiles/tags-3view.json');
    const cli = trainTask(lines('tags-3view/train.jsonl', 0, 300).join('\n'), profile, { model: 'logistic' });
    expect(reference).toEqual({ ...cli.reference, createdAt: reference.createdAt });
    expect(reference.rows).toBe(300);
    expect(Object.keys(reference.labelShares)).toEqual(['image', 'audio', 'text']);

    const inverted = lines('tags-3view/train.jsonl', 0, 300).map((l) => {
      const row = JSON.parse(l);
      return JSON.stringify({ ...row, labels: profile.labels.filter((x: string) => !row.labels.includes(x)) });
    });
    const second = await upload('tags-3view', 'inverted', inverted.join('\n'));
    expect(second.status).toBe('not-promoted');
    expect(second.reason).toContain('on the holdout');
    expect((await getJson('profiles/tags-3view.json')).model.key).toBe(first.modelKey);
  });
});

describe('retraining a task profile it cannot train', () => {
  it('should reject, with the reason in the report, a profile without training, a training model of another task, and data of another task', async () => {
    await s3.put('profiles/plain.json', { name: 'plain', task: 'regression', modalities: ['a', 'b'] });
    const none = await upload('plain', 'x', '{"predictions": {"a": {"value": 1}}, "value": 2}');
    expect(none).toMatchObject({ status: 'rejected', reason: expect.stringContaining('"model": "ridge"') });
    expect((await getJson(none.reportKey!)).decision.reason).toContain('no "training" section');

    await s3.put('profiles/wrong.json', { name: 'wrong', task: 'regression', modalities: ['a', 'b'], training: { model: 'logistic' } });
    const wrong = await upload('wrong', 'x', '{"predictions": {"a": {"value": 1}}, "value": 2}');
    expect(wrong).toMatchObject({ status: 'rejected', reason: expect.stringContaining('training.model of a regression profile must be "ridge"') });

    await s3.put('profiles/tags.json', { name: 'tags', task: 'multilabel', labels: ['x', 'y'], modalities: ['a', 'b'], training: { model: 'logistic' } });
    const data = await upload('tags', 'x', '{"predictions": {"a": {"value": 1}}, "value": 2}');
    expect(data).toMatchObject({ status: 'rejected', reason: expect.stringContaining('line 1') });
  });
});
