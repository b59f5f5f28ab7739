/**
 * Test support for the clients: the real `fusion serve` (what `npm start` runs) in a child
 * process on a free port, with its own profile directory, and a tiny stub server for retries.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROUTES } from '../../functions/http/routes.js';

export const ROOT = join(import.meta.dirname, '../..');
/** The body limit the test server runs with, so a 413 costs a small body. */
export const TEST_MAX_BODY_BYTES = 65_536;
/** A profile with a `join` section, stored for the live join tests. */
export const JOIN_PROFILE = 'sentiment-join';
/** Regression and multi-label profiles with a `join` section, stored for the live join tests of each task. */
export const TASK_JOIN_PROFILES = {
  regression: { name: 'mosi-join', task: 'regression', modalities: ['text', 'audio', 'video'], weights: { text: 0.5, audio: 0.2, video: 0.3 }, join: { strategy: 'inverse-variance', windowSeconds: 30 } },
  multilabel: { name: 'tags-join', task: 'multilabel', labels: ['person', 'dog', 'outdoor'], modalities: ['image', 'audio'], join: { strategy: 'average', windowSeconds: 30 } },
} as const;

/** A running `fusion serve`. */
export interface ServeProcess {
  url: string;
  dir: string;
  close(): Promise<void>;
}

/**
 * Starts `node bin/fusion.js serve --port 0` with a temporary store holding the `sentiment`
 * example profile, a copy of it with a `join` section and the regression and multi-label join
 * profiles, or with `storeDir` if given.
 */
export async function startServe(storeDir?: string): Promise<ServeProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'fusion-clients-'));
  copyFileSync(join(ROOT, 'examples/profiles/sentiment.json'), join(dir, 'sentiment.json'));
  const sentiment = JSON.parse(readFileSync(join(dir, 'sentiment.json'), 'utf8')) as Record<string, unknown>;
  const withJoin = { ...sentiment, name: JOIN_PROFILE, join: { strategy: 'average', windowSeconds: 30 } };
  writeFileSync(join(dir, `${JOIN_PROFILE}.json`), JSON.stringify(withJoin));
  for (const p of Object.values(TASK_JOIN_PROFILES)) writeFileSync(join(dir, `${p.name}.json`), JSON.stringify(p));
  const child = spawn(process.execPath, ['bin/fusion.js', 'serve', '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, FUSION_STORE_DIR: storeDir ?? dir, FUSION_MAX_BODY_BYTES: String(TEST_MAX_BODY_BYTES), POWERTOOLS_LOG_LEVEL: 'SILENT' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`fusion serve did not start in 30 s: ${out}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /Late fusion API on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`fusion serve exited with ${code}: ${out}`)));
  });
  return { url, dir, close: () => stop(child).finally(() => rmSync(dir, { recursive: true, force: true })) };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Whether the server serves the join routes: its routing table has them (known when tests are collected). */
export const serverHasJoins = ROUTES.some((r) => r.path.startsWith('/v1/joins/'));

/** One request as the stub saw it. */
export interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

/** A stub answering each request with the next of `answers` (the last one repeats). */
export async function startStub(answers: { status: number; body: unknown; headers?: Record<string, string>; delayMs?: number }[]) {
  const seen: Seen[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body, at: performance.now() });
      const a = answers[Math.min(seen.length - 1, answers.length - 1)]!;
      const text = typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
      const answer = () => res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers }).end(text);
      if (a.delayMs) setTimeout(answer, a.delayMs).unref();
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
