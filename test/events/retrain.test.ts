import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuseOne, getStrategy } from '../../functions/fusion/index.js';
import type { RetrainOutcome } from '../../functions/events/retrain.js';
import type { LocalServer } from '../../functions/local/server.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { type S3Fixture, startS3 } from '../support/s3.js';
import { type Json, lambdaContext, s3Event } from './shapes.js';

const DATA = resolve(import.meta.dirname, '../../examples/data/digits-3view');
const lines = (file: string, n?: number) => readFileSync(resolve(DATA, file), 'utf8').split('\n').filter(Boolean).slice(0, n).join('\n');
const profileBase = JSON.parse(readFileSync(resolve(DATA, 'profile.json'), 'utf8'));
const training = { model: 'logistic', C: 1, folds: 3, promotionMargin: 0, autoPromote: true }; // no holdout here: test/adversarial/io-retrain.test.ts covers it
const PROFILE_KEY = 'profiles/digits-3view.json';
const TTL_SECONDS = 1;

let s3: S3Fixture;
let proxy: FaultProxy;
let server: LocalServer;
let handler: typeof import('../../functions/events/retrain.js').handler;

beforeAll(async () => {
  s3 = await startS3();
  proxy = await startFaultProxy(s3.endpoint);
  Object.assign(process.env, s3.env, { AWS_ENDPOINT_URL_S3: proxy.endpoint, POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'ERROR' });
  await s3.put(PROFILE_KEY, { ...profileBase, training });
  ({ handler } = await import('../../functions/events/retrain.js'));
  const { startServer } = await import('../../functions/local/server.js');
  server = await startServer({ port: 0, env: { ...process.env, ...s3.env, FUSION_CACHE_TTL_SECONDS: String(TTL_SECONDS) } });
});

afterAll(async () => {
  await server?.close();
  await proxy?.close();
  await s3?.stop();
});

async function getJson(key: string): Promise<Json> {
  const out = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
  return JSON.parse(await out.Body!.transformToString());
}
async function getText(key: string): Promise<string> {
  return (await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))).Body!.transformToString();
}
const etagOf = async (key: string) => (await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }))).ETag;

async function uploadTraining(name: string, body: string): Promise<RetrainOutcome> {
  const key = `training/digits-3view/${name}.jsonl`;
  const etag = await s3.put(key, body);
  const [outcome] = await handler(s3Event(s3.bucket, key, etag, body.length), lambdaContext('retrain'));
  return outcome!;
}

const request = { profile: 'digits-3view', predictions: JSON.parse(lines('test.jsonl', 1)).predictions };
async function fuseLearned(): Promise<Json> {
  const res = await fetch(`${server.url}/v1/fuse/learned`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
  expect(res.status).toBe(200);
  return res.json();
}
/** What the learned strategy must answer with `artifact` as the profile's model. */
function expectedWith(artifact: unknown, profile: unknown) {
  return fuseOne(getStrategy('learned'), request, () => ({ profile: profile as never, model: artifact }));
}

describe('S3-triggered retraining', () => {
  let firstModelKey: string;

  it('should train a first model, point the profile at it and write the report with the decision', async () => {
    const outcome = await uploadTraining('first', lines('train.jsonl', 80));
    expect(outcome.status).toBe('promoted');
    expect(outcome.reason).toContain('no current model');
    firstModelKey = outcome.modelKey!;
    expect(firstModelKey).toMatch(/^models\/digits-3view\/\d{4}-\d\d-\d\dT[\d-]+Z\.json$/);
    const profile = await getJson(PROFILE_KEY);
    expect(profile.model).toEqual({ key: firstModelKey });
    expect(profile.training).toEqual(training);
    // The training data becomes the drift reference: one share per class for each modality, summing to 1.
    expect(profile.reference.rows).toBe(80);
    for (const shares of Object.values(profile.reference.shares) as number[][]) expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    const artifact = await getJson(firstModelKey);
    expect(artifact).toMatchObject({ format: 'fusion-model', kind: 'logistic', training: { rows: 80 } });

    const report = await getJson(outcome.reportKey!);
    expect(report).toMatchObject({ profile: 'digits-3view', promoted: true, model: { key: firstModelKey, kind: 'logistic' }, data: { rows: 80 } });
    expect(report.decision).toMatchObject({ promote: true, folds: 3, rows: 80 });
    expect(report.evaluation.entries.map((e: { name: string }) => e.name)).toContain('new model (fitted on this data)');
    const html = await getText(outcome.reportKey!.replace('report.json', 'report.html'));
    expect(html).toContain('Decision: promoted');
    expect(html).toContain('<svg');
  });

  it('should promote a model trained on more data and serve it from /v1/fuse/learned after the cache TTL', async () => {
    const before = await fuseLearned();
    const profileV1 = await getJson(PROFILE_KEY);
    expect(before.probabilities).toEqual(expectedWith(await getJson(firstModelKey), profileV1).probabilities);

    const outcome = await uploadTraining('more', lines('test.jsonl'));
    expect(outcome.status).toBe('promoted');
    const report = await getJson(outcome.reportKey!);
    expect(report.decision.candidateLogLoss).toBeLessThanOrEqual(report.decision.currentLogLoss);
    expect(report.previousModel).toEqual({ key: firstModelKey });
    const profileV2 = await getJson(PROFILE_KEY);
    expect(profileV2.model.key).toBe(outcome.modelKey);

    await new Promise((r) => setTimeout(r, TTL_SECONDS * 1000 + 200));
    const after = await fuseLearned();
    expect(after.profile.version).not.toBe(before.profile.version);
    expect(after.profile.version).toBe((await etagOf(PROFILE_KEY))!.replace(/"/g, ''));
    expect(after.probabilities).toEqual(expectedWith(await getJson(outcome.modelKey!), profileV2).probabilities);
    expect(after.probabilities).not.toEqual(before.probabilities);
  });

  it('should not promote a model trained on worse (too little) data, and say why in the report', async () => {
    const etag = await etagOf(PROFILE_KEY);
    const outcome = await uploadTraining('tiny', lines('train.jsonl', 30));
    expect(outcome.status).toBe('not-promoted');
    expect(outcome.reason).toMatch(/^not promoted: worse by/);
    expect(await etagOf(PROFILE_KEY)).toBe(etag);
    const report = await getJson(outcome.reportKey!);
    expect(report.promoted).toBe(false);
    expect(report.decision.candidateLogLoss).toBeGreaterThan(report.decision.currentLogLoss + report.decision.margin);
    expect(await getJson(outcome.modelKey!)).toMatchObject({ training: { rows: 30 } }); // kept for inspection
    expect(await getText(outcome.reportKey!.replace('report.json', 'report.html'))).toContain('Decision: not promoted');
  });

  it('should not overwrite a profile that another writer changed: the conditional write is refused', async () => {
    await s3.put(PROFILE_KEY, { ...(await getJson(PROFILE_KEY)), training: { ...training, promotionMargin: 100 } });
    const etag = await etagOf(PROFILE_KEY);
    proxy.set({ kind: 'status', status: 412, code: 'PreconditionFailed' }, { methods: ['PUT'], pathIncludes: PROFILE_KEY });
    let outcome: RetrainOutcome;
    try {
      outcome = await uploadTraining('racing', lines('train.jsonl', 60));
    } finally {
      proxy.heal();
    }
    expect(outcome.status).toBe('not-promoted');
    expect(outcome.reason).toContain('changed while training');
    expect(await etagOf(PROFILE_KEY)).toBe(etag);
    expect((await getJson(outcome.reportKey!)).decision).toMatchObject({ promote: false, conflict: true });
  });

  it('should reject data with a bad line, naming the line, without training or retrying', async () => {
    const etag = await etagOf(PROFILE_KEY);
    const body = `${lines('train.jsonl', 5)}\n{"predictions": {"top": {"probabilities": [1]}}, "label": "3"}\n`;
    const outcome = await uploadTraining('broken', body);
    expect(outcome).toMatchObject({ status: 'rejected' });
    expect(outcome.reason).toContain('line 6');
    expect(outcome.modelKey).toBeUndefined();
    expect((await getJson(outcome.reportKey!)).problem).toMatchObject({ status: 400 });
    expect(await etagOf(PROFILE_KEY)).toBe(etag);
  });

  it('should reject an upload for a profile without a training section, or with no profile at all', async () => {
    await s3.put('profiles/plain.json', { ...profileBase, name: 'plain' });
    const key = 'training/plain/x.jsonl';
    const etag = await s3.put(key, lines('train.jsonl', 10));
    const [outcome] = await handler(s3Event(s3.bucket, key, etag), lambdaContext('retrain'));
    expect(outcome).toMatchObject({ status: 'rejected' });
    expect(outcome!.reason).toContain('no "training" section');
    const ghost = 'training/ghost/x.jsonl';
    const [missing] = await handler(s3Event(s3.bucket, ghost, await s3.put(ghost, lines('train.jsonl', 10))), lambdaContext('retrain'));
    expect(missing).toMatchObject({ status: 'rejected', reason: expect.stringContaining('profiles/ghost.json does not exist') });
  });
});
