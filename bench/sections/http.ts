/**
 * HTTP section: autocannon (50 connections, 10 s) against the local server (`fusion serve`, the
 * Lambda handlers behind node:http, as `npm start` runs it) on a 3-modality `average` request,
 * beside a bare node:http server that returns a fixed JSON body, both in their own child
 * process, one after the other, in the same run. Also records each Lambda entry's bundle size
 * (esbuild, minified, ESM, platform node), with and without the AWS SDK the runtime provides.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { build } from 'esbuild';
import { ENTRIES, entryFile } from '../../functions/http/routes.js';
import type { SectionResult } from '../run.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 10);
const CONNECTIONS = 50;
const REQUEST = JSON.stringify({
  classes: ['negative', 'neutral', 'positive'],
  predictions: {
    text: { probabilities: [0.05, 0.15, 0.8] },
    video: { probabilities: { negative: 0.1, neutral: 0.3, positive: 0.6 } },
    audio: { logits: [-1.2, 0.3, 2.0] },
  },
  weights: { text: 0.5, video: 0.3, audio: 0.2 },
});

const BARE = `
const body = JSON.stringify({ strategy: 'average', label: 'positive', confidence: 0.72, probabilities: { negative: 0.07, neutral: 0.21, positive: 0.72 } });
const server = require('node:http').createServer((req, res) => {
  req.resume();
  req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(body); });
});
server.listen(0, '127.0.0.1', () => console.log('Late fusion API on http://127.0.0.1:' + server.address().port + ' Ctrl-C'));
`;

/**
 * Starts a child process with stdout to a file (as a Lambda's logs go to a file-like sink: a
 * pipe to this busy process would block the child on every log line) and resolves with the
 * URL it prints there.
 */
async function startChild(args: string[], env: NodeJS.ProcessEnv, log: string): Promise<{ child: ChildProcess; url: string }> {
  const out = await open(log, 'w+');
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', out.fd, 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<never>((_, fail) => child.once('exit', (code) => fail(new Error(`server exited with ${code}: ${stderr}`))));
  exited.catch(() => {});
  try {
    for (let waited = 0; waited < 30_000; waited += 50) {
      const text = await readFile(log, 'utf8');
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(text);
      if (m && text.includes('Ctrl-C')) return { child, url: m[1]! };
      await Promise.race([exited, new Promise((r) => setTimeout(r, 50))]);
    }
    throw new Error(`server printed no URL in 30 s: ${stderr}`);
  } finally {
    await out.close();
  }
}

async function load(url: string) {
  const r = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: REQUEST,
    connections: CONNECTIONS,
    duration: SECONDS,
  });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts + r.non2xx, total: r.requests.total };
}

async function measure(args: string[], path: string, dir: string, name: string) {
  const { child, url } = await startChild(args, { ...process.env, PORT: '0', POWERTOOLS_METRICS_DISABLED: 'true' }, join(dir, `${name}.log`));
  try {
    await load(url + path); // warm-up at full concurrency, discarded (JIT, connections)
    return await load(url + path);
  } finally {
    child.kill('SIGTERM');
  }
}

/** Bundle bytes of every entry, bundled as CDK does, and without `@aws-sdk/*` (in the Lambda runtime). */
async function bundleSizes(): Promise<Record<string, { bytes: number; withoutAwsSdk: number }>> {
  const size = async (entry: string, external: string[]) => {
    const out = await build({ entryPoints: [entryFile(entry)], bundle: true, minify: true, format: 'esm', platform: 'node', target: 'node24', external, write: false, logLevel: 'silent' });
    return out.outputFiles[0]!.contents.byteLength;
  };
  const sizes: Record<string, { bytes: number; withoutAwsSdk: number }> = {};
  for (const entry of ENTRIES) sizes[entry] = { bytes: await size(entry, []), withoutAwsSdk: await size(entry, ['@aws-sdk/*']) };
  return sizes;
}

export async function run(): Promise<SectionResult> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-http-'));
  let bare, local;
  try {
    bare = await measure(['-e', BARE], '/', dir, 'bare');
    local = await measure([resolve(ROOT, 'bin/fusion.js'), 'serve'], '/v1/fuse/average', dir, 'serve');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const ratio = local.rps / bare.rps;
  const sizes = await bundleSizes();
  const row = (measure: string, m: Awaited<ReturnType<typeof load>>) => ({ measure, 'req/s': Math.round(m.rps), 'p50 ms': m.p50, 'p99 ms': m.p99, errors: m.errors });
  const rows: SectionResult['rows'] = [
    row('bare node:http, fixed JSON body', bare),
    row('fusion serve, POST /v1/fuse/average (3 modalities)', local),
    { measure: 'ratio fusion/bare (target >= 0.6, zero errors)', 'req/s': +ratio.toFixed(3), 'p50 ms': '', 'p99 ms': '', errors: '' },
    ...Object.entries(sizes).map(([entry, s]) => ({ measure: `bundle ${entry}.ts KiB (without @aws-sdk)`, 'req/s': `${(s.bytes / 1024).toFixed(1)} (${(s.withoutAwsSdk / 1024).toFixed(1)})`, 'p50 ms': '', 'p99 ms': '', errors: '' })),
  ];
  return { rows, extra: { connections: CONNECTIONS, seconds: SECONDS, bare, local, ratio, bundleBytes: sizes } };
}
