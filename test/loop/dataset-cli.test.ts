import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../../functions/cli/io.js';
import { main } from '../../functions/cli/main.js';
import { DataLine } from '../../functions/fusion/learned/data.js';
import { type S3Fixture, s3Client, startS3 } from '../support/s3.js';

const today = new Date().toISOString().slice(0, 10);
const decision = (id: string, label: string, inputs = true) => ({
  type: 'decision',
  decisionId: id,
  time: new Date().toISOString(),
  source: 'http',
  strategy: 'average',
  task: 'classification',
  profile: { name: 'sentiment', version: 'local' },
  modalities: { text: { label, confidence: 0.7, weight: 1, contribution: 1 } },
  missing: [],
  ...(inputs ? { inputs: { text: { probabilities: [0.1, 0.2, 0.7] } } } : {}),
  output: { label, confidence: 0.7 },
  latencyMs: 0.1,
});
const feedback = (decisionId: string, label: string) => ({ type: 'feedback', decisionId, label, source: 'review', receivedAt: new Date().toISOString() });
const jsonl = (rows: unknown[]) => rows.map((r) => `${JSON.stringify(r)}\n`).join('');

let dir: string;
let s3: S3Fixture;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fusion-dataset-'));
  await mkdir(join(dir, 'decisions', `dt=${today}`), { recursive: true });
  await mkdir(join(dir, 'decisions', 'dt=2020-01-01'), { recursive: true });
  await mkdir(join(dir, 'feedback', `dt=${today}`), { recursive: true });
  await writeFile(join(dir, 'decisions', `dt=${today}`, 'local.jsonl'), `${jsonl([decision('a', 'positive'), decision('b', 'negative'), decision('c', 'neutral', false)])}not json\n`);
  await writeFile(join(dir, 'decisions', 'dt=2020-01-01', 'local.jsonl'), jsonl([decision('old', 'positive')]));
  await writeFile(join(dir, 'feedback', `dt=${today}`, 'local.jsonl'), jsonl([feedback('a', 'neutral'), feedback('c', 'negative'), feedback('old', 'positive'), feedback('zzz', 'positive')]));
  s3 = await startS3();
  const client = s3Client(s3.endpoint);
  await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `decisions/dt=${today}/stream-1.gz`, Body: gzipSync(jsonl([decision('a', 'positive'), decision('b', 'negative')])) }));
  await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `feedback/dt=${today}/stream-1.gz`, Body: gzipSync(jsonl([feedback('b', 'negative'), feedback('b', 'negative')])) }));
});
afterAll(async () => {
  await s3?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function cli(argv: string[], env: Record<string, string | undefined>) {
  let stdout = '';
  let stderr = '';
  const io: Io = { stdin: process.stdin, stdout: { write: (s: string) => ((stdout += s), true) }, stderr: { write: (s: string) => ((stderr += s), true) }, env: { PATH: process.env.PATH, ...env } };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

describe('fusion dataset', () => {
  it('should join the local store’s decisions and feedback into lines fusion train reads, with a summary', async () => {
    const out = join(dir, 'training.jsonl');
    const r = await cli(['dataset', '--profile', 'sentiment', '--since', '7d', '--out', out], { FUSION_STORE_DIR: dir });
    expect(r.code, r.stderr).toBe(0);
    const lines = (await readFile(out, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([{ id: 'a', predictions: { text: { probabilities: [0.1, 0.2, 0.7] } }, label: 'neutral' }]);
    for (const l of lines) expect(DataLine.safeParse(l).success).toBe(true);
    // "old" is outside the period: its label has no decision, as has "zzz".
    expect(JSON.parse(r.stderr)).toMatchObject({ decisions: 3, labelled: 1, unlabelled: 1, withoutInputs: 1, orphanLabels: 2, unreadableLines: 1, files: 2 });
  });

  it('should read Firehose’s gzipped objects from the bucket', async () => {
    const r = await cli(['dataset', '-p', 'sentiment', '--bucket', s3.bucket], { ...s3.env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l).id)).toEqual(['b']);
    expect(JSON.parse(r.stderr)).toMatchObject({ decisions: 2, labelled: 1, duplicates: 1 });
  });

  it('should refuse a bad period or a missing profile with a usage error', async () => {
    expect((await cli(['dataset', '--profile', 'x', '--since', 'last week'], { FUSION_STORE_DIR: dir })).code).toBe(2);
    expect((await cli(['dataset'], { FUSION_STORE_DIR: dir })).code).toBe(2);
  });
});
