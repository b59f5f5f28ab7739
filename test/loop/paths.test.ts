/**
 * Every non-HTTP path logs exactly one decision line per decision, with the decisionId its
 * answer carries: SQS (complete event shapes, fauxqs), S3 batch (s3rver), the CLI batch (local
 * store only) and joins (on the decided outcome). HTTP is in local-loop.test.ts.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  // The suite switches the decision log off (vitest.config.ts); these tests are about it.
  process.env.FUSION_DECISION_LOG_SAMPLE = '1';
});

import type { Io } from '../../functions/cli/io.js';
import { main } from '../../functions/cli/main.js';
import { DecisionLine } from '../../functions/fusion/loop/decision-log.js';
import { logged } from '../support/decision-id.js';
import { MemoryDelivery } from '../../functions/joins/delivery.js';
import { JoinService } from '../../functions/joins/service.js';
import { MemoryJoinStore } from '../../functions/joins/store.js';
import { lambdaContext, s3Event, sqsEvent, sqsRecord } from '../events/shapes.js';
import { PROFILE, prediction } from '../joins/support.js';
import { type S3Fixture, startS3 } from '../support/s3.js';

let sqs: FauxqsServer;
let s3: S3Fixture;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paths-'));
  sqs = await startFauxqs({ port: 0, logger: false });
  sqs.createQueue('results');
  s3 = await startS3();
  Object.assign(process.env, s3.env, {
    AWS_ENDPOINT_URL_SQS: sqs.address,
    FUSION_RESULTS_QUEUE_URL: `${sqs.address}/000000000000/results`,
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
});
afterAll(async () => {
  await sqs?.stop();
  await s3?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});


const request = (extra: Record<string, unknown> = {}) => ({ classes: ['neg', 'pos'], predictions: { text: { probabilities: [0.2, 0.8] }, audio: { probabilities: [0.6, 0.4] } }, ...extra });

describe('SQS', () => {
  it('should log one line per decision with the id its answer carries: the message id, the request’s own, or <id>:<index> in a batch', async () => {
    const { handler } = await import('../../functions/events/sqs.js');
    sqs.reset();
    const plain = sqsRecord(JSON.stringify({ strategy: 'average', ...request() }));
    const own = sqsRecord(JSON.stringify({ strategy: 'average', ...request({ decisionId: 'client-7' }) }));
    const batch = sqsRecord(JSON.stringify({ strategy: 'average', classes: ['neg', 'pos'], items: [{ predictions: { t: { label: 'neg' } } }, { predictions: { t: { label: 'pos' } } }] }));
    const bad = sqsRecord(JSON.stringify({ strategy: 'average', classes: ['neg', 'pos'] }));
    const { result, lines } = await logged(() => handler(sqsEvent([plain, own, batch, bad]), lambdaContext('sqs')));
    expect(result.batchItemFailures).toEqual([]);
    const expected = [plain.messageId, 'client-7', `${batch.messageId}:0`, `${batch.messageId}:1`];
    expect(lines.map((l) => l.decisionId).sort()).toEqual([...expected].sort());
    expect(new Set(lines.map((l) => l.source))).toEqual(new Set(['sqs']));
    const answers = (sqs.inspectQueue('results')!.messages.ready as unknown as { body: string }[]).map((m) => JSON.parse(m.body));
    const answered = answers.flatMap((a) => (a.result ? (a.result.results ?? [a.result]).map((r: { decisionId: string }) => r.decisionId) : []));
    expect(answered.sort()).toEqual([...expected].sort());
    // A redelivered message keeps its decision id.
    const again = await logged(() => handler(sqsEvent([plain]), lambdaContext('sqs')));
    expect(again.lines.map((l) => l.decisionId)).toEqual([plain.messageId]);
  });
});

describe('S3 batch', () => {
  it('should log one line per fused line, with the id in its output record, derived from the object', async () => {
    const { handler, objectRunId } = await import('../../functions/events/s3-batch.js');
    const key = 'batch/in/average/decisions.jsonl';
    const body = [JSON.stringify(request({ id: 'a' })), 'not json', JSON.stringify(request({ id: 'b', decisionId: 'mine' })), ''].join('\n');
    const etag = await s3.put(key, body);
    const { lines } = await logged(() => handler(s3Event(s3.bucket, key, etag, Buffer.byteLength(body)), lambdaContext('batch')));
    const got = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'batch/out/average/decisions.jsonl' }));
    const records = (await got.Body!.transformToString()).trim().split('\n').map((l) => JSON.parse(l) as { line: number; result: { decisionId: string } });
    const stem = objectRunId(s3.bucket, key, etag.replaceAll('"', ''));
    expect(records.map((r) => r.result.decisionId)).toEqual([`${stem}:1`, 'mine']);
    expect(lines.map((l) => [l.decisionId, l.source])).toEqual([
      [`${stem}:1`, 'batch'],
      ['mine', 'batch'],
    ]);
    // A Distributed Map batch of the same object: ids from the object, line = index + 1.
    const map = await logged(() => handler({ BatchInput: { bucket: s3.bucket, key, strategy: 'average' }, Items: [{ index: 4, request: request() }] }));
    expect(map.result.map((r) => ('result' in r ? r.result.decisionId : undefined))).toEqual([`${objectRunId(s3.bucket, key)}:5`]);
    expect(map.lines.map((l) => l.decisionId)).toEqual([`${objectRunId(s3.bucket, key)}:5`]);
  });
});

describe('CLI batch', () => {
  it('should write one line per fused line to the local store only (stdout may be the results), ids as in the output', async () => {
    const input = join(dir, 'in.jsonl');
    const output = join(dir, 'out.jsonl');
    await writeFile(input, `${JSON.stringify(request({ id: 1 }))}\n${JSON.stringify(request({ id: 2 }))}\n{"bad": true}\n`);
    let stdout = '';
    const io: Io = { stdin: process.stdin, stdout: { write: (s: string) => ((stdout += s), true) }, stderr: { write: () => true }, env: { PATH: process.env.PATH, FUSION_STORE_DIR: dir } };
    const { result: code, lines } = await logged(() => main(['batch', '--strategy', 'average', '--input', input, '--output', output, '--errors', join(dir, 'errors.jsonl')], io));
    expect(code).toBe(2); // one line is an error
    expect(lines).toEqual([]);
    expect(stdout).not.toContain('"type":"decision"');
    const ids = (await readFile(output, 'utf8')).trim().split('\n').map((l) => JSON.parse(l).result.decisionId as string);
    expect(ids).toHaveLength(2);
    expect(ids[1]).toBe(`${ids[0]!.slice(0, -2)}:2`);
    const day = (await readdir(join(dir, 'decisions')))[0]!;
    const [file] = await readdir(join(dir, 'decisions', day));
    const stored = (await readFile(join(dir, 'decisions', day, file!), 'utf8')).trim().split('\n').map((l) => DecisionLine.parse(JSON.parse(l)));
    expect(stored.map((l) => [l.decisionId, l.source])).toEqual(ids.map((id) => [id, 'batch']));
  });
});

describe('joins', () => {
  it('should log the decided outcome once, with decisionId = joinId, whatever the duplicates, timers and reads', async () => {
    let now = Date.UTC(2026, 11, 1, 12);
    const service = new JoinService({
      store: new MemoryJoinStore(),
      scheduler: { schedule: () => Promise.resolve() },
      delivery: new MemoryDelivery(),
      profiles: () => Promise.resolve({ profile: PROFILE, version: 'v1' }),
      now: () => now,
      recorder: { sample: 1, payloads: false, stdout: true },
    });
    const P = { text: prediction(1, 2, 7), video: prediction(2, 5, 3), audio: prediction(6, 1, 3) };
    const { result, lines } = await logged(async () => {
      await service.arrive('sentiment', 'j-1', 'text', P.text);
      await service.arrive('sentiment', 'j-1', 'text', P.text);
      await service.arrive('sentiment', 'j-1', 'video', P.video);
      const done = await service.arrive('sentiment', 'j-1', 'audio', P.audio);
      await service.arrive('sentiment', 'j-1', 'audio', P.audio);
      now += 60_000;
      await service.fire('sentiment', 'j-1');
      await service.status('sentiment', 'j-1');
      // A second join closes at its deadline with the quorum (2 of 3).
      await service.arrive('sentiment', 'j-2', 'text', P.text);
      await service.arrive('sentiment', 'j-2', 'video', P.video);
      now += 60_000;
      await service.fire('sentiment', 'j-2');
      return done;
    });
    expect((result.body as { decisionId: string }).decisionId).toBe('j-1');
    expect(lines.map((l) => [l.decisionId, l.joinId, l.source, l.missing])).toEqual([
      ['j-1', 'j-1', 'join', []],
      ['j-2', 'j-2', 'join', ['audio']],
    ]);
    const out = lines[0]!.output as { label: string; confidence: number };
    expect(out.label).toBe((result.body as { label: string }).label);
    // The line's shares and probabilities are rounded to 6 decimals.
    expect(out.confidence).toBeCloseTo((result.body as { confidence: number }).confidence, 6);
  });
});
