import { type FauxqsServer, startFauxqs } from 'fauxqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { type S3Fixture, startS3 } from '../support/s3.js';
import { type Json, lambdaContext, sqsEvent, sqsRecord } from './shapes.js';

let sqs: FauxqsServer;
let sqsProxy: FaultProxy;
let s3: S3Fixture;
let s3Proxy: FaultProxy;
let handler: typeof import('../../functions/events/sqs.js').handler;

const request = (id: string | number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ id, classes: ['neg', 'pos'], predictions: { text: { probabilities: [0.2, 0.8] }, audio: { probabilities: [0.6, 0.4] } }, ...extra });

beforeAll(async () => {
  sqs = await startFauxqs({ port: 0, logger: false });
  sqs.createQueue('results');
  sqsProxy = await startFaultProxy(sqs.address);
  s3 = await startS3();
  s3Proxy = await startFaultProxy(s3.endpoint);
  await s3.put('profiles/sentiment.json', { name: 'sentiment', classes: ['negative', 'neutral', 'positive'], modalities: ['text', 'video', 'audio'] });
  await s3.put('profiles/fresh.json', { name: 'fresh', classes: ['neg', 'pos'], modalities: ['text', 'audio'] });
  Object.assign(process.env, s3.env, {
    AWS_ENDPOINT_URL_S3: s3Proxy.endpoint,
    FUSION_S3_TIMEOUT_MS: '1000',
    AWS_ENDPOINT_URL_SQS: sqsProxy.endpoint,
    FUSION_RESULTS_QUEUE_URL: `${sqsProxy.endpoint}/000000000000/results`,
    FUSION_SQS_TIMEOUT_MS: '1000',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
  ({ handler } = await import('../../functions/events/sqs.js'));
});

afterAll(async () => {
  await sqsProxy?.close();
  await s3Proxy?.close();
  await sqs?.stop();
  await s3?.stop();
});

beforeEach(() => {
  sqs.reset();
  sqsProxy.heal();
  s3Proxy.heal();
});

/** The answers on the results queue, by the source message id. */
function answers(): Map<string, { body: Json; attributes: Record<string, { StringValue?: string }> }> {
  const ready = sqs.inspectQueue('results')!.messages.ready as unknown as { body: string; messageAttributes: Record<string, { StringValue?: string }> }[];
  return new Map(ready.map((m) => [JSON.parse(m.body).sourceMessageId, { body: JSON.parse(m.body), attributes: m.messageAttributes }]));
}

describe('SQS handler', () => {
  it('should answer every message, valid or not, on the results queue in batched sends, and retry none', async () => {
    const valid = [sqsRecord(request('a', { strategy: 'average' })), sqsRecord(request('b'), { strategy: 'max' }), sqsRecord(JSON.stringify({ id: 'p', strategy: 'average', profile: 'sentiment', predictions: { text: { label: 'positive' } } }))];
    const invalid = {
      json: sqsRecord('{"id": "x", "strategy": '),
      request: sqsRecord(request('r', { strategy: 'average', predictions: { text: { probabilities: [0.5, 0.9] } } })),
      strategy: sqsRecord(request('s', { strategy: 'mean' })),
      noStrategy: sqsRecord(request('n')),
      profile: sqsRecord(JSON.stringify({ id: 'q', strategy: 'average', profile: 'nope', predictions: { text: { label: 'a' } } })),
    };
    const batch = sqsRecord(JSON.stringify({ strategy: 'average', id: 'many', classes: ['neg', 'pos'], items: [{ predictions: { t: { label: 'pos' } } }, { predictions: { t: { label: 'neg' } } }] }));
    const filler = Array.from({ length: 4 }, (_, i) => sqsRecord(request(i, { strategy: 'vote' })));
    const records = [...valid, ...Object.values(invalid), batch, ...filler];

    const response = await handler(sqsEvent(records), lambdaContext('sqs'));

    expect(response.batchItemFailures).toEqual([]);
    const got = answers();
    expect(got.size).toBe(13);
    expect(sqsProxy.count({ method: 'POST' })).toBe(2); // 13 answers: one call of 10, one of 3
    expect(got.get(valid[0]!.messageId)!.body).toMatchObject({ id: 'a', strategy: 'average', result: { label: 'pos' } });
    expect(got.get(valid[0]!.messageId)!.body.result.probabilities.pos).toBeCloseTo(0.6, 12);
    expect(got.get(valid[1]!.messageId)!.body).toMatchObject({ id: 'b', strategy: 'max', result: { strategy: 'max', label: 'pos' } });
    expect(got.get(valid[2]!.messageId)!.body.result).toMatchObject({ label: 'positive', profile: { name: 'sentiment' } });
    expect(got.get(valid[0]!.messageId)!.attributes.outcome!.StringValue).toBe('fused');
    expect(got.get(batch.messageId)!.body.result.results.map((r: { label: string }) => r.label)).toEqual(['pos', 'neg']);

    const problem = (r: { messageId: string }) => got.get(r.messageId)!.body;
    expect(problem(invalid.json)).toMatchObject({ id: null, error: { status: 400, type: 'urn:problem:late-fusion:invalid-json' } });
    expect(problem(invalid.request)).toMatchObject({ id: 'r', error: { status: 400, errors: [{ path: 'predictions.text.probabilities' }] } });
    expect(problem(invalid.strategy)).toMatchObject({ id: 's', strategy: 'mean', error: { status: 404 } });
    expect(problem(invalid.noStrategy)).toMatchObject({ id: 'n', error: { status: 400, errors: [{ path: 'strategy' }] } });
    expect(problem(invalid.profile)).toMatchObject({ id: 'q', error: { status: 404 } });
    expect(got.get(invalid.json.messageId)!.attributes.outcome!.StringValue).toBe('problem');
  });

  it('should answer regression and multi-label messages, and a 400 for a strategy without the task’s form', async () => {
    const regression = sqsRecord(JSON.stringify({ id: 'r', strategy: 'inverse-variance', task: 'regression', predictions: { a: { value: 1, std: 1 }, b: { value: 3, std: 1 } } }));
    const multilabel = sqsRecord(JSON.stringify({ id: 'm', strategy: 'max', task: 'multilabel', labels: ['x', 'y'], predictions: { a: { scores: [0.8, 0.1] } } }));
    const unsupported = sqsRecord(JSON.stringify({ id: 'u', strategy: 'borda', task: 'regression', predictions: { a: { value: 1 } } }));
    const response = await handler(sqsEvent([regression, multilabel, unsupported]), lambdaContext('sqs'));
    expect(response.batchItemFailures).toEqual([]);
    const got = answers();
    expect(got.get(regression.messageId)!.body.result).toMatchObject({ task: 'regression', value: 2 });
    expect(got.get(regression.messageId)!.body.result.std).toBeCloseTo(Math.SQRT1_2, 12);
    expect(got.get(multilabel.messageId)!.body.result).toMatchObject({ task: 'multilabel', labels: ['x'] });
    expect(got.get(unsupported.messageId)!.body).toMatchObject({ id: 'u', error: { status: 400, detail: expect.stringContaining('regression form') } });
  });

  it('should retry every message when the results queue cannot be reached, invalid ones included', async () => {
    const records = [sqsRecord(request('a', { strategy: 'average' })), sqsRecord('not json')];
    sqsProxy.set({ kind: 'status', status: 503 });
    const response = await handler(sqsEvent(records), lambdaContext('sqs'));
    expect(response.batchItemFailures).toEqual(expect.arrayContaining(records.map((r) => ({ itemIdentifier: r.messageId }))));
    expect(response.batchItemFailures).toHaveLength(2);
    sqsProxy.heal();
    expect(answers().size).toBe(0);

    const again = await handler(sqsEvent(records), lambdaContext('sqs'));
    expect(again.batchItemFailures).toEqual([]);
    expect(answers().size).toBe(2);
  });

  it('should retry only the message whose profile store is unavailable and answer the rest', async () => {
    const stuck = sqsRecord(JSON.stringify({ id: 'f', strategy: 'average', profile: 'fresh', predictions: { text: { probabilities: [0.3, 0.7] } } }));
    const fine = sqsRecord(request('ok', { strategy: 'min' }));
    s3Proxy.set({ kind: 'status', status: 503 }, { pathIncludes: 'profiles/fresh.json' });
    const response = await handler(sqsEvent([stuck, fine]), lambdaContext('sqs'));
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: stuck.messageId }]);
    expect([...answers().keys()]).toEqual([fine.messageId]);

    s3Proxy.heal();
    sqs.reset();
    expect((await handler(sqsEvent([stuck]), lambdaContext('sqs'))).batchItemFailures).toEqual([]);
    expect(answers().get(stuck.messageId)!.body.result).toMatchObject({ label: 'pos', profile: { name: 'fresh', stale: false } });
  });
});
