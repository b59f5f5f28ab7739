/**
 * HTTP section: autocannon (50 connections, 10 s) on a 3-modality `average` request against
 * three servers, each in its own child process, in the same run:
 * - bare: node:http returning a fixed JSON body, the very bytes `fusion serve` answers;
 * - core only: node:http doing the request's own work with the fusion core and nothing else
 *   (bench/core-server.ts): the most any server answering with this core can reach here;
 * - `fusion serve`: the Lambda handlers behind node:http, as `npm start` runs it.
 * All are warmed up the same way, then measured in alternating rounds (bare, core, fusion, ...)
 * so that a change in the machine's other load hits them alike; each ratio to the bare server
 * is the median of the per-round ratios. Besides requests/s, each server's own CPU time per
 * request (user + system, from /proc on Linux) is recorded: unlike requests/s it does not
 * depend on how busy the rest of the machine is. Also records each Lambda entry's bundle size
 * (esbuild, minified, ESM, platform node), with and without the AWS SDK the runtime provides.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { build } from 'esbuild';
import { fuseAny } from '../../functions/fusion/fuse.js';
import { average } from '../../functions/fusion/rules/average.js';
import { ENTRIES, entryFile } from '../../functions/http/routes.js';
import { startChild } from '../child.js';
import { median } from '../median.js';
import type { SectionResult } from '../run.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_HTTP_ROUNDS ?? 3);
/** Linux's USER_HZ: the unit of the CPU times in /proc/<pid>/stat. */
const CLOCK_TICKS_PER_S = 100;
const CONNECTIONS = 50;
const REQUEST = JSON.stringify({
  classes: ['negative', 'neutral', 'positive'],
  predictions: {
    text: { probabilities: [0.05, 0.15, 0.8] },
    video: { probabilities: { negative: 0.1, neutral: 0.3, positive: 0.6 } },
    audio: { logits: [-1.2, 0.3, 2.0] },
  },
  weights: { text: 0.5, video: 0.3, audio: 0.2 },
  // The client's own decision id (as a retry sends): every server answers the same bytes.
  decisionId: 'bench-1',
});

/** What every server answers: the core's decision for `REQUEST`, with its decisionId. */
const ANSWER = JSON.stringify({ ...fuseAny(average, JSON.parse(REQUEST)), decisionId: 'bench-1' });

const BARE = `
const body = ${JSON.stringify(ANSWER)};
const server = require('node:http').createServer((req, res) => {
  req.resume();
  req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(body); });
});
server.listen(0, '127.0.0.1', () => console.log('Late fusion API on http://127.0.0.1:' + server.address().port + ' Ctrl-C'));
`;

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

/** The CPU seconds (user + system) `pid` has used, or undefined where /proc is not available. */
async function cpuSeconds(pid: number | undefined): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat(5) (utime, stime) are the 12th and 13th after the command name.
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
  } catch {
    return undefined;
  }
}

/** One measured load on a running server, with the server's CPU microseconds per request. */
async function measured(child: ChildProcess, target: string) {
  const before = await cpuSeconds(child.pid);
  const m = await load(target);
  const after = await cpuSeconds(child.pid);
  const cpuUs = before === undefined || after === undefined || m.total === 0 ? undefined : ((after - before) * 1e6) / m.total;
  return { ...m, cpuUs };
}

type Measured = Awaited<ReturnType<typeof measured>>;

/** The median round of a server (by requests/s), with errors summed over every round. */
function summary(rounds: Measured[]) {
  const cpu = rounds.map((r) => r.cpuUs).filter((c): c is number => c !== undefined);
  return {
    rps: median(rounds.map((r) => r.rps)),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
    cpuUsPerRequest: cpu.length ? median(cpu) : undefined,
    rounds: rounds.map((r) => ({ rps: r.rps, p50: r.p50, p99: r.p99, errors: r.errors, cpuUs: r.cpuUs })),
  };
}

/** Fails unless `url` answers the benchmark request with exactly `ANSWER`: every server sends the same bytes. */
async function checkAnswer(url: string): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: REQUEST });
  const text = await res.text();
  if (res.status !== 200 || text !== ANSWER) throw new Error(`${url} answered ${res.status} ${text.slice(0, 200)}, not the expected decision`);
}

const SERVERS = [
  { name: 'bare', args: ['-e', BARE], path: '/' },
  { name: 'core', args: ['--import', 'tsx', resolve(ROOT, 'bench/core-server.ts')], path: '/' },
  { name: 'fusion', args: [resolve(ROOT, 'bin/fusion.js'), 'serve'], path: '/v1/fuse/average' },
] as const;

type ServerName = (typeof SERVERS)[number]['name'];

/** Every server warmed up alike, then measured in alternating rounds. */
async function compare(dir: string) {
  // `fusion serve` writes a decision line per request to stdout (a file here) and to its local
  // store (FUSION_STORE_DIR, the run's temporary directory), as `npm start` does.
  const env = { ...process.env, PORT: '0', POWERTOOLS_METRICS_DISABLED: 'true', FUSION_STORE_DIR: dir };
  const running = [];
  try {
    for (const s of SERVERS) running.push({ ...s, ...(await startChild([...s.args], env, join(dir, `${s.name}.log`))) });
    for (const s of running) await checkAnswer(s.url + s.path);
    for (const s of running) await load(s.url + s.path); // warm-up at full concurrency, discarded (JIT, connections)
    const rounds: Record<ServerName, Measured>[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const round = {} as Record<ServerName, Measured>;
      for (const s of running) round[s.name] = await measured(s.child, s.url + s.path);
      rounds.push(round);
    }
    const of = (name: ServerName) => summary(rounds.map((r) => r[name]));
    const ratio = (name: ServerName) => median(rounds.map((r) => r[name].rps / r.bare.rps));
    return { bare: of('bare'), core: of('core'), local: of('fusion'), coreRatio: ratio('core'), ratio: ratio('fusion') };
  } finally {
    for (const s of running) s.child.kill('SIGTERM');
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
  let result;
  try {
    result = await compare(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const { bare, core, local, coreRatio, ratio } = result;
  const cpuRatio = bare.cpuUsPerRequest && local.cpuUsPerRequest ? bare.cpuUsPerRequest / local.cpuUsPerRequest : undefined;
  const sizes = await bundleSizes();
  const cpu = (m: typeof bare) => (m.cpuUsPerRequest === undefined ? '' : +m.cpuUsPerRequest.toFixed(1));
  const row = (measure: string, m: typeof bare) => ({ measure, 'req/s': Math.round(m.rps), 'p50 ms': m.p50, 'p99 ms': m.p99, errors: m.errors, 'server CPU us/req': cpu(m) });
  const blank = { 'p50 ms': '', 'p99 ms': '', errors: '', 'server CPU us/req': '' };
  const rows: SectionResult['rows'] = [
    row(`bare node:http, fixed JSON body (the same bytes), median of ${ROUNDS}`, bare),
    row(`core only: node:http + parse, fuse, stringify, median of ${ROUNDS}`, core),
    row(`fusion serve, POST /v1/fuse/average, 3 modalities, median of ${ROUNDS}`, local),
    { measure: 'ratio core-only/bare req/s: the ceiling for this core', 'req/s': +coreRatio.toFixed(3), ...blank },
    { measure: 'ratio fusion/bare req/s, median of rounds (target >= 0.6, zero errors)', 'req/s': +ratio.toFixed(3), ...blank },
    ...(cpuRatio === undefined ? [] : [{ measure: 'ratio bare/fusion server CPU per request', 'req/s': +cpuRatio.toFixed(3), ...blank }]),
    ...Object.entries(sizes).map(([entry, s]) => ({ measure: `bundle ${entry}.ts KiB (without @aws-sdk)`, 'req/s': `${(s.bytes / 1024).toFixed(1)} (${(s.withoutAwsSdk / 1024).toFixed(1)})`, ...blank })),
  ];
  return { rows, extra: { connections: CONNECTIONS, seconds: SECONDS, rounds: ROUNDS, bare, core, local, coreRatio, ratio, cpuRatio, bundleBytes: sizes } };
}
