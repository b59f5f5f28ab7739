/**
 * FUSION_PRELOAD_PROFILES: profiles (and their models) loaded at init through a real S3 store
 * (s3rver behind the fault proxy); failures logged, never thrown, and loaded again on first use.
 */
import { describe, expect, it } from 'vitest';
import { PRELOAD_MAX_PROFILES, type PreloadLog, preloadList, preloadProfiles } from '../../functions/http/preload.js';
import { createStore } from '../../functions/store/index.js';
import type { FaultProxy } from '../support/fault-proxy.js';
import type { S3Fixture } from '../support/s3.js';
import { useS3BehindProxy } from '../support/s3-behind-proxy.js';
import { model, profile } from '../store/fixtures.js';

let s3: S3Fixture;
let proxy: FaultProxy;
useS3BehindProxy((a, b) => ((s3 = a), (proxy = b)));

/** A log that records instead of writing. */
function recording() {
  const lines: { level: 'info' | 'warn'; message: string; fields: Record<string, unknown> }[] = [];
  const log: PreloadLog = {
    info: (message, fields) => lines.push({ level: 'info', message, fields }),
    warn: (message, fields) => lines.push({ level: 'warn', message, fields }),
  };
  return { lines, log };
}

/** A fresh store (own cache) on the proxy, as a new Lambda process would create. */
const freshStore = (prefix: string) => createStore({ ...s3.env, AWS_ENDPOINT_URL_S3: proxy.endpoint, FUSION_PREFIX: prefix, FUSION_S3_TIMEOUT_MS: '500' });

describe('preloadList', () => {
  it('should keep valid names and pinned versions once each, and reject bad names with the reason', () => {
    const { names, rejected } = preloadList(' sentiment, news@3f2a ,sentiment,,bad name,../x');
    expect(names).toEqual(['sentiment', 'news@3f2a']);
    expect(rejected.map((r) => r.entry)).toEqual(['bad name', '../x']);
    expect(rejected[0]!.reason).toMatch(/not a profile name/);
  });

  it(`should preload at most ${PRELOAD_MAX_PROFILES} profiles and say the rest load on first use`, () => {
    const { names, rejected } = preloadList(Array.from({ length: PRELOAD_MAX_PROFILES + 3 }, (_, i) => `p${i}`).join(','));
    expect(names).toHaveLength(PRELOAD_MAX_PROFILES);
    expect(rejected).toHaveLength(3);
    expect(rejected[0]!.reason).toMatch(/first use/);
  });

  it('should be empty for an unset or blank variable', () => {
    expect(preloadList(undefined)).toEqual({ names: [], rejected: [] });
    expect(preloadList(' , ')).toEqual({ names: [], rejected: [] });
  });
});

describe('preloadProfiles', () => {
  it('should load every profile and its model at init, so the first request reads nothing from S3', async () => {
    await s3.put('pre1/profiles/plain.json', profile('plain'));
    await s3.put('pre1/profiles/trained.json', profile('trained', undefined, { model: { key: 'models/m.json' } }));
    await s3.put('pre1/models/m.json', model());
    const store = freshStore('pre1/');
    const { lines, log } = recording();
    const result = await preloadProfiles('plain,trained', () => store, log);
    expect(result.loaded.sort()).toEqual(['plain', 'trained']);
    expect(result.failed).toEqual([]);
    expect(lines).toEqual([{ level: 'info', message: 'profiles preloaded', fields: { profiles: expect.arrayContaining(['plain', 'trained']), ms: expect.any(Number) } }]);

    const before = proxy.count({ method: 'GET' });
    const trained = await store.getProfile('trained');
    expect(trained.model).toMatchObject({ kind: 'logistic' });
    expect(proxy.count({ method: 'GET' })).toBe(before);
  });

  it('should log a failure without throwing, and load the profile on first use once S3 answers again', async () => {
    await s3.put('pre2/profiles/late.json', profile('late'));
    const store = freshStore('pre2/');
    proxy.set({ kind: 'status', status: 503 });
    const { lines, log } = recording();
    const result = await preloadProfiles('late,missing', () => store, log);
    expect(result.loaded).toEqual([]);
    expect(result.failed.map((f) => f.profile).sort()).toEqual(['late', 'missing']);
    const warnings = lines.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(2);
    expect(warnings[0]!.message).toMatch(/loaded again on first use/);
    expect(String(warnings.find((w) => w.fields.profile === 'late')!.fields.reason)).toMatch(/503|SlowDown/);

    proxy.heal();
    const before = proxy.count({ method: 'GET', pathIncludes: 'late.json' });
    expect((await store.getProfile('late')).profile.name).toBe('late');
    expect(proxy.count({ method: 'GET', pathIncludes: 'late.json' })).toBe(before + 1);
  });

  it('should never throw, even when the store cannot be created', async () => {
    const { lines, log } = recording();
    const result = await preloadProfiles('x', () => {
      throw new Error('FUSION_S3_TIMEOUT_MS must be a number');
    }, log);
    expect(result.failed).toEqual([{ profile: '*', reason: 'FUSION_S3_TIMEOUT_MS must be a number' }]);
    expect(lines[0]!.level).toBe('warn');
  });

  it('should do nothing without profiles to preload', async () => {
    const { lines, log } = recording();
    expect((await preloadProfiles(undefined, () => freshStore('none/'), log)).loaded).toEqual([]);
    expect(lines).toEqual([]);
  });
});
