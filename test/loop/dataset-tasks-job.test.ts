/**
 * The scheduled dataset job for regression and multi-label profiles over s3rver: it writes
 * `training/<profile>/<date>.jsonl` in the lines the task's retraining reads, and the
 * S3-triggered retraining (functions/events/retrain.ts) consumes the file as uploaded.
 */
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import type { RetrainOutcome } from '../../functions/events/retrain.js';
import { type Json, lambdaContext, s3Event } from '../events/shapes.js';
import { type S3Fixture, startS3 } from '../support/s3.js';
import * as log from './synthetic-dataset-log.js';

let s3: S3Fixture;
let jobs: typeof import('../../functions/events/loop-jobs.js');
let retrain: typeof import('../../functions/events/retrain.js').handler;

const run = { scheduledTime: `${log.today}T23:59:00Z`, scheduleArn: 'arn:aws:scheduler:us-east-1:123456789012:schedule/default/LateFusion-LoopDatasetSchedule-1A2B3C4D5E6F', executionId: 'c6b5d3a1-0f0e-4c1a-9f0e-3b2a1c0d9e8f', attemptNumber: '1', days: 2 };
const putGz = (key: string, rows: unknown[]) => s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: gzipSync(log.jsonl(rows)) }));
const text = async (key: string) => (await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))).Body!.transformToString();

beforeAll(async () => {
  s3 = await startS3();
  Object.assign(process.env, s3.env);
  const training = { folds: 2, autoPromote: true };
  await s3.put('profiles/yields.json', { ...log.regressionProfile, training: { model: 'ridge', alpha: 1, ...training } });
  await s3.put('profiles/scenes.json', { ...log.multilabelProfile, training: { model: 'logistic', ...training } });
  await putGz(`decisions/dt=${log.yesterday}/LateFusion-Decisions-1-${log.yesterday}.jsonl.gz`, log.regressionDecisionsYesterday);
  await putGz(`decisions/dt=${log.today}/LateFusion-Decisions-1-${log.today}.jsonl.gz`, [...log.regressionDecisionsToday, ...log.multilabelDecisions, ...log.classificationDecisions]);
  await putGz(`feedback/dt=${log.yesterday}/LateFusion-Feedback-1-${log.yesterday}.jsonl.gz`, log.feedbackYesterday);
  // m5 also gets a label the profile lacks: retraining would reject the file, so the job drops the line.
  const bird = { type: 'feedback', decisionId: 'm5', labels: ['bird'], source: 'late', receivedAt: `${log.today}T14:00:00.000Z` };
  await putGz(`feedback/dt=${log.today}/LateFusion-Feedback-1-${log.today}.jsonl.gz`, [...log.feedbackToday, bird]);
  jobs = await import('../../functions/events/loop-jobs.js');
  ({ handler: retrain } = await import('../../functions/events/retrain.js'));
});
afterAll(async () => {
  await s3?.stop();
});

async function retrained(key: string): Promise<RetrainOutcome> {
  const body = await text(key);
  const [outcome] = await retrain(s3Event(s3.bucket, key, 'etag', body.length), lambdaContext('retrain'));
  return outcome!;
}
const getJson = async (key: string): Promise<Json> => JSON.parse(await text(key));

describe('the scheduled dataset job for regression and multi-label profiles', () => {
  it('should write each profile’s lines of its task, counting mismatched feedback and unknown labels', async () => {
    const summary = await jobs.dataset(run, lambdaContext('LoopDatasetFunction'));
    expect(summary.profiles.yields).toEqual({ task: 'regression', ...log.expected.regression.report, unknownLabels: 0, key: `training/yields/${log.today}.jsonl` });
    expect(summary.profiles.scenes).toEqual({
      task: 'multilabel',
      ...log.expected.multilabel.report,
      labelled: 5,
      unlabelled: 0,
      unknownLabels: 1,
      key: `training/scenes/${log.today}.jsonl`,
    });
    // Only stored (or configured) profiles are written: moods is in the log only.
    expect(summary.profiles.moods).toBeUndefined();
    const lines = (await text(`training/yields/${log.today}.jsonl`)).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual(log.expected.regression.lines);
    const labels = (await text(`training/scenes/${log.today}.jsonl`)).trim().split('\n').map((l) => JSON.parse(l));
    expect(labels).toEqual(log.expected.multilabel.lines);
  });

  it('should hand retraining a regression file it trains a ridge model on and promotes', async () => {
    const outcome = await retrained(`training/yields/${log.today}.jsonl`);
    expect(outcome.status, outcome.reason).toBe('promoted');
    const model = await getJson(outcome.modelKey!);
    expect(model).toMatchObject({ kind: 'ridge', training: { rows: 5 } });
    const profile = await getJson('profiles/yields.json');
    expect(profile.model.key).toBe(outcome.modelKey);
    expect(Object.keys(profile.reference.histograms)).toEqual(['a', 'b']);
    const report = await getJson(outcome.reportKey!);
    expect(report.data.rows).toBe(5);
  });

  it('should hand retraining a multi-label file it trains per-label logistic regressions on', async () => {
    const outcome = await retrained(`training/scenes/${log.today}.jsonl`);
    expect(outcome.status, outcome.reason).toBe('promoted');
    expect((await getJson(outcome.modelKey!)).training.rows).toBe(5);
  });
});
