import { afterAll, beforeAll, beforeEach } from 'vitest';
import { type FaultProxy, startFaultProxy } from './fault-proxy.js';
import { type S3Fixture, startS3 } from './s3.js';

/**
 * s3rver behind a fault proxy for one test file: started before its tests (handed over through
 * `set`), healed before each test, stopped after all of them.
 */
export function useS3BehindProxy(set: (s3: S3Fixture, proxy: FaultProxy) => void): void {
  let s3: S3Fixture | undefined;
  let proxy: FaultProxy | undefined;
  beforeAll(async () => {
    s3 = await startS3();
    proxy = await startFaultProxy(s3.endpoint);
    set(s3, proxy);
  });
  afterAll(async () => {
    await proxy?.close();
    await s3?.stop();
  });
  beforeEach(() => proxy?.heal());
}
