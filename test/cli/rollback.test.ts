/**
 * `fusion profiles history` and `fusion profiles rollback` against S3 with versioning: s3rver
 * behind the versioning layer of test/support/s3-versioning.ts (s3rver itself keeps no
 * versions), including a rollback of the retrain function's automatic promotion.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../../functions/cli/io.js';
import { main } from '../../functions/cli/main.js';
import { fuseOne, getStrategy } from '../../functions/fusion/index.js';
import type { handler as RetrainHandler } from '../../functions/events/retrain.js';
import { lambdaContext, s3Event } from '../events/shapes.js';
import { type S3Fixture, s3Client, startS3 } from '../support/s3.js';
import { type VersionedS3, startVersioning } from '../support/s3-versioning.js';
import { model, profile } from '../store/fixtures.js';

let s3: S3Fixture;
let versioned: VersionedS3;
let client: S3Client;
let env: Record<string, string>;
let dir: string;

beforeAll(async () => {
  s3 = await startS3({ bucket: 'versioned' });
  versioned = await startVersioning(s3);
  client = s3Client(versioned.endpoint);
  env = { ...s3.env, AWS_ENDPOINT_URL_S3: versioned.endpoint, FUSION_CACHE_TTL_SECONDS: '0' };
  dir = await mkdtemp(join(tmpdir(), 'fusion-rollback-'));
});
afterAll(async () => {
  client?.destroy();
  await versioned?.close();
  await s3?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function cli(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io: Io = { stdin: process.stdin, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env: { PATH: process.env.PATH, ...env } };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

async function publish(file: string, value: unknown, flag = '--profile') {
  await writeFile(join(dir, file), JSON.stringify(value));
  const r = await cli(['publish', flag, join(dir, file)]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { key: string; versionId: string };
}

const put = (key: string, body: string) => client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body, ContentType: 'application/json' }));
const history = async (name: string) => JSON.parse((await cli(['profiles', 'history', name, '--json'])).stdout) as { versionId: string; current: boolean; writtenBy?: string; note?: string; model?: string }[];
const currentWeights = async (name: string) => JSON.parse((await cli(['profiles', 'get', name])).stdout).profile.weights;

describe('the versioning layer in front of s3rver', () => {
  it('should answer each PUT with a new version id and serve every version by id', async () => {
    const a = await put('x/v.json', '"a"');
    const b = await put('x/v.json', '"b"');
    expect(a.VersionId).toMatch(/^[\w.]{32}$/);
    expect(b.VersionId).not.toBe(a.VersionId);
    expect(versioned.versions('x/v.json').map((v) => v.body.toString())).toEqual(['"a"', '"b"']);
  });
});

describe('fusion profiles history / rollback', () => {
  let v1: string;
  let v2: string;

  it('should list the versions newest first, the current one marked, with the model each names', async () => {
    const m = await publish('stack.json', model(), '--model');
    v1 = (await publish('p1.json', profile('p', { text: 1, audio: 1 }, { model: { key: m.key } }))).versionId;
    v2 = (await publish('p2.json', profile('p', { text: 9, audio: 1 }, { model: { key: m.key } }))).versionId;
    const h = await history('p');
    expect(h.map((v) => [v.versionId, v.current, v.writtenBy, v.model])).toEqual([
      [v2, true, undefined, 'models/stack.json'],
      [v1, false, undefined, 'models/stack.json'],
    ]);
    const table = (await cli(['profiles', 'history', 'p'])).stdout;
    expect(table).toMatch(new RegExp(`^${v2} \\*\\s+\\d{4}-\\d\\d-\\d\\dT.*upload\\s+models/stack.json`, 'm'));
  });

  it('should restore a version as a new current version and say so in the history', async () => {
    expect(await currentWeights('p')).toEqual({ text: 9, audio: 1 });
    const r = await cli(['profiles', 'rollback', 'p', '--to', v1]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ key: 'profiles/p.json', restored: v1, previous: v2, changed: true, versionId: expect.any(String) });
    expect(await currentWeights('p')).toEqual({ text: 1, audio: 1 });
    const [latest] = await history('p');
    expect(latest).toMatchObject({ versionId: out.versionId, current: true, writtenBy: 'rollback', note: `restored version ${v1}; replaced version ${v2}` });
  });

  it('should refuse an unknown version, and an invalid one, writing nothing', async () => {
    const unknown = await cli(['profiles', 'rollback', 'p', '--to', 'no-such-version']);
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stderr).detail).toMatch(/has no version no-such-version; "fusion profiles history p" lists its versions/);
    const bad = (await put('profiles/p.json', JSON.stringify({ name: 'p', classes: ['only-one'] }))).VersionId!;
    const orphan = (await put('profiles/p.json', JSON.stringify(profile('p', undefined, { model: { key: 'models/gone.json' } })))).VersionId!;
    await put('profiles/p.json', JSON.stringify(profile('p', { text: 5, audio: 5 })));
    const count = versioned.versions('profiles/p.json').length;
    const invalid = await cli(['profiles', 'rollback', 'p', '--to', bad]);
    expect(invalid.code).toBe(2);
    expect(JSON.parse(invalid.stderr).errors.map((e: { path: string }) => e.path)).toContain('classes');
    const missingModel = await cli(['profiles', 'rollback', 'p', '--to', orphan]);
    expect(missingModel.code).toBe(2);
    expect(JSON.parse(missingModel.stderr).detail).toMatch(/names model models\/gone\.json, which is not in/);
    expect(versioned.versions('profiles/p.json')).toHaveLength(count);
    expect(await currentWeights('p')).toEqual({ text: 5, audio: 5 });
  });

  it('should not overwrite a change made while it runs (If-Match on the current version)', async () => {
    const count = versioned.versions('profiles/p.json').length;
    versioned.beforeNextPut(async () => void (await put('profiles/p.json', JSON.stringify(profile('p', { text: 7, audio: 3 })))));
    const r = await cli(['profiles', 'rollback', 'p', '--to', v2]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stderr).detail).toMatch(/changed while rolling back .* nothing was written/);
    expect(versioned.versions('profiles/p.json')).toHaveLength(count + 1); // only the other writer's version
    expect(await currentWeights('p')).toEqual({ text: 7, audio: 3 });
  });

  it('should explain that the local store has no versions, and what rollback needs', async () => {
    const saved = env;
    env = {};
    try {
      const r = await cli(['profiles', 'history', 'sentiment']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/needs a versioned S3 bucket \(FUSION_BUCKET or --bucket\); the local store keeps no versions/);
    } finally {
      env = saved;
    }
    const noTo = await cli(['profiles', 'rollback', 'p']);
    expect(noTo.code).toBe(2);
    expect(noTo.stderr).toMatch(/needs --to VERSION/);
  });
});

describe('rolling back a retrain promotion', () => {
  const DATA = resolve(import.meta.dirname, '../../examples/data/digits-3view');
  const lines = (n: number, from = 0) => readFileSync(join(DATA, 'train.jsonl'), 'utf8').split('\n').filter(Boolean).slice(from, from + n).join('\n');
  const base = JSON.parse(readFileSync(join(DATA, 'profile.json'), 'utf8'));
  let retrain: typeof RetrainHandler;

  beforeAll(async () => {
    Object.assign(process.env, env, { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' });
    ({ handler: retrain } = await import('../../functions/events/retrain.js'));
  });

  async function upload(name: string, body: string) {
    const key = `training/digits-3view/${name}.jsonl`;
    const out = await put(key, body);
    const [outcome] = await retrain(s3Event(s3.bucket, key, out.ETag!, body.length), lambdaContext('retrain'));
    return outcome!;
  }

  it('should list the promotions as written by retrain and restore the model the profile had before', async () => {
    await put('profiles/digits-3view.json', JSON.stringify({ ...base, training: { model: 'logistic', folds: 3, promotionMargin: 100 } }));
    const first = await upload('first', lines(60));
    const second = await upload('second', lines(60, 60));
    expect([first.status, second.status]).toEqual(['promoted', 'promoted']);
    const h = await history('digits-3view');
    expect(h.map((v) => v.writtenBy)).toEqual(['retrain', 'retrain', undefined]);
    expect(h[0]!.note).toBe(`data training/digits-3view/second.jsonl; model ${second.modelKey}; report ${second.reportKey}`);
    expect(h[0]!.model).toMatch(new RegExp(`^${second.modelKey}@`));
    expect(h[1]!.model).toMatch(new RegExp(`^${first.modelKey}@`));

    const r = await cli(['profiles', 'rollback', 'digits-3view', '--to', h[1]!.versionId]);
    expect(r.code, r.stderr).toBe(0);
    const got = JSON.parse((await cli(['profiles', 'get', 'digits-3view'])).stdout);
    expect(`${got.profile.model.key}@${got.profile.model.versionId}`).toBe(h[1]!.model);
    // Fusing with the stored profile now uses the first model (its pinned version), as the API would.
    const request = { predictions: JSON.parse(readFileSync(join(DATA, 'test.jsonl'), 'utf8').split('\n')[0]!).predictions };
    await writeFile(join(dir, 'req.json'), JSON.stringify(request));
    const fused = await cli(['fuse', '--strategy', 'learned', '--profile', 'digits-3view', '--input', join(dir, 'req.json')]);
    expect(fused.code, fused.stderr).toBe(0);
    const firstModel = JSON.parse(versioned.versions(first.modelKey!)[0]!.body.toString());
    const expected = fuseOne(getStrategy('learned'), { ...request, profile: 'digits-3view' }, () => ({ profile: got.profile, model: firstModel }));
    expect(JSON.parse(fused.stdout).probabilities).toEqual(expected.probabilities);
  });
});
