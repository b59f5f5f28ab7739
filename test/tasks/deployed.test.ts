import { GetObjectCommand } from '@aws-sdk/client-s3';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { withoutDecisionIds } from '../support/decision-id.js';

// Metrics on: these tests read the EMF records each path writes.
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
});

import { fuse } from '../../functions/fusion/index.js';
import { createStore } from '../../functions/store/index.js';
import { type DynamoFixture, startDynamo } from '../support/dynamo.js';
import { type S3Fixture, startS3 } from '../support/s3.js';
import { type Json, lambdaContext, s3Event, sqsEvent, sqsRecord } from '../events/shapes.js';

/**
 * Regression and multi-label requests in the deployed shape: profiles in S3 (s3rver), SQS
 * messages and join arrivals through the SQS function (fauxqs), joins stored in DynamoDB
 * (dynalite), S3 batch files; with the `task` dimension of each path's metrics.
 */
let sqs: FauxqsServer;
let dynamo: DynamoFixture;
let s3: S3Fixture;
let sqsHandler: typeof import('../../functions/events/sqs.js').handler;
let batchHandler: typeof import('../../functions/events/s3-batch.js').handler;

const RJOIN = { name: 'rjoin', task: 'regression', modalities: ['a', 'b', 'c'], weights: { a: 2 }, join: { strategy: 'inverse-variance', windowSeconds: 30 } };
const MJOIN = { name: 'mjoin', task: 'multilabel', labels: ['x', 'y', 'z'], modalities: ['img', 'txt'], threshold: 0.6, join: { strategy: 'product', windowSeconds: 30 } };
const lookupOf = async (name: string) => {
  const resolved = await createStore(process.env).getProfile(name);
  return () => resolved;
};

const emf: Json[] = [];
beforeAll(async () => {
  sqs = await startFauxqs({ port: 0, logger: false });
  for (const q of ['results', 'timers']) sqs.createQueue(q);
  dynamo = await startDynamo();
  s3 = await startS3();
  await s3.put('profiles/rjoin.json', RJOIN);
  await s3.put('profiles/mjoin.json', MJOIN);
  Object.assign(process.env, s3.env, {
    AWS_ENDPOINT_URL_SQS: sqs.address,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_MAX_ATTEMPTS: '1',
    FUSION_JOINS_TABLE: dynamo.table,
    FUSION_JOINS_TIMER_QUEUE_URL: `${sqs.address}/000000000000/timers`,
    FUSION_RESULTS_QUEUE_URL: `${sqs.address}/000000000000/results`,
  });
  const write = process.stdout.write.bind(process.stdout);
  vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string, ...rest: never[]) => {
    if (typeof chunk === 'string' && chunk.startsWith('{"_aws"')) return void emf.push(...chunk.trim().split('\n').map((l) => JSON.parse(l))), true;
    return write(chunk, ...rest);
  }) as typeof process.stdout.write);
  ({ handler: sqsHandler } = await import('../../functions/events/sqs.js'));
  ({ handler: batchHandler } = await import('../../functions/events/s3-batch.js'));
});
afterAll(async () => {
  vi.restoreAllMocks();
  await sqs?.stop();
  await dynamo?.stop();
  await s3?.stop();
});
beforeEach(() => {
  sqs.reset();
  emf.length = 0;
});

const results = () => sqs.inspectQueue('results')!.messages.ready.map((m) => ({ body: JSON.parse(m.body) as Json, outcome: m.messageAttributes.outcome?.StringValue }));
/** The value of metric `name` in the EMF record whose dimensions are exactly `dims` (besides service). */
function metric(name: string, dims: Record<string, string>): number | undefined {
  const record = emf.find((r) => name in r && JSON.stringify(r._aws.CloudWatchMetrics[0].Dimensions[0].slice().sort()) === JSON.stringify(['service', ...Object.keys(dims)].sort()) && Object.entries(dims).every(([k, v]) => r[k] === v));
  return record?.[name];
}
const arrival = (profile: string, id: string, modality: string, prediction: unknown) => sqsRecord(JSON.stringify({ join: { profile, id, modality }, prediction }));

describe('SQS messages of each task', () => {
  it('should answer regression, multi-label and classification messages, a bad one with its problem, and count fused messages by task', async () => {
    const reg = { task: 'regression', predictions: { a: { value: 1 }, b: { value: 3 }, c: { value: 8 } } };
    const ml = { task: 'multilabel', labels: ['x', 'y'], predictions: { img: { scores: [0.9, 0.1] }, txt: { scores: { x: 0.7, y: 0.4 } } } };
    const cls = { classes: ['n', 'p'], predictions: { a: { probabilities: [0.2, 0.8] } } };
    const records = [
      sqsRecord(JSON.stringify({ id: 'r', strategy: 'median', ...reg })),
      sqsRecord(JSON.stringify({ id: 'm', strategy: 'average', ...ml })),
      sqsRecord(JSON.stringify({ id: 'c', ...cls }), { strategy: 'average' }),
      sqsRecord(JSON.stringify({ id: 'bad', strategy: 'average', task: 'multilabel', labels: ['x'], predictions: { img: { scores: [1.5] } } })),
      sqsRecord(JSON.stringify({ id: 'rb', strategy: 'average', task: 'regression', items: [reg, { ...reg, weights: { c: 0 } }] })),
    ];
    expect((await sqsHandler(sqsEvent(records), lambdaContext('sqs'))).batchItemFailures).toEqual([]);
    const byId = Object.fromEntries(results().map((r) => [r.body.id, r]));
    expect(withoutDecisionIds(byId.r!.body.result).answer).toEqual(fuse('median', { id: 'r', ...reg }));
    expect(withoutDecisionIds(byId.m!.body.result).answer).toEqual(fuse('average', { id: 'm', ...ml }));
    expect(withoutDecisionIds(byId.c!.body.result).answer).toEqual(fuse('average', { id: 'c', ...cls }));
    expect(byId.rb!.body.result.results.map((x: Json) => x.value)).toEqual([4, 2]);
    expect(byId.bad).toMatchObject({ outcome: 'problem', body: { error: { status: 400, errors: [{ path: 'predictions.img.scores.0' }] } } });
    expect(metric('QueueFused', {})).toBe(4);
    expect([metric('QueueFused', { task: 'regression' }), metric('QueueFused', { task: 'multilabel' }), metric('QueueFused', { task: 'classification' })]).toEqual([2, 1, 1]);
  });
});

describe('joins of regression and multi-label profiles (SQS, DynamoDB)', () => {
  it('should decide a regression join equal to the synchronous inverse-variance answer, and refuse arrivals of the wrong form naming the field', async () => {
    const P = { a: { value: 1.8, std: 0.5 }, b: { value: 0.9, std: 1.2 }, c: { value: 1.1, std: 0.7 } };
    await sqsHandler(sqsEvent([arrival('rjoin', 'j1', 'a', P.a), arrival('rjoin', 'j1', 'b', P.b)]), lambdaContext('sqs'));
    const bad = [
      arrival('rjoin', 'j1', 'c', { value: 1.1 }),
      arrival('rjoin', 'j1', 'c', { probabilities: [0.5, 0.5] }),
      arrival('rjoin', 'j1', 'c', { value: 'high', std: 1 }),
      arrival('rjoin', 'j1', 'c', { value: 1, std: -1 }),
    ];
    await sqsHandler(sqsEvent(bad), lambdaContext('sqs'));
    const problems = results().filter((r) => r.outcome === 'problem').map((r) => r.body.error);
    expect(problems.map((p) => [p.status, p.errors[0].path])).toEqual([[400, 'std'], [400, 'value'], [400, 'value'], [400, 'std']]);
    expect(problems[0].errors[0].message).toContain('inverse-variance');
    expect(JSON.stringify(problems[1])).toContain('a regression prediction has only the fields value, std');
    sqs.reset();
    emf.length = 0;
    await sqsHandler(sqsEvent([arrival('rjoin', 'j1', 'c', P.c)]), lambdaContext('sqs'));
    const outcome = results().find((r) => r.body.idempotencyKey === 'rjoin/j1')!.body.join;
    const { state, trigger, joinId, decidedAt: _d, arrivals: _a, ...decision } = outcome;
    expect({ state, trigger, joinId }).toEqual({ state: 'decided', trigger: 'complete', joinId: 'j1' });
    expect(decision).toEqual({ ...fuse('inverse-variance', { task: 'regression', id: 'j1', profile: 'rjoin', predictions: P }, await lookupOf('rjoin')), decisionId: 'j1' });
    expect(decision).toMatchObject({ task: 'regression', strategy: 'inverse-variance', std: expect.any(Number) });
    expect(metric('JoinsDecided', { task: 'regression' })).toBe(1);
    expect(metric('JoinsDecided', {})).toBe(1);
    expect(metric('QueueFused', { task: 'regression' })).toBe(1);
  });

  it('should decide a multi-label join (scores as an array and as a record) equal to the synchronous product answer', async () => {
    const P = { img: { scores: [0.9, 0.2, 0.6] }, txt: { scores: { x: 0.7, y: 0.5, z: 0.4 } } };
    await sqsHandler(sqsEvent([arrival('mjoin', 'k1', 'img', P.img), arrival('mjoin', 'k1', 'txt', { scores: [0.7] })]), lambdaContext('sqs'));
    expect(results().find((r) => r.outcome === 'problem')!.body.error).toMatchObject({ status: 400, errors: [{ path: 'scores' }] });
    await sqsHandler(sqsEvent([arrival('mjoin', 'k1', 'txt', P.txt)]), lambdaContext('sqs'));
    const outcome = results().find((r) => r.body.idempotencyKey === 'mjoin/k1')!.body.join;
    const { state, trigger: _t, joinId: _j, decidedAt: _d, arrivals: _a, ...decision } = outcome;
    expect(state).toBe('decided');
    expect(decision).toEqual({ ...fuse('product', { task: 'multilabel', id: 'k1', profile: 'mjoin', predictions: P }, await lookupOf('mjoin')), decisionId: 'k1' });
    expect(decision.labels).toEqual(['x']);
    expect(metric('JoinsDecided', { task: 'multilabel' })).toBe(1);
  });
});

describe('S3 batch files with regression and multi-label lines', () => {
  it('should fuse every good line of each task, report the bad one, and count fused lines by task', async () => {
    const lines = [
      { id: 1, task: 'regression', predictions: { a: { value: 1 }, b: { value: 2 }, c: { value: 9 } } },
      { id: 2, task: 'multilabel', labels: ['x', 'y'], predictions: { a: { scores: [0.2, 0.9] }, b: { scores: [0.4, 0.7] } } },
      { id: 3, task: 'regression', predictions: { a: { value: 1, std: 0 } } },
      { id: 4, task: 'multilabel', profile: 'mjoin', predictions: { img: { scores: [0.9, 0.1, 0.7] } } },
      { id: 5, classes: ['n', 'p'], predictions: { a: { probabilities: [0.3, 0.7] } } },
    ].map((l) => JSON.stringify(l));
    const key = 'batch/in/median/tasks.jsonl';
    const body = lines.join('\n');
    const [outcome] = await batchHandler(s3Event(s3.bucket, key, await s3.put(key, body), body.length), lambdaContext('s3-batch'));
    expect(outcome).toMatchObject({ status: 'fused', summary: { lines: 5, fused: 4, failed: 1, fusedByTask: { regression: 1, multilabel: 2, classification: 1 } } });
    const read = async (k: string) => (await (await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: k }))).Body!.transformToString()).split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const out = await read('batch/out/median/tasks.jsonl');
    expect(out.map((r) => [r.id, r.result.task ?? 'classification'])).toEqual([[1, 'regression'], [2, 'multilabel'], [4, 'multilabel'], [5, 'classification']]);
    expect(out[0].result.value).toBe(2);
    expect(out[2].result).toMatchObject({ profile: { name: 'mjoin' }, labels: ['x', 'z'] });
    expect(await read('batch/out/median/tasks.errors.jsonl')).toMatchObject([{ line: 3, id: 3, error: { status: 400, errors: [{ path: 'predictions.a.std' }] } }]);
    expect(metric('BatchLinesFused', { strategy: 'median' })).toBe(4);
    expect([metric('BatchLinesFused', { strategy: 'median', task: 'regression' }), metric('BatchLinesFused', { strategy: 'median', task: 'multilabel' })]).toEqual([1, 2]);
  });

  it('should count the tasks of a Distributed Map batch too', async () => {
    const items = [
      { index: 0, request: { task: 'regression', predictions: { a: { value: 1 } } } },
      { index: 1, request: { task: 'regression', predictions: { a: { value: 'x' } } } },
    ];
    const records = await batchHandler({ BatchInput: { bucket: s3.bucket, key: 'big.jsonl', strategy: 'average' }, Items: items }, lambdaContext('s3-batch'));
    expect(records.map((r) => ('result' in r ? 'ok' : r.error.errors![0]!.path))).toEqual(['ok', 'predictions.a.value']);
    expect(metric('BatchLinesFused', { strategy: 'average', task: 'regression' })).toBe(1);
  });
});
