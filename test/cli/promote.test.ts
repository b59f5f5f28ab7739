/**
 * `fusion publish` of profiles with shadows and a canary, and `fusion profiles promote NAME
 * --canary`: against S3 with versioning and If-Match (s3rver behind test/support/s3-versioning.ts)
 * and against the local store.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../../functions/cli/io.js';
import { main } from '../../functions/cli/main.js';
import { type S3Fixture, s3Client, startS3 } from '../support/s3.js';
import { type VersionedS3, startVersioning } from '../support/s3-versioning.js';
import { model, profile } from '../store/fixtures.js';

let s3: S3Fixture;
let versioned: VersionedS3;
let client: S3Client;
let env: Record<string, string>;
let dir: string;

beforeAll(async () => {
  s3 = await startS3({ bucket: 'promote' });
  versioned = await startVersioning(s3);
  client = s3Client(versioned.endpoint);
  dir = await mkdtemp(join(tmpdir(), 'fusion-promote-'));
  env = { ...s3.env, AWS_ENDPOINT_URL_S3: versioned.endpoint, FUSION_CACHE_TTL_SECONDS: '0' };
});
afterAll(async () => {
  client?.destroy();
  await versioned?.close();
  await s3?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function cli(argv: string[], over: Record<string, string> = env) {
  let stdout = '';
  let stderr = '';
  const io: Io = { stdin: process.stdin, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env: { PATH: process.env.PATH, ...over } };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

async function publish(file: string, value: unknown, flag = '--profile', over = env) {
  await writeFile(join(dir, file), JSON.stringify(value));
  return cli(['publish', flag, join(dir, file)], over);
}

const put = (key: string, body: unknown) => client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: JSON.stringify(body), ContentType: 'application/json' }));
const current = async (name: string, over = env) => JSON.parse((await cli(['profiles', 'get', name], over)).stdout).profile;
const errorPaths = (r: { stderr: string }) => (JSON.parse(r.stderr).errors as { path: string }[]).map((e) => e.path);

describe('fusion publish: shadow and canary', () => {
  it('should publish a profile whose shadows and canary name stored models', async () => {
    expect((await publish('old.json', model(), '--model')).code).toBe(0);
    expect((await publish('new.json', model(), '--model')).code).toBe(0);
    const p = profile('p', undefined, {
      model: { key: 'models/old.json' },
      shadow: [{ strategy: 'learned', model: { key: 'models/new.json' } }, { strategy: 'product' }],
      canary: { model: { key: 'models/new.json' }, fraction: 0.1 },
    });
    const r = await publish('p.json', p);
    expect(r.code, r.stderr).toBe(0);
    expect((await current('p')).canary).toEqual({ model: { key: 'models/new.json' }, fraction: 0.1 });
  });

  it('should refuse unknown or unfit strategies, too many shadows, a bad fraction and missing models, naming each field', async () => {
    const bad = profile('q', undefined, {
      shadow: [{ strategy: 'nope' }, { strategy: 'inverse-variance' }, { strategy: 'learned' }],
      canary: { model: { key: 'models/new.json' }, fraction: 0.1, strategy: 'bogus' },
    });
    const r = await publish('q.json', bad);
    expect(r.code).toBe(2);
    expect(errorPaths(r).sort()).toEqual(['canary.strategy', 'shadow.0.strategy', 'shadow.1.strategy', 'shadow.2.model']);
    const many = await publish('q.json', profile('q', undefined, { shadow: [1, 2, 3, 4].map(() => ({ strategy: 'average' })) }));
    expect(JSON.parse(many.stderr).errors).toEqual([{ path: 'shadow', message: expect.stringMatching(/at most 3 shadows/) }]);
    const fraction = await publish('q.json', profile('q', undefined, { canary: { model: { key: 'models/new.json' }, fraction: 1.5 } }));
    expect(errorPaths(fraction)).toEqual(['canary.fraction']);
    const missing = await publish('q.json', profile('q', undefined, { shadow: [{ strategy: 'learned', model: { key: 'models/gone.json' } }] }));
    expect(JSON.parse(missing.stderr).errors).toEqual([{ path: 'shadow.0.model.key', message: expect.stringMatching(/models\/gone\.json is not in .*publish the model first/) }]);
    const outside = await publish('q.json', profile('q', undefined, { canary: { model: { key: '../secrets.json' }, fraction: 0.5 } }));
    expect(errorPaths(outside)).toEqual(['canary.model.key']);
    const unfit = await publish('q.json', profile('q', undefined, { shadow: [{ strategy: 'learned', model: model(['a', 'b', 'c']) }] }));
    expect(errorPaths(unfit)).toContain('shadow.0.model.classes');
  });

  it('should refuse shadow and canary on a regression profile, saying they are for classification', async () => {
    const r = await publish('reg.json', { name: 'reg', task: 'regression', modalities: ['a', 'b'], shadow: [{ strategy: 'average' }] });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stderr).errors).toEqual([{ path: 'shadow', message: expect.stringMatching(/classification profiles only/) }]);
  });
});

describe('fusion profiles promote --canary (S3, If-Match)', () => {
  it('should make the canary model the primary, remove the canary and keep the shadows', async () => {
    const before = versioned.versions('profiles/p.json').at(-1)!;
    const r = await cli(['profiles', 'promote', 'p', '--canary']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ key: 'profiles/p.json', model: 'models/new.json', previousModel: 'models/old.json', previousEtag: before.etag.replaceAll('"', ''), fraction: 0.1 });
    expect(out.versionId).toEqual(expect.any(String));
    const now = await current('p');
    expect(now.model).toEqual({ key: 'models/new.json' });
    expect(now).not.toHaveProperty('canary');
    expect(now.shadow).toHaveLength(2);
    expect(versioned.versions('profiles/p.json').at(-1)!.metadata['fusion-written-by']).toBe('promote');
  });

  it('should refuse a profile without a canary (exit 2) and write nothing', async () => {
    const count = versioned.versions('profiles/p.json').length;
    const r = await cli(['profiles', 'promote', 'p', '--canary']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stderr).errors).toEqual([{ path: 'canary', message: 'profile "p" has no canary to promote' }]);
    expect(versioned.versions('profiles/p.json')).toHaveLength(count);
    expect((await cli(['profiles', 'promote', 'p'])).stderr).toMatch(/needs --canary/);
  });

  it('should not overwrite a change made while it runs: If-Match fails, exit 1, the other write stays', async () => {
    await put('profiles/p.json', profile('p', undefined, { model: { key: 'models/new.json' }, canary: { model: { key: 'models/old.json' }, fraction: 0.2 } }));
    const count = versioned.versions('profiles/p.json').length;
    versioned.beforeNextPut(async () => void (await put('profiles/p.json', profile('p', { text: 7, audio: 3 }, { model: { key: 'models/new.json' } }))));
    const r = await cli(['profiles', 'promote', 'p', '--canary']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stderr).detail).toMatch(/changed while promoting its canary .* nothing was written/);
    expect(versioned.versions('profiles/p.json')).toHaveLength(count + 1); // only the other writer's version
    expect(await current('p')).toMatchObject({ weights: { text: 7, audio: 3 }, model: { key: 'models/new.json' } });
  });
});

describe('fusion profiles promote --canary (local store)', () => {
  it('should promote in the local store', async () => {
    const store = await mkdtemp(join(dir, 'store-'));
    const local = { FUSION_STORE_DIR: store };
    expect((await publish('m.json', model(), '--model', local)).code).toBe(0);
    expect((await publish('c.json', model(), '--model', local)).code).toBe(0);
    const p = profile('loc', undefined, { model: { key: 'models/m.json' }, canary: { model: { key: 'models/c.json' }, fraction: 0.5, strategy: 'learned' } });
    expect((await publish('loc.json', p, '--profile', local)).code).toBe(0);
    const r = await cli(['profiles', 'promote', 'loc', '--canary'], local);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ model: 'models/c.json', previousModel: 'models/m.json', strategy: 'learned' });
    const saved = JSON.parse(await readFile(join(store, 'loc.json'), 'utf8'));
    expect(saved.model).toEqual({ key: 'models/c.json' });
    expect(saved).not.toHaveProperty('canary');
  });

  it('should refuse to write a local profile whose file changed since it was read', async () => {
    const store = await mkdtemp(join(dir, 'store-'));
    const { DirectoryStore } = await import('../../functions/store/index.js');
    const { localSlot } = await import('../../functions/cli/promote.js');
    const s = new DirectoryStore(store);
    await s.putJson('profiles/x.json', profile('x'));
    const slot = localSlot(s, 'x');
    const { text, etag } = await slot.read();
    await s.putJson('profiles/x.json', profile('x', { text: 2, audio: 1 }));
    expect(await slot.write(text, etag, '')).toEqual({ ok: false });
    expect(JSON.parse(await readFile(join(store, 'x.json'), 'utf8')).weights).toEqual({ text: 2, audio: 1 });
  });
});
