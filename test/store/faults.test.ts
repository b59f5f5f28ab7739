import { describe, expect, it } from 'vitest';
import { UnavailableError, toProblem } from '../../functions/fusion/index.js';
import type { Fault, FaultProxy } from '../support/fault-proxy.js';
import { useS3BehindProxy } from '../support/s3-behind-proxy.js';
import type { S3Fixture } from '../support/s3.js';
import { model, profile, testStore } from './fixtures.js';

let s3: S3Fixture;
let proxy: FaultProxy;
const TTL = 30_000;
/** A short deadline for the latency fault; the others keep the default, so the SDK's retries (and throttling backoff) finish within it even on a loaded machine. */
const TIMEOUT = 500;
const timeoutFor = (fault: Fault) => (fault.kind === 'latency' ? TIMEOUT : 2000);
const GOOD = { text: 0.6, audio: 0.4 };
const NEW = { text: 0.9, audio: 0.1 };

useS3BehindProxy((a, b) => ((s3 = a), (proxy = b)));

const FAULTS: [string, Fault, RegExp][] = [
  ['latency beyond the deadline', { kind: 'latency', ms: 5 * TIMEOUT }, /timed out after 500 ms/],
  ['500 InternalError', { kind: 'status', status: 500 }, /S3 answered 500 InternalError after 3 attempt/],
  ['503 SlowDown (throttling)', { kind: 'status', status: 503 }, /503 SlowDown/],
  ['a connection reset mid-body', { kind: 'reset' }, /connection failed \(ECONNRESET/],
  ['a truncated body', { kind: 'truncate' }, /connection failed|truncated body/],
  ['a corrupt body', { kind: 'corrupt', replace: (b) => b.fill('{', 0, 1).fill('!', 1, 2) }, /is not valid JSON/],
];

/** A store holding a good `name` whose bucket copy has changed to NEW weights since. */
async function cachedThenChanged(name: string, timeoutMs = 2000) {
  await s3.put(`profiles/${name}.json`, profile(name, GOOD));
  const t = testStore(proxy.endpoint, s3.bucket, { timeoutMs });
  const good = await t.store.getProfile(name);
  await s3.put(`profiles/${name}.json`, profile(name, NEW));
  t.clock.advance(TTL);
  return { ...t, good };
}

describe('S3Store under faults', () => {
  it.each(FAULTS)('should serve the last good version marked stale on %s, and recover once S3 heals', async (_what, fault, reason) => {
    const name = `f-${fault.kind}-${'status' in fault ? fault.status : ''}`;
    const { store, clock, good, stale } = await cachedThenChanged(name, timeoutFor(fault));
    proxy.set(fault);
    const during = await store.getProfile(name);
    expect(during).toMatchObject({ version: good.version, stale: true, profile: { weights: GOOD } });
    expect(stale).toHaveLength(1);
    expect(stale[0]).toMatchObject({ key: `s3://${s3.bucket}/profiles/${name}.json`, version: good.version });
    expect(stale[0]!.reason).toMatch(reason);

    proxy.heal();
    clock.advance(TTL);
    const after = await store.getProfile(name);
    expect(after).toMatchObject({ stale: false, profile: { weights: NEW } });
    expect(after.version).not.toBe(good.version);
  });

  it.each(FAULTS)('should answer 503 naming the key and the reason on %s with nothing cached', async (_what, fault, reason) => {
    const name = `cold-${fault.kind}-${'status' in fault ? fault.status : ''}`;
    await s3.put(`profiles/${name}.json`, profile(name, GOOD));
    const { store, unavailable } = testStore(proxy.endpoint, s3.bucket, { timeoutMs: timeoutFor(fault) });
    proxy.set(fault);
    const err = (await store.getProfile(name).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(UnavailableError);
    expect(toProblem(err)).toMatchObject({ status: 503 });
    expect(err.message).toContain(`s3://${s3.bucket}/profiles/${name}.json cannot be loaded and no good version is cached`);
    expect(err.message).toMatch(reason);
    expect(unavailable).toHaveLength(1);
    proxy.heal();
    expect((await store.getProfile(name)).profile.weights).toEqual(GOOD);
  });

  it('should never replace a good version with a schema-invalid one, and take the next good one', async () => {
    const { store, clock, good, stale } = await cachedThenChanged('invalid-next');
    await s3.put('profiles/invalid-next.json', profile('invalid-next', { text: -1, audio: 1 }));
    for (let i = 0; i < 3; i++) {
      expect(await store.getProfile('invalid-next')).toMatchObject({ version: good.version, stale: true, profile: { weights: GOOD } });
      clock.advance(TTL);
    }
    expect(stale.map((s) => s.reason)).toEqual(new Array(3).fill(expect.stringMatching(/weights\.text: a weight must be >= 0/)));
    await s3.put('profiles/invalid-next.json', profile('invalid-next', NEW));
    expect(await store.getProfile('invalid-next')).toMatchObject({ stale: false, profile: { weights: NEW } });
  });

  it('should keep the last good profile when a new version names a model that disagrees with it', async () => {
    await s3.put('models/two-class.json', model());
    const { store, good } = await cachedThenChanged('bad-model-ref');
    await s3.put('profiles/bad-model-ref.json', profile('bad-model-ref', NEW, { classes: ['a', 'b'], model: { key: 'models/two-class.json' } }));
    const served = await store.getProfile('bad-model-ref');
    expect(served).toMatchObject({ version: good.version, stale: true, profile: { weights: GOOD } });
    expect(served.profile.model).toBeUndefined();
  });

  it('should mark a profile stale when its model cannot be revalidated, keeping the last good model', async () => {
    await s3.put('models/learned.json', model());
    await s3.put('profiles/with-model.json', profile('with-model', GOOD, { model: { key: 'models/learned.json' } }));
    const { store, clock } = testStore(proxy.endpoint, s3.bucket, { timeoutMs: 2000 });
    const first = await store.getProfile('with-model');
    await s3.put('models/learned.json', { ...model(), kind: 'not-a-kind' });
    clock.advance(TTL);
    const served = await store.getProfile('with-model');
    expect(served.stale).toBe(true);
    expect(served.model).toBe(first.model);
  });

  it('should keep serving stale without waiting on S3 again until another TTL has passed', async () => {
    const { store, clock } = await cachedThenChanged('backoff');
    proxy.set({ kind: 'status', status: 500 });
    await store.getProfile('backoff');
    const seen = proxy.count({ pathIncludes: 'profiles/backoff.json' });
    for (let i = 0; i < 20; i++) expect((await store.getProfile('backoff')).stale).toBe(true);
    expect(proxy.count({ pathIncludes: 'profiles/backoff.json' })).toBe(seen);
    clock.advance(TTL);
    proxy.heal();
    expect((await store.getProfile('backoff')).stale).toBe(false);
  });
});
