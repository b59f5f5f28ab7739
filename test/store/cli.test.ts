import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../../functions/cli/io.js';
import { main } from '../../functions/cli/main.js';
import { type S3Fixture, startS3 } from '../support/s3.js';
import { model, profile } from './fixtures.js';

let s3: S3Fixture;
let dir: string;

beforeAll(async () => {
  s3 = await startS3({ bucket: 'cli-bucket' });
  dir = await mkdtemp(join(tmpdir(), 'fusion-cli-'));
  await writeFile(join(dir, 'good.json'), JSON.stringify(profile('good')));
  await writeFile(join(dir, 'bad-weights.json'), JSON.stringify(profile('bad', { text: 1, face: 1 })));
  await writeFile(join(dir, 'stack.json'), JSON.stringify(model()));
  await writeFile(join(dir, 'learned.json'), JSON.stringify(profile('learned', undefined, { model: { key: 'models/stack.json' } })));
  await writeFile(join(dir, 'orphan.json'), JSON.stringify(profile('orphan', undefined, { model: { key: 'models/none.json' } })));
});
afterAll(async () => {
  await s3?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs the CLI in-process with `env` (no FUSION_BUCKET from the host leaks in). */
async function cli(argv: string[], env: Record<string, string | undefined>) {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdin: process.stdin,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { PATH: process.env.PATH, ...env },
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

const keys = async () => ((await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket }))).Contents ?? []).map((o) => o.Key);

describe('fusion publish / profiles against S3', () => {
  it('should upload a valid profile as application/json and print its key and ETag', async () => {
    const r = await cli(['publish', '--profile', join(dir, 'good.json'), '--bucket', s3.bucket], s3.env);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ key: 'profiles/good.json', etag: expect.stringMatching(/^[0-9a-f]{32}$/), location: `s3://${s3.bucket}/` });
    const got = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'profiles/good.json' }));
    expect(got.ContentType).toBe('application/json');
    expect(got.ETag).toBe(`"${out.etag}"`);
  });

  it('should refuse an invalid profile before anything reaches the bucket', async () => {
    const before = await keys();
    const r = await cli(['publish', '--profile', join(dir, 'bad-weights.json')], s3.env);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stderr)).toMatchObject({ status: 400, detail: expect.stringMatching(/bad-weights\.json is not a valid profile: weights\.face/) });
    expect(await keys()).toEqual(before);
  });

  it('should refuse a profile whose model is not published yet, then accept it once the model is', async () => {
    const orphan = await cli(['publish', '--profile', join(dir, 'orphan.json')], s3.env);
    expect(orphan.code).toBe(2);
    expect(orphan.stderr).toMatch(/names model models\/none\.json, which is not in s3:\/\/cli-bucket/);

    const m = await cli(['publish', '--model', join(dir, 'stack.json')], s3.env);
    expect(JSON.parse(m.stdout)).toMatchObject({ key: 'models/stack.json' });
    expect((await cli(['publish', '--profile', join(dir, 'learned.json')], s3.env)).code).toBe(0);
    expect(await keys()).not.toContain('profiles/orphan.json');
  });

  it('should refuse an invalid model artifact', async () => {
    const r = await cli(['publish', '--model', join(dir, 'good.json'), '--key', 'models/x.json'], s3.env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/good\.json is not a valid model artifact/);
    expect(await keys()).not.toContain('models/x.json');
  });

  it('should list and get the published profiles with their versions', async () => {
    await cli(['publish', '--profile', join(dir, 'good.json')], s3.env);
    const list = await cli(['profiles', 'list'], s3.env);
    expect(list.stdout.trim().split('\n')).toEqual(expect.arrayContaining(['good', 'learned']));
    const got = await cli(['profiles', 'get', 'good'], s3.env);
    const etag = (await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'profiles/good.json' }))).ETag;
    expect(JSON.parse(got.stdout)).toMatchObject({ name: 'good', version: etag?.replaceAll('"', ''), stale: false, profile: { weights: { text: 0.6, audio: 0.4 } } });
    const missing = await cli(['profiles', 'get', 'absent'], s3.env);
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stderr)).toMatchObject({ status: 404, detail: expect.stringContaining('Profile "absent" was not found. List the stored profiles with `npx fusion profiles list`.') });
  });

  it('should exit on its own as a real process (no sockets left open)', async () => {
    const bin = resolve(import.meta.dirname, '../../bin/fusion.js');
    const { stdout } = await promisify(execFile)(process.execPath, [bin, 'profiles', 'list'], { env: { PATH: process.env.PATH, ...s3.env }, timeout: 20_000 });
    expect(stdout).toMatch(/^good$/m);
  });
});

describe('fusion publish / profiles against the directory store', () => {
  it('should publish into FUSION_STORE_DIR and read it back', async () => {
    const store = await mkdtemp(join(tmpdir(), 'fusion-dir-'));
    try {
      const env = { FUSION_STORE_DIR: store };
      expect((await cli(['publish', '--model', join(dir, 'stack.json')], env)).code).toBe(0);
      expect((await cli(['publish', '--profile', join(dir, 'learned.json')], env)).code).toBe(0);
      expect(JSON.parse(await readFile(join(store, 'models/stack.json'), 'utf8'))).toMatchObject({ format: 'fusion-model' });
      expect((await cli(['profiles', 'list'], env)).stdout).toBe('learned\n');
      expect(JSON.parse((await cli(['profiles', 'get', 'learned'], env)).stdout)).toMatchObject({ name: 'learned', version: 'local', stale: false });
    } finally {
      await rm(store, { recursive: true, force: true });
    }
  });
});
