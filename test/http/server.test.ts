import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import { run as serve } from '../../functions/cli/serve.js';
import { fuse, STRATEGY_NAMES } from '../../functions/fusion/registry.js';
import { handler as average } from '../../functions/http/entries/average.js';
import { type LocalServer, GATEWAY_MAX_BODY_BYTES, startServer } from '../../functions/local/server.js';
import { withoutDecisionIds } from '../support/decision-id.js';
import { context, eventV2 } from './events.js';

const SENTIMENT = {
  profile: 'sentiment',
  predictions: { text: { probabilities: [0.1, 0.2, 0.7] }, video: { probabilities: [0.2, 0.5, 0.3] }, audio: { label: 'positive', confidence: 0.6 } },
};
const ROOT = join(import.meta.dirname, '../..');

let server: LocalServer;
beforeAll(async () => {
  server = await startServer({ port: 0, env: { ...process.env } });
});
afterAll(() => server.close());

const post = (path: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  fetch(server.url + path, { method: 'POST', headers, body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body), signal: AbortSignal.timeout(10_000) });

describe('local server (real HTTP on an ephemeral port)', () => {
  it('should listen on 127.0.0.1 and report its URL', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.port).toBeGreaterThan(0);
  });

  it('should fuse the sentiment example exactly as the Lambda handler does', async () => {
    const res = await post('/v1/fuse/average', SENTIMENT);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('apigw-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    const direct = await average(eventV2('POST', '/v1/fuse/average', SENTIMENT), context());
    const served = withoutDecisionIds(await res.json());
    expect(served.answer).toEqual(withoutDecisionIds(JSON.parse(direct.body)).answer);
    expect(served.ids).toEqual([res.headers.get('x-fusion-decision-id')]);
  });

  it('should serve every strategy route', async () => {
    const req = { classes: ['a', 'b'], predictions: { x: { probabilities: [0.8, 0.2] }, y: { probabilities: [0.4, 0.6] } } };
    for (const name of STRATEGY_NAMES) {
      const res = await post(`/v1/fuse/${name}`, req);
      let expected: unknown;
      try {
        expected = fuse(name, req);
      } catch {
        expected = undefined; // a strategy that needs a stored profile answers with a problem
      }
      if (expected) expect(withoutDecisionIds(await res.json()).answer, name).toEqual(expected);
      else expect(res.status, name).toBeGreaterThanOrEqual(400);
    }
  });

  it('should serve the GET routes', async () => {
    const strategies = (await (await fetch(`${server.url}/v1/strategies`)).json()) as { strategies: { name: string }[] };
    expect(strategies.strategies.map((s) => s.name)).toEqual(STRATEGY_NAMES);
    expect(await (await fetch(`${server.url}/v1/health`)).json()).toEqual({ status: 'ok', strategies: STRATEGY_NAMES });
    const doc = (await (await fetch(`${server.url}/v1/openapi.json?x=1`)).json()) as { openapi: string };
    expect(doc.openapi).toBe('3.1.0');
  });

  it('should answer unknown routes with 404, wrong methods with 405, and non-JSON with 415', async () => {
    const unknown = await post('/v1/fuse/nope', SENTIMENT);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toBe('application/problem+json');
    expect(((await unknown.json()) as { detail: string }).detail).toContain('average');
    expect((await fetch(`${server.url}/nothing`)).status).toBe(404);
    const wrong = await fetch(`${server.url}/v1/fuse/average`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect((await post('/v1/health', {})).status).toBe(405);
    expect((await post('/v1/fuse/average', 'a=b', { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(415);
    expect((await post('/v1/fuse/average', Buffer.from([0xff, 0x00, 0x10]), { 'content-type': 'application/octet-stream' })).status).toBe(415);
    const gzipped = await post('/v1/fuse/average', gzipSync(JSON.stringify(SENTIMENT)), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(gzipped.status).toBe(415);
    expect(((await gzipped.json()) as { detail: string }).detail).toContain('Content-Encoding: gzip');
  });

  it('should refuse bodies over API Gateway’s 10 MiB limit with 413 without reading them into a handler', async () => {
    const res = await post('/v1/fuse/average', 'x'.repeat(GATEWAY_MAX_BODY_BYTES + 1));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { type: string }).type).toBe('urn:problem:late-fusion:payload-too-large');
  });

  it('should give each server its own environment (FUSION_MAX_BODY_BYTES)', async () => {
    const small = await startServer({ port: 0, env: { ...process.env, FUSION_MAX_BODY_BYTES: '64' } });
    try {
      const res = await fetch(`${small.url}/v1/fuse/average`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(SENTIMENT) });
      expect(res.status).toBe(413);
      expect((await post('/v1/fuse/average', SENTIMENT)).status).toBe(200);
    } finally {
      await small.close();
    }
  });

  it('should answer 200 concurrent requests correctly', async () => {
    const expected = JSON.stringify(withoutDecisionIds(await (await post('/v1/fuse/average', SENTIMENT)).json()).answer);
    const answers = await Promise.all(Array.from({ length: 200 }, () => post('/v1/fuse/average', SENTIMENT).then(async (r) => withoutDecisionIds(await r.json()))));
    expect(new Set(answers.map((a) => JSON.stringify(a.answer)))).toEqual(new Set([expected]));
    // Every decision has its own id.
    expect(new Set(answers.map((a) => a.ids[0])).size).toBe(200);
  });

  it('should reject a bad FUSION_MAX_BODY_BYTES when starting, not on the first request', async () => {
    await expect(startServer({ port: 0, env: { FUSION_MAX_BODY_BYTES: 'lots' } })).rejects.toThrow(/FUSION_MAX_BODY_BYTES/);
  });

  it('should stop listening on close()', async () => {
    const s = await startServer({ port: 0 });
    await s.close();
    await expect(fetch(`${s.url}/v1/health`)).rejects.toThrow();
  });
});

describe('fusion serve', () => {
  it('should print one clear line and exit 1 when the port is in use', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(startServer({ port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
      let out = '';
      let err = '';
      const code = await serve([], {
        stdin: process.stdin,
        stdout: { write: (s: string) => (out += s) },
        stderr: { write: (s: string) => (err += s) },
        env: { ...process.env, PORT: String(port) },
      });
      expect(code).toBe(1);
      expect(out).toBe('');
      expect(err.trim().split('\n')).toEqual([expect.stringContaining(`port ${port} on 127.0.0.1 is already in use`)]);
    } finally {
      blocker.close();
    }
  });

  it('should reject a malformed PORT with a usage error', async () => {
    let err = '';
    const io = { stdin: process.stdin, stdout: { write: () => true }, stderr: { write: (s: string) => (err += s) }, env: { PORT: 'eighty' } };
    expect(await serve([], io)).toBe(2);
    expect(err).toMatch(/Port must be a whole number/);
  });

  it('should start from the command line, print the URL and a working curl example, and stop cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/fusion.js'), 'serve'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', POWERTOOLS_LOG_LEVEL: 'SILENT' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 20_000);
        child.stdout.on('data', (d: Buffer) => {
          out += d;
          const m = /Late fusion API on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m && out.includes('Ctrl-C')) clearTimeout(timer), resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      // The printed curl example: run its body against the printed URL.
      const example = /-d '(.+)'/.exec(out)![1]!;
      expect(JSON.parse(example)).toMatchObject({ profile: 'sentiment' });
      expect(out).toContain(`curl -s ${url}/v1/fuse/average -H 'content-type: application/json'`);
      const res = await fetch(`${url}/v1/fuse/average`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: example });
      expect(((await res.json()) as { label: string }).label).toBe('positive');
      const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exit).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
