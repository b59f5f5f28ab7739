import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fuse } from '../../functions/fusion/registry.js';
import { DirectoryStore } from '../../functions/store/local.js';
import { type DynamoFixture, startDynamo } from '../support/dynamo.js';
import { type Json, lambdaContext, sqsEvent, sqsRecord } from '../events/shapes.js';

/**
 * The deployed shape: join messages on the request queue through the SQS function, the store in
 * DynamoDB (dynalite), timers as delayed messages on an SQS timer queue (fauxqs), outcomes to the
 * results queue (fauxqs) and to EventBridge. EventBridge has no local server, so a node:http
 * endpoint records the SDK's PutEvents calls as they go over the wire.
 */
let sqs: FauxqsServer;
let dynamo: DynamoFixture;
let bus: Server;
const events: Json[] = [];
let busStatus = 200;
let sqsHandler: typeof import('../../functions/events/sqs.js').handler;
let timerHandler: typeof import('../../functions/joins/timer.js').handler;
const dir = mkdtempSync(join(tmpdir(), 'joins-lambda-'));

async function body(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text;
}

beforeAll(async () => {
  cpSync(join(import.meta.dirname, '../../examples/profiles'), dir, { recursive: true });
  writeFileSync(join(dir, 'quick.json'), JSON.stringify({ name: 'quick', classes: ['no', 'yes'], modalities: ['a', 'b', 'c'], join: { strategy: 'average', quorum: 2, windowSeconds: 1 } }));
  sqs = await startFauxqs({ port: 0, logger: false });
  for (const q of ['results', 'timers']) sqs.createQueue(q);
  dynamo = await startDynamo();
  bus = createServer((req, res) => {
    void body(req).then((text) => {
      if (busStatus !== 200) return res.writeHead(busStatus, { 'content-type': 'application/x-amz-json-1.1' }).end('{"__type":"InternalException","message":"down"}');
      events.push({ target: req.headers['x-amz-target'], ...JSON.parse(text) });
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] }));
    });
  });
  await new Promise<void>((resolve) => bus.listen(0, '127.0.0.1', resolve));
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_SQS: sqs.address,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: `http://127.0.0.1:${(bus.address() as AddressInfo).port}`,
    AWS_MAX_ATTEMPTS: '1',
    FUSION_STORE_DIR: dir,
    FUSION_JOINS_TABLE: dynamo.table,
    FUSION_JOINS_TIMER_QUEUE_URL: `${sqs.address}/000000000000/timers`,
    FUSION_RESULTS_QUEUE_URL: `${sqs.address}/000000000000/results`,
    FUSION_EVENT_BUS_NAME: 'fusion-decisions',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  ({ handler: sqsHandler } = await import('../../functions/events/sqs.js'));
  ({ handler: timerHandler } = await import('../../functions/joins/timer.js'));
});

afterAll(async () => {
  await sqs?.stop();
  await dynamo?.stop();
  await new Promise((resolve) => bus?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  sqs.reset();
  events.length = 0;
  busStatus = 200;
});

const arrival = (profile: string, id: string, modality: string, prediction: unknown) => sqsRecord(JSON.stringify({ join: { profile, id, modality }, prediction }));
const queue = (name: string) => {
  const m = sqs.inspectQueue(name)!.messages;
  return [...m.ready, ...m.delayed].map((x) => ({ body: JSON.parse(x.body) as Json, attributes: x.messageAttributes, delayUntil: x.delayUntil }));
};
const timerRecords = () => queue('timers').map((t) => sqsRecord(JSON.stringify(t.body)));

describe('joins in the deployed shape (SQS, DynamoDB, timer queue, EventBridge)', () => {
  it('should take join messages from the request queue, decide on the last one, and deliver once to the results queue and the bus', async () => {
    const P = { text: { probabilities: [0.1, 0.2, 0.7] }, video: { probabilities: [0.2, 0.5, 0.3] }, audio: { label: 'positive', confidence: 0.6 } };
    const records = [arrival('sentiment', 'q1', 'text', P.text), arrival('sentiment', 'q1', 'video', P.video)];
    expect((await sqsHandler(sqsEvent(records), lambdaContext('sqs'))).batchItemFailures).toEqual([]);
    expect(queue('timers')).toEqual([{ body: { profile: 'sentiment', joinId: 'q1' }, attributes: {}, delayUntil: expect.any(Number) }]);
    expect(queue('timers')[0]!.delayUntil! - Date.now()).toBeGreaterThan(25_000);
    await sqsHandler(sqsEvent([arrival('sentiment', 'q1', 'audio', P.audio), arrival('sentiment', 'q1', 'face', P.audio), sqsRecord('{"join": {"profile": "sentiment"}}')]), lambdaContext('sqs'));
    const results = queue('results');
    const acks = results.filter((r) => r.body.sourceMessageId);
    expect(acks.map((a) => a.attributes.outcome!.StringValue).sort()).toEqual(['join-decided', 'join-pending', 'join-pending', 'problem', 'problem']);
    expect(acks.filter((a) => a.body.error).map((a) => a.body.error.errors[0].path).sort()).toEqual(['join.id', 'modality']);
    const delivered = results.filter((r) => r.body.idempotencyKey);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]!.attributes.idempotencyKey!.StringValue).toBe('sentiment/q1');
    const outcome = delivered[0]!.body.join;
    const resolved = await new DirectoryStore(dir).getProfile('sentiment');
    const { state, trigger, joinId, decisionId, decidedAt: _d, arrivals: _a, ...decision } = outcome;
    expect({ state, trigger, joinId, decisionId }).toEqual({ state: 'decided', trigger: 'complete', joinId: 'q1', decisionId: 'q1' });
    expect(decision).toEqual(fuse('average', { id: 'q1', profile: 'sentiment', predictions: P }, () => resolved));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ target: 'AWSEvents.PutEvents', Entries: [{ EventBusName: 'fusion-decisions', Source: 'late-fusion.joins', DetailType: 'Fusion Decision' }] });
    expect(JSON.parse(events[0].Entries[0].Detail)).toEqual(delivered[0]!.body);
    // The timer at the deadline finds the outcome delivered and sends nothing more.
    sqs.reset();
    expect((await timerHandler(sqsEvent([sqsRecord(JSON.stringify({ profile: 'sentiment', joinId: 'q1' }))]), lambdaContext('timer'))).batchItemFailures).toEqual([]);
    expect(queue('results')).toEqual([]);
    expect(events).toHaveLength(1);
  });

  it('should close a window from the timer queue, and re-send an undelivered outcome until the bus takes it', async () => {
    await sqsHandler(sqsEvent([arrival('quick', 'w1', 'a', { probabilities: [0.3, 0.7] })]), lambdaContext('sqs'));
    const early = timerRecords();
    expect(early).toHaveLength(1);
    sqs.reset();
    // Fired before the deadline (SQS may deliver early): it schedules itself again.
    await timerHandler(sqsEvent(early), lambdaContext('timer'));
    expect(queue('timers')).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 1100));
    busStatus = 500;
    const failed = await timerHandler(sqsEvent(early), lambdaContext('timer'));
    expect(failed.batchItemFailures).toEqual([{ itemIdentifier: early[0]!.messageId }]);
    busStatus = 200;
    expect((await timerHandler(sqsEvent(early), lambdaContext('timer'))).batchItemFailures).toEqual([]);
    expect(events.map((e) => e.Entries[0].DetailType)).toEqual(['Fusion Join Insufficient']);
    const sent = queue('results').filter((r) => r.body.idempotencyKey === 'quick/w1');
    // At least once: the results queue took it on the failed attempt too, and both copies are the same.
    expect(sent.length).toBeGreaterThanOrEqual(1);
    for (const s of sent) expect(s.body).toEqual(sent[0]!.body);
    expect(sent[0]!.body.join).toMatchObject({ state: 'insufficient', arrived: ['a'], missing: ['b', 'c'], problem: { status: 422 } });
    await timerHandler(sqsEvent(early), lambdaContext('timer'));
    expect(events).toHaveLength(1);
  });
});
