import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalServer, startServer } from '../../functions/local/server.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { type S3Fixture, startS3 } from '../support/s3.js';
import { profile } from './fixtures.js';

let s3: S3Fixture;
let proxy: FaultProxy;
let server: LocalServer;
const TTL_SECONDS = 1;

beforeAll(async () => {
  s3 = await startS3({ bucket: 'served' });
  proxy = await startFaultProxy(s3.endpoint);
  const env: NodeJS.ProcessEnv = { ...process.env, ...s3.env, AWS_ENDPOINT_URL_S3: proxy.endpoint, FUSION_CACHE_TTL_SECONDS: String(TTL_SECONDS), FUSION_S3_TIMEOUT_MS: '2000' };
  delete env.FUSION_PREFIX;
  server = await startServer({ port: 0, host: '127.0.0.1', env });
});
afterAll(async () => {
  await server?.close();
  await proxy?.close();
  await s3?.stop();
});

/** Averages text = [0, 1] and audio = [1, 0] with profile `name`: P(positive) is text's weight share. */
async function fuse(name: string) {
  const res = await fetch(`${server.url}/v1/fuse/average`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ profile: name, predictions: { text: { probabilities: [0, 1] }, audio: { probabilities: [1, 0] } } }),
  });
  return { status: res.status, body: (await res.json()) as { probabilities: Record<string, number>; profile: { name: string; version: string; stale: boolean }; detail?: string } };
}

describe('the local server with profiles in S3', () => {
  it('should serve new weights put in the bucket after the TTL, without a restart', async () => {
    await s3.put('profiles/live.json', profile('live', { text: 3, audio: 1 }));
    const first = await fuse('live');
    expect(first.status).toBe(200);
    expect(first.body.probabilities.positive).toBeCloseTo(0.75, 12);
    expect(first.body.profile).toMatchObject({ name: 'live', stale: false });

    const changedAt = performance.now();
    const etag = (await s3.put('profiles/live.json', profile('live', { text: 1, audio: 3 }))).replaceAll('"', '');
    expect((await fuse('live')).body.probabilities.positive).toBeCloseTo(0.75, 12); // still within the TTL

    let latest = first;
    for (let i = 0; i < 60 && latest.body.profile.version !== etag; i++) {
      await new Promise((r) => setTimeout(r, 100));
      latest = await fuse('live');
    }
    expect(latest.body.probabilities.positive).toBeCloseTo(0.25, 12);
    expect(latest.body.profile).toEqual({ name: 'live', version: etag, stale: false });
    expect(performance.now() - changedAt).toBeLessThan((TTL_SECONDS + 2) * 1000);
  });

  it('should answer with the last good weights marked stale while S3 fails, and 503 for a profile never loaded', async () => {
    await s3.put('profiles/steady.json', profile('steady', { text: 3, audio: 1 }));
    await s3.put('profiles/cold.json', profile('cold'));
    const good = await fuse('steady');
    await new Promise((r) => setTimeout(r, TTL_SECONDS * 1000));
    proxy.set({ kind: 'status', status: 500 });
    try {
      const stale = await fuse('steady');
      expect(stale.status).toBe(200);
      expect(stale.body.probabilities.positive).toBeCloseTo(0.75, 12);
      expect(stale.body.profile).toEqual({ name: 'steady', version: good.body.profile.version, stale: true });

      const cold = await fuse('cold');
      expect(cold.status).toBe(503);
      expect(cold.body.detail).toMatch(/s3:\/\/served\/profiles\/cold\.json cannot be loaded and no good version is cached: S3 answered 500/);
    } finally {
      proxy.heal();
    }
  });
});
