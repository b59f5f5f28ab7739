/**
 * Issue 11, item 11: whoever can write `training/` must not get a poisoned model promoted. The
 * decision is made on the operator's holdout (`validation/<profile>/*.jsonl`); without one a
 * retrained model is published and reported, and the profile is switched only with
 * `training.autoPromote: true`. (That the retrain function cannot write `validation/` is checked
 * on the synthesised policy in io-infra.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RetrainOutcome } from '../../functions/events/retrain.js';
import { type S3Fixture, startS3 } from '../support/s3.js';
import { type Json, lambdaContext, s3Event } from '../events/shapes.js';

const DATA = resolve(import.meta.dirname, '../../examples/data/digits-3view');
const rows = readFileSync(resolve(DATA, 'train.jsonl'), 'utf8').split('\n').filter(Boolean);
const base = JSON.parse(readFileSync(resolve(DATA, 'profile.json'), 'utf8'));
const training = { model: 'logistic', C: 1, folds: 2 };
/** The same rows with every label moved to the next digit: a model that learns it is confidently wrong. */
const poisoned = (lines: string[]) => lines.map((l) => JSON.stringify({ ...JSON.parse(l), label: String((Number(JSON.parse(l).label) + 1) % 10) }));

let s3: S3Fixture;
let handler: typeof import('../../functions/events/retrain.js').handler;

beforeAll(async () => {
  s3 = await startS3();
  Object.assign(process.env, s3.env, { POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'ERROR' });
  await s3.put('profiles/guarded.json', { ...base, name: 'guarded', training });
  await s3.put('validation/guarded/holdout.jsonl', rows.slice(300, 450).join('\n'));
  await s3.put('profiles/open.json', { ...base, name: 'open', training });
  ({ handler } = await import('../../functions/events/retrain.js'));
});
afterAll(async () => s3?.stop());

const getJson = async (key: string): Promise<Json> => JSON.parse(await (await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))).Body!.transformToString());
const etagOf = async (key: string) => (await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }))).ETag;
async function upload(profile: string, name: string, lines: string[]): Promise<RetrainOutcome> {
  const key = `training/${profile}/${name}.jsonl`;
  const [outcome] = await handler(s3Event(s3.bucket, key, await s3.put(key, lines.join('\n'))), lambdaContext('retrain'));
  return outcome!;
}

describe('retraining with an operator holdout', () => {
  it('should promote a first model that beats knowing nothing on the holdout', async () => {
    const outcome = await upload('guarded', 'good', rows.slice(0, 100));
    expect(outcome.status).toBe('promoted');
    expect(outcome.reason).toMatch(/^promoted as the first model: .* on the 150 rows of s3:\/\/fusion-test\/validation\/guarded\/\*\.jsonl/);
    expect((await getJson('profiles/guarded.json')).model).toEqual({ key: outcome.modelKey });
  });

  it('should not promote a model trained on poisoned labels, which wins on its own data but loses on the holdout', async () => {
    const etag = await etagOf('profiles/guarded.json');
    const outcome = await upload('guarded', 'poison', poisoned(rows.slice(0, 200)));
    expect(outcome.status).toBe('not-promoted');
    expect(outcome.reason).toMatch(/^not promoted: worse by .* on the holdout/);
    expect(await etagOf('profiles/guarded.json')).toBe(etag);
    const report = await getJson(outcome.reportKey!);
    expect(report.holdout).toEqual({ source: 's3://fusion-test/validation/guarded/*.jsonl', rows: 150 });
    // On the uploaded data the poisoned model looks better: that comparison alone would have promoted it.
    expect(report.decision.candidateLogLoss).toBeLessThan(report.decision.holdout.currentLogLoss);
    expect(report.decision.holdout.candidateLogLoss).toBeGreaterThan(report.decision.holdout.currentLogLoss);
  });
});

describe('retraining without a holdout', () => {
  it('should publish and report the model but leave the profile alone unless training.autoPromote is true', async () => {
    const etag = await etagOf('profiles/open.json');
    const outcome = await upload('open', 'first', rows.slice(0, 60));
    expect(outcome.status).toBe('not-promoted');
    expect(outcome.reason).toContain('training.autoPromote is not true');
    expect(await getJson(outcome.modelKey!)).toMatchObject({ format: 'fusion-model', training: { rows: 60 } });
    expect(await getJson(outcome.reportKey!)).toMatchObject({ promoted: false, holdout: null });
    expect(await etagOf('profiles/open.json')).toBe(etag);

    await s3.put('profiles/open.json', { ...base, name: 'open', training: { ...training, autoPromote: true } });
    expect((await upload('open', 'second', rows.slice(0, 60))).status).toBe('promoted');
  });
});
