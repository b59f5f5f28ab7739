import { gzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type S3Fixture, startS3 } from '../support/s3.js';
import { lambdaContext } from '../events/shapes.js';
import { decisionsToday, decisionsYesterday, expected, feedback, jsonl, profile, today, yesterday } from './synthetic-log.js';

/**
 * The input the stack's schedules send, exactly as EventBridge Scheduler fills in the context
 * attributes (<aws.scheduler.scheduled-time> and friends).
 */
const schedulerInput = (scheduledTime: string, extra: Record<string, unknown> = {}) => ({
  scheduledTime,
  scheduleArn: 'arn:aws:scheduler:us-east-1:123456789012:schedule/default/LateFusion-LoopDatasetSchedule-1A2B3C4D5E6F',
  executionId: 'c6b5d3a1-0f0e-4c1a-9f0e-3b2a1c0d9e8f',
  attemptNumber: '1',
  ...extra,
});
const endOfToday = `${today}T23:59:00Z`;
/** An object as Firehose writes it: gzipped JSON lines. */
const putGz = (key: string, body: Uint8Array) => s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body }));

let s3: S3Fixture;
let jobs: typeof import('../../functions/events/loop-jobs.js');
let parseDataset: typeof import('../../functions/fusion/learned/data.js').parseDataset;
type Emf = Record<string, unknown> & { _aws: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] } };
let emf: Emf[] = [];

beforeAll(async () => {
  s3 = await startS3();
  Object.assign(process.env, s3.env, { POWERTOOLS_METRICS_DISABLED: 'false', POWERTOOLS_LOG_LEVEL: 'ERROR' });
  const training = { model: 'logistic', folds: 2, autoPromote: true };
  await s3.put('profiles/moods.json', { ...profile, training });
  await s3.put('profiles/plain.json', { ...profile, name: 'plain' });
  await putGz(`decisions/dt=${yesterday}/LateFusion-Decisions-1-${yesterday}.jsonl.gz`, gzipSync(jsonl(decisionsYesterday)));
  await putGz(`decisions/dt=${today}/LateFusion-Decisions-1-${today}.jsonl.gz`, gzipSync(`${jsonl(decisionsToday)}{"type":"decision"}\n`));
  await putGz(`feedback/dt=${today}/LateFusion-Feedback-1-${today}.jsonl.gz`, gzipSync(jsonl(feedback)));
  jobs = await import('../../functions/events/loop-jobs.js');
  ({ parseDataset } = await import('../../functions/fusion/learned/data.js'));
});
afterAll(async () => {
  await s3?.stop();
  for (const k of ['FUSION_LOOP_MAX_OBJECTS', 'FUSION_LOOP_DAYS']) delete process.env[k];
});
beforeEach(() => {
  emf = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    for (const l of String(chunk).split('\n').filter(Boolean)) {
      const rec = JSON.parse(l) as Emf;
      if (rec._aws) emf.push(rec);
    }
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

const text = async (key: string) => (await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))).Body!.transformToString();
/** The EMF value of `metric` for these dimension values. */
const metric = (name: string, dims: Record<string, string>) =>
  emf.filter((r) => r._aws.CloudWatchMetrics[0]!.Metrics.some((m) => m.Name === name) && Object.entries(dims).every(([k, v]) => r[k] === v)).map((r) => r[name]);

describe('the scheduled dataset job', () => {
  it('should write each training profile’s labelled decisions of the window to training/<profile>/<date>.jsonl, which retraining reads', async () => {
    const summary = await jobs.dataset(schedulerInput(endOfToday, { days: 2 }), lambdaContext('LoopDatasetFunction'));
    const key = `training/moods/${today}.jsonl`;
    expect(summary.profiles.moods).toMatchObject({ key, decisions: 8, labelled: 6, unknownLabels: 1, unlabelled: 1, orphanLabels: 1, repeatedDecisions: 1, conflicts: 1 });
    expect(summary.profiles.plain).toEqual({ skipped: expect.stringMatching(/^no "training" section/) });
    expect(summary.unreadableLines).toBe(1);
    const body = await text(key);
    const lines = body.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => `${l.id}:${l.label}`)).toEqual(['d1:pos', 'd2:neg', 'd3:neg', 'd4:neg', 'd5:pos', 'd6:neg']);
    // What retraining (functions/events/retrain.ts) does with the file: parse it against the profile.
    expect(parseDataset(body, { ...profile, reference: undefined } as never).examples).toHaveLength(6);
  });

  it('should read only the window before the scheduled time (one day by default)', async () => {
    const summary = await jobs.dataset(schedulerInput(endOfToday, { profiles: ['moods'] }));
    expect(summary.from).toBe(new Date(Date.parse(endOfToday) - 86_400_000).toISOString());
    expect(summary.profiles.moods).toMatchObject({ decisions: 4, labelled: 2 });
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'training/' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual([`training/moods/${today}.jsonl`]);
  });

  it('should refuse an input that is not the scheduler’s, naming the field', async () => {
    await expect(jobs.dataset({ scheduledTime: 'yesterday' })).rejects.toThrow(/scheduledTime: scheduledTime must be an ISO 8601 time/);
    await expect(jobs.dataset(schedulerInput(endOfToday, { days: 90 }))).rejects.toThrow(/days: days must be from 1 to 31/);
    await expect(jobs.dataset(schedulerInput(endOfToday, { profiles: ['../etc'] }))).rejects.toThrow(/profiles\.0: a profile name/);
  });
});

describe('the scheduled drift summariser', () => {
  it('should emit PSI, missing rate and the other statistics per profile and modality, and the worst of them', async () => {
    const summary = await jobs.drift(schedulerInput(endOfToday, { days: 2 }), lambdaContext('LoopDriftFunction'));
    expect(summary.profiles.moods).toMatchObject({ decisions: 8 });
    expect(summary.profiles.other).toEqual({ decisions: 1, skipped: expect.stringContaining('other') });
    expect(metric('PSI', { profile: 'moods', modality: 'text' })[0]).toBeCloseTo(expected.textPsi, 6);
    expect(metric('PSI', { profile: 'moods', modality: 'audio' })[0]).toBeCloseTo(0, 6);
    expect(metric('MissingRate', { profile: 'moods', modality: 'audio' })).toEqual([0.25]);
    expect(metric('MeanConfidence', { profile: 'moods', modality: 'text' })[0]).toBeCloseTo((0.9 + 0.8 + 0.7 + 0.9 + 0.8 + 0.6 + 0.6 + 0.9) / 8, 12);
    const worst = emf.find((r) => r.MaxPSI !== undefined)!;
    expect(worst._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['service']]);
    expect(worst.MaxPSI).toBeCloseTo(expected.textPsi, 6);
    expect(worst.MaxMissingRate).toBe(0.25);
  });

  it('should read decisions and profiles only, never feedback (its role may not)', async () => {
    const { driftJob } = await import('../../functions/loop/jobs.js');
    const { bucketSource } = await import('../../functions/loop/logs.js');
    const { createStore } = await import('../../functions/store/index.js');
    const listed: string[] = [];
    const source = bucketSource(s3.client, s3.bucket);
    const watched = { ...source, keys: (prefix: string) => (listed.push(prefix), source.keys(prefix)) };
    const summary = await driftJob({ source: watched, store: createStore(process.env) }, { scheduledTime: endOfToday, days: 2 }, { days: 1, minRows: 1, limits: { maxObjects: 10, maxLines: 100 } });
    expect(summary.profiles.moods).toMatchObject({ decisions: 8 });
    expect(listed).toEqual(['decisions/']);
  });

  it('should report when the read bounds cut the window short', async () => {
    process.env.FUSION_LOOP_MAX_OBJECTS = '1';
    try {
      const summary = await jobs.drift(schedulerInput(endOfToday, { days: 2 }));
      expect(summary.truncated).toEqual([expect.stringMatching(/^decisions\/: more than 1 objects/)]);
      expect(summary.profiles.moods).toMatchObject({ decisions: 4 });
    } finally {
      delete process.env.FUSION_LOOP_MAX_OBJECTS;
    }
  });
});
