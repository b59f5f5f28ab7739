import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FusionError } from '../../functions/fusion/index.js';
import { DEFAULT_STORE_DIR, DirectoryStore, LOCAL_STORE_DIR, S3Store, createStore } from '../../functions/store/index.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { type S3Fixture, startS3 } from '../support/s3.js';
import { profile } from './fixtures.js';

let s3: S3Fixture;
let proxy: FaultProxy;

beforeAll(async () => {
  s3 = await startS3({ bucket: 'env-bucket' });
  proxy = await startFaultProxy(s3.endpoint);
  await s3.put('team/profiles/p.json', profile('p'));
});
afterAll(async () => {
  await proxy?.close();
  await s3?.stop();
});

const env = (extra: Record<string, string> = {}) => ({ ...s3.env, AWS_ENDPOINT_URL_S3: proxy.endpoint, FUSION_PREFIX: 'team/', ...extra });

describe('createStore', () => {
  it('should use the local store .fusion/store, then the shipped examples, without FUSION_BUCKET', () => {
    const store = createStore({});
    expect(store).toBeInstanceOf(DirectoryStore);
    expect(store.location).toBe(`dir ${LOCAL_STORE_DIR}, then ${DEFAULT_STORE_DIR}`);
    expect(createStore({ FUSION_STORE_DIR: '/srv/p' }).location).toBe('dir /srv/p');
  });

  it('should keep one S3 store (and its cache) per configuration for the life of the process', () => {
    const a = createStore(env({ FUSION_CACHE_TTL_SECONDS: '7' }));
    expect(a).toBeInstanceOf(S3Store);
    expect(createStore(env({ FUSION_CACHE_TTL_SECONDS: '7' }))).toBe(a);
    expect(createStore(env({ FUSION_CACHE_TTL_SECONDS: '8' }))).not.toBe(a);
  });

  it('should address the custom endpoint path-style, under FUSION_PREFIX', async () => {
    const store = createStore(env({ FUSION_CACHE_TTL_SECONDS: '60' }));
    expect(store.location).toBe('s3://env-bucket/team/');
    expect((await store.getProfile('p')).profile.name).toBe('p');
    expect(proxy.log.at(-1)).toMatchObject({ method: 'GET', path: '/env-bucket/team/profiles/p.json', status: 200 });
  });

  it('should revalidate on every use with FUSION_CACHE_TTL_SECONDS=0', async () => {
    const store = createStore(env({ FUSION_CACHE_TTL_SECONDS: '0' }));
    const before = proxy.log.length;
    for (let i = 0; i < 5; i++) await store.getProfile('p');
    expect(proxy.log.slice(before).map((e) => e.status)).toEqual([200, 304, 304, 304, 304]);
  });

  it('should give up on a slow S3 after FUSION_S3_TIMEOUT_MS', async () => {
    const store = createStore(env({ FUSION_S3_TIMEOUT_MS: '100' }));
    proxy.set({ kind: 'latency', ms: 2000 });
    const started = performance.now();
    try {
      await expect(store.getProfile('p')).rejects.toThrow(/timed out after 100 ms/);
    } finally {
      proxy.heal();
    }
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it.each([
    ['FUSION_CACHE_TTL_SECONDS', 'soon'],
    ['FUSION_CACHE_TTL_SECONDS', '-1'],
    ['FUSION_S3_TIMEOUT_MS', '0'],
  ])('should refuse %s=%s, naming the variable', (name, value) => {
    expect(() => createStore(env({ [name]: value }))).toThrow(FusionError);
    expect(() => createStore(env({ [name]: value }))).toThrow(new RegExp(`${name} must be a number`));
  });
});
