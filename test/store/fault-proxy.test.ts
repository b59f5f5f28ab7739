import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';

let upstream: Server;
let seen = 0;
let proxy: FaultProxy;
const BODY = JSON.stringify({ hello: 'world', padding: 'x'.repeat(200) });

beforeAll(async () => {
  upstream = createServer((req, res) => {
    seen++;
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(BODY));
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  proxy = await startFaultProxy(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`);
});
afterAll(async () => {
  await proxy?.close();
  upstream.closeAllConnections();
  await new Promise((r) => upstream.close(r));
});
beforeEach(() => {
  proxy.heal();
  seen = 0;
});

const get = async (path = '/x', method = 'GET') => {
  const res = await fetch(`${proxy.endpoint}${path}`, { method });
  return { status: res.status, text: await res.text() };
};

describe('fault proxy', () => {
  it('should pass requests through untouched and log them', async () => {
    expect(await get('/a/b?q=1')).toEqual({ status: 200, text: BODY });
    expect(proxy.log.at(-1)).toEqual({ method: 'GET', path: '/a/b', fault: 'none', status: 200 });
    expect(proxy.count({ pathIncludes: '/a/' })).toBeGreaterThan(0);
  });

  it('should answer an S3 error without forwarding', async () => {
    proxy.set({ kind: 'status', status: 503 });
    const r = await get();
    expect(r.status).toBe(503);
    expect(r.text).toContain('<Code>SlowDown</Code>');
    expect(seen).toBe(0);
  });

  it.each(['reset', 'truncate'] as const)('should forward, then cut the body short on %s', async (kind) => {
    proxy.set({ kind });
    await expect(get()).rejects.toThrow();
    expect(seen).toBe(1);
  });

  it('should drop a request without forwarding it', async () => {
    proxy.set({ kind: 'drop' });
    await expect(get()).rejects.toThrow();
    expect(seen).toBe(0);
  });

  it('should corrupt the body keeping its length', async () => {
    proxy.set({ kind: 'corrupt' });
    const r = await get();
    expect(r.text).toHaveLength(BODY.length);
    expect(r.text).not.toBe(BODY);
    expect(r.text).toContain('###');
  });

  it('should delay by the latency asked for', async () => {
    proxy.set({ kind: 'latency', ms: 150 });
    const t0 = performance.now();
    expect((await get()).text).toBe(BODY);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it('should limit a fault to its scope: methods, path and a number of times', async () => {
    proxy.set({ kind: 'status', status: 500 }, { methods: ['POST'], pathIncludes: '/only', times: 1 });
    expect((await get('/only')).status).toBe(200);
    expect((await get('/other', 'POST')).status).toBe(200);
    expect((await get('/only', 'POST')).status).toBe(500);
    expect((await get('/only', 'POST')).status).toBe(200);
  });
});
