/**
 * Issue 11, item 13: `fusion serve` protects itself like a production Node server (header and
 * request timeouts, keep-alive timeout, a cap on connections), and SIGTERM or SIGINT sent to
 * `npm start` itself (not only its node child) stops the server and frees the port.
 */
import { spawn } from 'node:child_process';
import { type Socket, connect, createServer } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalServer } from '../../functions/local/server.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** Resolves when the server closes `socket` (or after `ms`, with false). */
function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  return new Promise((done) => {
    const timer = setTimeout(() => done(false), ms);
    socket.once('close', () => (clearTimeout(timer), done(true)));
  });
}
const open = (port: number) => new Promise<Socket>((done, fail) => {
  const s = connect(port, '127.0.0.1', () => done(s));
  s.resume(); // read what the server sends, so that its FIN ends and closes the socket
  s.once('error', fail);
});

describe('fusion serve limits', () => {
  let server: LocalServer;
  beforeAll(async () => {
    const { startServer } = await import('../../functions/local/server.js');
    server = await startServer({ port: 0, limits: { headersTimeoutMs: 500, requestTimeoutMs: 1000, keepAliveTimeoutMs: 300, maxConnections: 3 } });
  });
  afterAll(async () => server?.close());

  it('should close a connection that sends its headers too slowly (slowloris)', async () => {
    const s = await open(server.port);
    s.on('error', () => undefined);
    s.write('POST /v1/fuse/average HTTP/1.1\r\nHost: x\r\n');
    const drip = setInterval(() => s.writable && s.write('X-Slow: 1\r\n'), 100);
    try {
      expect(await closedWithin(s, 3000)).toBe(true);
    } finally {
      clearInterval(drip);
      s.destroy();
    }
  });

  it('should close an idle keep-alive connection', async () => {
    const s = await open(server.port);
    s.write('GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await closedWithin(s, 3000)).toBe(true);
  });

  it('should refuse connections beyond the cap and serve again once they close', async () => {
    const held = await Promise.all([open(server.port), open(server.port), open(server.port)]);
    const extra = await open(server.port);
    extra.on('error', () => undefined);
    expect(await closedWithin(extra, 2000)).toBe(true);
    for (const s of held) s.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect((await fetch(`${server.url}/v1/health`)).status).toBe(200);
  });
});

describe('npm start', () => {
  const freePort = () => new Promise<number>((done) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => done(port));
    });
  });
  const portFree = (port: number) => new Promise<boolean>((done) => {
    const s = createServer().once('error', () => done(false)).listen(port, '127.0.0.1', () => s.close(() => done(true)));
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('should stop the server and free the port when npm itself gets %s', async (signal) => {
    const port = await freePort();
    // Its own process group, so that whatever happens the test can clean up what it started.
    const npm = spawn('npm', ['start'], { cwd: ROOT, env: { ...process.env, PORT: String(port), FUSION_BUCKET: '' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    npm.stdout.on('data', (d) => (out += d));
    npm.stderr.on('data', (d) => (out += d));
    try {
      for (let i = 0; i < 300 && !out.includes('Late fusion API on'); i++) await new Promise((r) => setTimeout(r, 100));
      expect(out).toContain(`Late fusion API on http://127.0.0.1:${port}`);
      npm.kill(signal);
      let free = false;
      for (let i = 0; i < 50 && !free; i++) {
        await new Promise((r) => setTimeout(r, 100));
        free = await portFree(port);
      }
      expect(free, out.slice(-500)).toBe(true);
    } finally {
      try {
        process.kill(-npm.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }, 40_000);
});
