/**
 * Issue 11, items 2 (store side) and 6: a missing profile costs S3 one GET per few seconds, not
 * one per request, and its 404 neither lists the store nor costs a ListObjectsV2; a profile's
 * `model.key` cannot leave the store's models prefix, in S3 or on disk, and publish refuses it.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../../functions/cli/io.js';
import { main } from '../../functions/cli/main.js';
import { NotFoundError, UnavailableError, toProblem } from '../../functions/fusion/index.js';
import type { LocalServer } from '../../functions/local/server.js';
import { DirectoryStore } from '../../functions/store/index.js';
import type { FaultProxy } from '../support/fault-proxy.js';
import { useS3BehindProxy } from '../support/s3-behind-proxy.js';
import type { S3Fixture } from '../support/s3.js';
import { model, profile, testStore } from '../store/fixtures.js';

let s3: S3Fixture;
let proxy: FaultProxy;
useS3BehindProxy((a, b) => ((s3 = a), (proxy = b)));

/** ListObjectsV2 is a GET of the bucket itself (`/bucket?list-type=2`). */
const lists = () => proxy.log.filter((e) => e.method === 'GET' && /^\/[^/]+\/?$/.test(e.path)).length;

describe('a missing profile', () => {
  it('should cost S3 one GET for 50 requests within a few seconds, then one more after, and no ListObjectsV2', async () => {
    await s3.put('profiles/present.json', profile('present'));
    const { store, clock } = testStore(proxy.endpoint, s3.bucket);
    const before = proxy.log.length;
    for (let i = 0; i < 25; i++) await expect(store.getProfile('absent')).rejects.toBeInstanceOf(NotFoundError);
    await Promise.all(Array.from({ length: 25 }, () => expect(store.getProfile('absent')).rejects.toBeInstanceOf(NotFoundError)));
    expect(proxy.log.length - before).toBe(1);
    clock.advance(5_001);
    await expect(store.getProfile('absent')).rejects.toBeInstanceOf(NotFoundError);
    expect(proxy.log.length - before).toBe(2);
    expect(lists()).toBe(0);
  });

  it('should be found at once when this store publishes it', async () => {
    const { store } = testStore(proxy.endpoint, s3.bucket);
    await expect(store.getProfile('late')).rejects.toBeInstanceOf(NotFoundError);
    await store.putJson('profiles/late.json', profile('late'));
    expect((await store.getProfile('late')).profile.name).toBe('late');
  });

  it('should remember a bounded number of missing names, the oldest forgotten first', async () => {
    const { store } = testStore(proxy.endpoint, s3.bucket, { missingMax: 20 });
    for (let i = 0; i < 30; i++) await store.getProfile(`ghost-${i}`).catch(() => undefined);
    expect((store as unknown as { missing: Map<string, number> }).missing.size).toBe(20);
    const before = proxy.log.length;
    await store.getProfile('ghost-29').catch(() => undefined); // remembered
    await store.getProfile('ghost-0').catch(() => undefined); // forgotten: asked again
    expect(proxy.log.length - before).toBe(1);
  });

  it('should answer 404 naming the profile and `fusion profiles list`, and nothing of the store', async () => {
    await s3.put('profiles/secret-tenant.json', profile('secret-tenant'));
    const { store } = testStore(proxy.endpoint, s3.bucket, { prefix: 'private-prefix' });
    const err = await store.getProfile('nope').catch((e: unknown) => e);
    const problem = toProblem(err);
    expect(problem).toMatchObject({ status: 404, detail: 'Profile "nope" was not found. List the stored profiles with `npx fusion profiles list`.' });
    expect(JSON.stringify(problem)).not.toMatch(/secret-tenant|private-prefix|fusion-test|s3:\/\//);
    const dir = new DirectoryStore(join(import.meta.dirname, '../../examples/profiles'));
    const local = toProblem(await dir.getProfile('nope').catch((e: unknown) => e));
    expect(local.detail).toBe(problem.detail);
    expect(JSON.stringify(local)).not.toContain('sentiment');
  });

  describe('over HTTP', () => {
    let server: LocalServer;
    beforeAll(async () => {
      const { startServer } = await import('../../functions/local/server.js');
      server = await startServer({ port: 0, env: { ...process.env, ...s3.env, AWS_ENDPOINT_URL_S3: proxy.endpoint, FUSION_PREFIX: 'http-tenant' } });
    });
    afterAll(async () => server?.close());

    it('should serve 50 requests for the same missing profile with at most a handful of S3 calls', async () => {
      const before = proxy.log.length;
      const body = JSON.stringify({ profile: 'missing-one', predictions: { text: { probabilities: [0.2, 0.8] } } });
      const answers = await Promise.all(
        Array.from({ length: 50 }, () => fetch(`${server.url}/v1/fuse/average`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })),
      );
      const problems = (await Promise.all(answers.map((r) => r.json()))) as { detail: string }[];
      expect(answers.map((r) => r.status)).toEqual(new Array(50).fill(404));
      expect(problems[0]!.detail).toContain('`npx fusion profiles list`');
      expect(proxy.log.length - before).toBeLessThanOrEqual(3);
      expect(lists()).toBe(0);
    });
  });
});

describe('model.key path traversal', () => {
  const BAD_KEYS = ['../secret/model.json', 'models/../../secret/model.json', '/models/m.json', './models/m.json', 'models//m.json', 'secret/model.json', 'models\\..\\m.json'];

  it.each(BAD_KEYS)('should not load %j from S3: a 503 naming the key', async (key) => {
    await s3.put('secret/model.json', model());
    await s3.put('tenant/models/m.json', model());
    const name = `trav-${BAD_KEYS.indexOf(key)}`;
    await s3.put(`tenant/profiles/${name}.json`, profile(name, undefined, { model: { key } }));
    const { store } = testStore(proxy.endpoint, s3.bucket, { prefix: 'tenant' });
    const err = await store.getProfile(name).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect(toProblem(err).status).toBe(503);
    expect((err as Error).message).toContain(`model.key: ${JSON.stringify(key)}`);
    expect(proxy.log.some((e) => e.path.includes('/secret/'))).toBe(false);
  });

  describe('the directory store and publish', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'io-store-'));
      await mkdir(join(dir, 'store/models'), { recursive: true });
      await writeFile(join(dir, 'store/models/m.json'), JSON.stringify(model()));
      await writeFile(join(dir, 'store/inside.json'), JSON.stringify(model()));
      await writeFile(join(dir, 'store/ok.json'), JSON.stringify(profile('ok', undefined, { model: { key: 'models/m.json' } })));
      await writeFile(join(dir, 'store/sneaky.json'), JSON.stringify(profile('sneaky', undefined, { model: { key: 'models/../inside.json' } })));
    });
    afterAll(async () => rm(dir, { recursive: true, force: true }));

    it('should load a plain key and refuse a dot segment, even one that stays inside the directory', async () => {
      const store = new DirectoryStore(join(dir, 'store'));
      expect((await store.getProfile('ok')).model).toMatchObject({ kind: 'logistic' });
      const err = await store.getProfile('sneaky').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnavailableError);
      expect((err as Error).message).toContain('model.key: "models/../inside.json"');
    });

    async function cli(argv: string[]) {
      let stderr = '';
      const io: Io = { stdin: process.stdin, stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) }, env: { PATH: process.env.PATH, ...s3.env } };
      return { code: await main(argv, io), stderr };
    }

    it('should make publish refuse a profile naming such a key, and a model published outside models/', async () => {
      const file = join(dir, 'evil.json');
      await writeFile(file, JSON.stringify(profile('evil', undefined, { model: { key: '../secret/model.json' } })));
      const puts = proxy.count({ method: 'PUT' });
      const refused = await cli(['publish', '--profile', file]);
      expect(refused.code).toBe(2);
      expect(JSON.parse(refused.stderr)).toMatchObject({ status: 400, errors: [{ path: 'model.key', message: expect.stringContaining('"../secret/model.json" is not under models/') }] });
      const modelFile = join(dir, 'model.json');
      await writeFile(modelFile, JSON.stringify(model()));
      const outside = await cli(['publish', '--model', modelFile, '--key', 'models/../profiles/x.json']);
      expect(outside.code).toBe(2);
      expect(JSON.parse(outside.stderr).errors[0]).toMatchObject({ path: '--key' });
      expect(proxy.count({ method: 'PUT' })).toBe(puts);
    });
  });
});
