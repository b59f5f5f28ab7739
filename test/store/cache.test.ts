import { describe, expect, it } from 'vitest';
import { type Fetched, NOT_MODIFIED, PinnedCache, RefreshingCache } from '../../functions/store/cache.js';
import { manualClock } from './fixtures.js';

const v = (value: number, etag = `"e${value}"`): Fetched<number> => ({ value, etag, version: etag.replaceAll('"', '') });

describe('RefreshingCache', () => {
  it('should fetch once and trust the object until the TTL has passed', async () => {
    const clock = manualClock();
    const cache = new RefreshingCache<number>({ ttlMs: 1000, now: clock.now });
    let fetches = 0;
    const fetch = async () => (fetches++, v(1));
    await cache.get('k', fetch);
    clock.advance(999);
    expect((await cache.get('k', fetch)).value).toBe(1);
    expect(fetches).toBe(1);
    clock.advance(1);
    await cache.get('k', fetch);
    expect(fetches).toBe(2);
  });

  it('should send the cached ETag and keep the cached object on NOT_MODIFIED', async () => {
    const clock = manualClock();
    const cache = new RefreshingCache<{ n: number }>({ ttlMs: 10, now: clock.now });
    const first = { n: 1 };
    await cache.get('k', async () => ({ value: first, etag: '"a"', version: 'a' }));
    clock.advance(10);
    const seen: (string | undefined)[] = [];
    const again = await cache.get('k', async (etag) => (seen.push(etag), NOT_MODIFIED));
    expect(seen).toEqual(['"a"']);
    expect(again.value).toBe(first);
    expect(again.stale).toBe(false);
  });

  it('should replace the object when the revalidation returns a new version', async () => {
    const clock = manualClock();
    const cache = new RefreshingCache<number>({ ttlMs: 10, now: clock.now });
    await cache.get('k', async () => v(1));
    clock.advance(10);
    expect(await cache.get('k', async () => v(2))).toMatchObject({ value: 2, version: 'e2', stale: false });
  });

  it('should share one in-flight fetch among concurrent gets of a key', async () => {
    const cache = new RefreshingCache<number>({ ttlMs: 10, now: manualClock().now });
    let fetches = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const fetch = async () => (fetches++, await gate, v(7));
    const all = Promise.all(Array.from({ length: 50 }, () => cache.get('k', fetch)));
    release();
    expect((await all).every((e) => e.value === 7)).toBe(true);
    expect(fetches).toBe(1);
  });

  it('should serve the last good version marked stale when a revalidation fails, and retry after the TTL', async () => {
    const clock = manualClock();
    const stale: string[] = [];
    const cache = new RefreshingCache<number>({ ttlMs: 10, now: clock.now, onStale: (key, e) => stale.push(`${key}:${e.reason}`) });
    await cache.get('k', async () => v(1));
    clock.advance(10);
    const got = await cache.get('k', async () => Promise.reject(new Error('boom')));
    expect(got).toMatchObject({ value: 1, stale: true, reason: 'boom' });
    expect(stale).toEqual(['k:boom']);
    // Within the TTL after the failure the stale entry is served without another fetch.
    let fetches = 0;
    expect((await cache.get('k', async () => (fetches++, v(2)))).stale).toBe(true);
    expect(fetches).toBe(0);
    clock.advance(10);
    expect(await cache.get('k', async () => v(2))).toMatchObject({ value: 2, stale: false });
  });

  it('should throw when nothing good is cached, and drop the entry when keepOnError says so', async () => {
    const clock = manualClock();
    const cache = new RefreshingCache<number>({ ttlMs: 10, now: clock.now, keepOnError: (e) => (e as Error).message !== 'gone' });
    await expect(cache.get('k', async () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    await cache.get('k', async () => v(1));
    clock.advance(10);
    await expect(cache.get('k', async () => Promise.reject(new Error('gone')))).rejects.toThrow('gone');
    expect(cache.peek('k')).toBeUndefined();
  });
});

describe('PinnedCache', () => {
  it('should keep a version forever and share in-flight fetches', async () => {
    const cache = new PinnedCache<number>(10);
    let fetches = 0;
    const fetch = async () => (fetches++, v(3));
    await Promise.all([cache.get('k@1', fetch), cache.get('k@1', fetch)]);
    await cache.get('k@1', fetch);
    expect(fetches).toBe(1);
  });

  it('should drop the least recently used version beyond its bound', async () => {
    const cache = new PinnedCache<number>(2);
    await cache.get('a', async () => v(1));
    await cache.get('b', async () => v(2));
    await cache.get('a', async () => v(1)); // a is now the most recently used
    await cache.get('c', async () => v(3));
    expect([cache.has('a'), cache.has('b'), cache.has('c'), cache.size]).toEqual([true, false, true, 2]);
  });

  it('should not cache a failure', async () => {
    const cache = new PinnedCache<number>(2);
    await expect(cache.get('a', async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect((await cache.get('a', async () => v(1))).value).toBe(1);
  });
});
