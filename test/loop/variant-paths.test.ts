/**
 * Shadows and canaries on the non-HTTP paths: SQS (complete event shapes, fauxqs, profiles in
 * s3rver) and the CLI batch (local store). The canary is chosen from the decision id each answer
 * carries, and the shadows land in the decision lines.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.FUSION_DECISION_LOG_SAMPLE = '1';
});

import type { Io } from '../../functions/cli/io.js';
import { main } from '../../functions/cli/main.js';
import { DecisionLine } from '../../functions/fusion/loop/decision-log.js';
import { logged } from '../support/decision-id.js';
import { chooseVariant } from '../../functions/fusion/loop/variant.js';
import { lambdaContext, sqsEvent, sqsRecord } from '../events/shapes.js';
import { type S3Fixture, startS3 } from '../support/s3.js';
import { model } from '../store/fixtures.js';

let sqs: FauxqsServer;
let s3: S3Fixture;
let dir: string;

const classes = ['neg', 'pos'];
/** A logistic model whose intercept alone picks `label`. */
function constant(label: 'neg' | 'pos') {
  const m = model(classes, ['text', 'audio']);
  m.params = { coef: [new Array(4).fill(0), new Array(4).fill(0)], intercept: label === 'neg' ? [1, 0] : [0, 1] };
  return m;
}
const PROFILE = {
  name: 'v',
  classes,
  modalities: ['text', 'audio'],
  model: { key: 'models/neg.json' },
  shadow: [{ strategy: 'product' }, { strategy: 'learned', model: { key: 'models/gone.json' } }],
  canary: { model: { key: 'models/pos.json' }, fraction: 0.5 },
};
const request = (extra: Record<string, unknown> = {}) => ({ profile: 'v', predictions: { text: { probabilities: [0.2, 0.8] }, audio: { probabilities: [0.6, 0.4] } }, ...extra });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'variant-paths-'));
  sqs = await startFauxqs({ port: 0, logger: false });
  sqs.createQueue('results');
  s3 = await startS3();
  await s3.put('models/neg.json', constant('neg'));
  await s3.put('models/pos.json', constant('pos'));
  await s3.put('profiles/v.json', PROFILE);
  await mkdir(join(dir, 'store/models'), { recursive: true });
  await writeFile(join(dir, 'store/models/neg.json'), JSON.stringify(constant('neg')));
  await writeFile(join(dir, 'store/models/pos.json'), JSON.stringify(constant('pos')));
  await writeFile(join(dir, 'store/v.json'), JSON.stringify(PROFILE));
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


type Answer = { decisionId: string; label: string; variant: string };

describe('SQS', () => {
  it('should choose each decision’s variant from its decision id and log the shadows, failing one included', async () => {
    const { handler } = await import('../../functions/events/sqs.js');
    sqs.reset();
    const records = Array.from({ length: 6 }, (_, i) => sqsRecord(JSON.stringify({ strategy: 'learned', ...request({ decisionId: `q-${i}` }) })));
    const batch = sqsRecord(JSON.stringify({ strategy: 'learned', items: [request(), request()] }));
    const { result, lines } = await logged(() => handler(sqsEvent([...records, batch]), lambdaContext('sqs')));
    expect(result.batchItemFailures).toEqual([]);
    const answers = (sqs.inspectQueue('results')!.messages.ready as unknown as { body: string }[]).flatMap((m) => {
      const r = JSON.parse(m.body).result;
      return (r.results ?? [r]) as Answer[];
    });
    expect(answers).toHaveLength(8);
    for (const a of answers) {
      expect(a.variant).toBe(chooseVariant(a.decisionId, 0.5));
      expect(a.label).toBe(a.variant === 'canary' ? 'pos' : 'neg');
    }
    expect(lines).toHaveLength(8);
    for (const l of lines) {
      expect(l.variant).toBe(chooseVariant(l.decisionId, 0.5));
      expect(l.shadows?.map((s) => [s.name, s.error === undefined])).toEqual([['product', true], ['learned:models/gone.json', false]]);
    }
  });
});

describe('CLI batch', () => {
  it('should answer each line with its variant and log its shadows in the local store', async () => {
    const store = join(dir, 'store');
    const input = join(dir, 'in.jsonl');
    const output = join(dir, 'out.jsonl');
    await writeFile(input, Array.from({ length: 10 }, (_, i) => JSON.stringify(request({ id: i }))).join('\n'));
    const io: Io = { stdin: process.stdin, stdout: { write: () => true }, stderr: { write: () => true }, env: { PATH: process.env.PATH, FUSION_STORE_DIR: store } };
    expect(await main(['batch', '--strategy', 'learned', '--input', input, '--output', output], io)).toBe(0);
    const results = (await readFile(output, 'utf8')).trim().split('\n').map((l) => JSON.parse(l).result as Answer);
    for (const r of results) expect([r.variant, r.label]).toEqual(chooseVariant(r.decisionId, 0.5) === 'canary' ? ['canary', 'pos'] : ['primary', 'neg']);
    const day = (await readdir(join(store, 'decisions')))[0]!;
    const [file] = await readdir(join(store, 'decisions', day));
    const stored = (await readFile(join(store, 'decisions', day, file!), 'utf8')).trim().split('\n').map((l) => DecisionLine.parse(JSON.parse(l)));
    expect(stored.map((l) => [l.decisionId, l.variant])).toEqual(results.map((r) => [r.decisionId, r.variant]));
    expect(stored.every((l) => l.shadows?.length === 2)).toBe(true);
  });
});
