import { describe, expect, it } from 'vitest';
import { NotFoundError, UnavailableError, fuse, toProblem } from '../../functions/fusion/index.js';
import type { FaultProxy } from '../support/fault-proxy.js';
import { useS3BehindProxy } from '../support/s3-behind-proxy.js';
import type { S3Fixture } from '../support/s3.js';
import { model, profile, testStore } from './fixtures.js';

let s3: S3Fixture;
let proxy: FaultProxy;
const TTL = 30_000;

useS3BehindProxy((a, b) => ((s3 = a), (proxy = b)));

const gets = (key: string) => proxy.count({ method: 'GET', pathIncludes: key });

describe('S3Store: loading and validation', () => {
  it('should load a profile with its version (the ETag when the bucket is unversioned) and fuse with its weights', async () => {
    const etag = await s3.put('profiles/load.json', profile('load', { text: 3, audio: 1 }));
    const { store } = testStore(proxy.endpoint, s3.bucket);
    const resolved = await store.getProfile('load');
    expect(resolved).toMatchObject({ version: etag.replaceAll('"', ''), stale: false, profile: { name: 'load' } });
    const r = fuse('average', { profile: 'load', predictions: { text: { probabilities: [0, 1] }, audio: { probabilities: [1, 0] } } }, () => resolved);
    expect('probabilities' in r && r.probabilities.positive).toBeCloseTo(0.75, 12);
    expect('profile' in r && r.profile).toEqual({ name: 'load', version: resolved.version, stale: false });
  });

  it('should load the learned model a profile names, under FUSION_PREFIX', async () => {
    await s3.put('tenant-a/models/m.json', model());
    await s3.put('tenant-a/profiles/learned.json', profile('learned', undefined, { model: { key: 'models/m.json' } }));
    const { store } = testStore(proxy.endpoint, s3.bucket, { prefix: 'tenant-a' });
    const resolved = await store.getProfile('learned');
    expect(resolved.model).toMatchObject({ format: 'fusion-model', kind: 'logistic' });
    expect(await store.listProfiles()).toEqual(['learned']);
  });

  it.each([
    ['invalid JSON', 'profiles/badjson.json', '{"name": "badjson",', /profiles\/badjson\.json is not valid JSON/],
    ['a schema error', 'profiles/badschema.json', { name: 'badschema', classes: ['only-one'], modalities: ['text'] }, /profiles\/badschema\.json is not a valid profile: classes: classes needs at least 2/],
    ['weights for a modality not in modalities', 'profiles/badweights.json', profile('badweights', { text: 1, video: 2 }), /profiles\/badweights\.json .*weights\.video: "video" is not in modalities/],
    ['a model that does not exist', 'profiles/nomodel.json', profile('nomodel', undefined, { model: { key: 'models/absent.json' } }), /profiles\/nomodel\.json names model s3:\/\/fusion-test\/models\/absent\.json.*does not exist/],
  ])('should answer 503 naming the key for %s', async (_what, key, body, message) => {
    await s3.put(key, body);
    const { store, unavailable } = testStore(proxy.endpoint, s3.bucket);
    const err = await store.getProfile(key.slice('profiles/'.length, -'.json'.length)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as Error).message).toMatch(message);
    expect(toProblem(err).status).toBe(503);
    expect(unavailable.length).toBeGreaterThan(0);
  });

  it('should reject a model whose classes or modalities disagree with its profile, naming both keys', async () => {
    await s3.put('models/other.json', model(['a', 'b', 'c'], ['text', 'video']));
    await s3.put('profiles/mismatch.json', profile('mismatch', undefined, { model: { key: 'models/other.json' } }));
    const { store } = testStore(proxy.endpoint, s3.bucket);
    const err = (await store.getProfile('mismatch').catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err.message).toMatch(/profiles\/mismatch\.json is not a valid profile for model s3:\/\/fusion-test\/models\/other\.json/);
    expect(err.message).toMatch(/classes: the profile's classes \[negative, positive\] differ/);
    expect(err.message).toMatch(/modalities: the profile's modalities \[text, audio\] differ/);
  });

  it('should check a cached model against every profile that shares it', async () => {
    await s3.put('models/shared.json', model());
    await s3.put('profiles/share-ok.json', profile('share-ok', undefined, { model: { key: 'models/shared.json' } }));
    await s3.put('profiles/share-bad.json', profile('share-bad', undefined, { modalities: ['text', 'audio', 'video'], model: { key: 'models/shared.json' } }));
    const { store } = testStore(proxy.endpoint, s3.bucket);
    await store.getProfile('share-ok');
    const err = (await store.getProfile('share-bad').catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err.message).toMatch(/profiles\/share-bad\.json is not a valid profile for model .*modalities: the profile's modalities \[text, audio, video\] differ/);
    expect((await store.getProfile('share-ok')).model).toMatchObject({ format: 'fusion-model' });
  });

  it('should answer 404 saying how to list the profiles for a missing one', async () => {
    await s3.put('profiles/present.json', profile('present'));
    const { store } = testStore(proxy.endpoint, s3.bucket);
    const err = (await store.getProfile('absent').catch((e: unknown) => e)) as NotFoundError;
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.message).toBe('Profile "absent" was not found. List the stored profiles with `npx fusion profiles list`.');
    expect(toProblem(err).status).toBe(404);
  });
});

describe('S3Store: caching', () => {
  it('should GET an object once while it is fresh, however many requests use it', async () => {
    await s3.put('profiles/hot.json', profile('hot'));
    const { store, clock } = testStore(proxy.endpoint, s3.bucket);
    for (let i = 0; i < 100; i++) {
      await store.getProfile('hot');
      clock.advance(TTL / 200);
    }
    expect(gets('profiles/hot.json')).toBe(1);
  });

  it('should share one in-flight GET among concurrent requests', async () => {
    await s3.put('profiles/burst.json', profile('burst'));
    const { store } = testStore(proxy.endpoint, s3.bucket);
    proxy.set({ kind: 'latency', ms: 100 });
    const all = await Promise.all(Array.from({ length: 40 }, () => store.getProfile('burst')));
    expect(new Set(all.map((r) => r.version)).size).toBe(1);
    expect(gets('profiles/burst.json')).toBe(1);
  });

  it('should revalidate after the TTL with a conditional GET: 304 keeps the cached object', async () => {
    await s3.put('profiles/same.json', profile('same'));
    const { store, clock } = testStore(proxy.endpoint, s3.bucket);
    const first = await store.getProfile('same');
    clock.advance(TTL);
    const second = await store.getProfile('same');
    expect(second.profile).toBe(first.profile);
    expect(store.stats).toMatchObject({ gets: 1, notModified: 1 });
    expect(proxy.log.filter((e) => e.path.endsWith('profiles/same.json')).map((e) => e.status)).toEqual([200, 304]);
  });

  it('should revalidate after the TTL with a conditional GET: 200 replaces the cached object', async () => {
    await s3.put('profiles/changes.json', profile('changes', { text: 1, audio: 1 }));
    const { store, clock } = testStore(proxy.endpoint, s3.bucket);
    const before = await store.getProfile('changes');
    const etag = await s3.put('profiles/changes.json', profile('changes', { text: 2, audio: 1 }));
    clock.advance(TTL - 1);
    expect((await store.getProfile('changes')).profile.weights).toEqual({ text: 1, audio: 1 });
    clock.advance(1);
    const after = await store.getProfile('changes');
    expect(after.profile.weights).toEqual({ text: 2, audio: 1 });
    expect(after.version).toBe(etag.replaceAll('"', ''));
    expect(after.version).not.toBe(before.version);
  });

  it('should serve a pinned version (name@ETag) without ever revalidating it', async () => {
    const etag = (await s3.put('profiles/pinned.json', profile('pinned', { text: 5, audio: 1 }))).replaceAll('"', '');
    const { store, clock } = testStore(proxy.endpoint, s3.bucket);
    const pinned = await store.getProfile(`pinned@${etag}`);
    expect(pinned).toMatchObject({ version: etag, stale: false, profile: { weights: { text: 5, audio: 1 } } });
    await s3.put('profiles/pinned.json', profile('pinned', { text: 1, audio: 5 }));
    clock.advance(10 * TTL);
    expect((await store.getProfile(`pinned@${etag}`)).profile.weights).toEqual({ text: 5, audio: 1 });
    expect(gets('profiles/pinned.json')).toBe(1);
    // The latest version is a different, revalidated entry.
    expect((await store.getProfile('pinned')).profile.weights).toEqual({ text: 1, audio: 5 });
  });

  it('should answer 404 for a pinned ETag that is not (or no longer) the current object', async () => {
    await s3.put('profiles/moved.json', profile('moved'));
    const { store } = testStore(proxy.endpoint, s3.bucket);
    const err = (await store.getProfile(`moved@${'0'.repeat(32)}`).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.message).toMatch(/profiles\/moved\.json has no version 0{32}/);
  });
});
