/**
 * Store section: requests per second through the local server (`fusion serve`, in a child
 * process with its logs in a file, so they stay out of the report) with a profile loaded from S3 (s3rver behind
 * the counting proxy of test/support) versus the same request with inline classes and
 * weights, alternating rounds; and the S3 GETs (200 or 304) counted at the proxy per 10,000
 * profile requests, beside the bound "one per TTL per key" for the time the rounds took.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startFaultProxy } from '../../test/support/fault-proxy.js';
import { startS3 } from '../../test/support/s3.js';
import { startChild } from '../child.js';
import { median } from '../median.js';
import type { SectionResult } from '../run.js';

const REQUESTS = Number(process.env.BENCH_STORE_REQUESTS ?? 10_000);
const ROUNDS = 3;
const CONNECTIONS = 16;
const TTL_SECONDS = 1;
const ROOT = resolve(import.meta.dirname, '../..');

const PROFILE = { name: 'bench', classes: ['negative', 'neutral', 'positive'], modalities: ['text', 'video', 'audio'], weights: { text: 0.5, video: 0.3, audio: 0.2 } };
const PREDICTIONS = { text: { probabilities: [0.1, 0.2, 0.7] }, video: { probabilities: [0.2, 0.5, 0.3] }, audio: { logits: [-1, 0.2, 1.5] } };
const WITH_PROFILE = JSON.stringify({ profile: 'bench', predictions: PREDICTIONS });
const INLINE = JSON.stringify({ classes: PROFILE.classes, modalities: PROFILE.modalities, weights: PROFILE.weights, predictions: PREDICTIONS });

export async function run(): Promise<SectionResult> {
  const s3 = await startS3({ bucket: 'bench' });
  const proxy = await startFaultProxy(s3.endpoint);
  const dir = await mkdtemp(join(tmpdir(), 'bench-store-'));
  let child: ChildProcess | undefined;
  try {
    await s3.put('profiles/bench.json', PROFILE);
    const env: NodeJS.ProcessEnv = { ...process.env, ...s3.env, AWS_ENDPOINT_URL_S3: proxy.endpoint, FUSION_CACHE_TTL_SECONDS: String(TTL_SECONDS) };
    // As in Lambda, metrics stay on unless the caller's environment turns them off (serve's default is off).
    env.POWERTOOLS_METRICS_DISABLED ??= 'false';
    delete env.FUSION_PREFIX;
    const started = await startChild([resolve(ROOT, 'bin/fusion.js'), 'serve', '--port', '0', '--host', '127.0.0.1'], env, join(dir, 'serve.log'));
    child = started.child;
    const url = `${started.url}/v1/fuse/average`;

    await load(url, INLINE, 1000);
    await load(url, WITH_PROFILE, 1000);
    const inline: number[] = [];
    const stored: number[] = [];
    let gets = 0;
    let storedSeconds = 0;
    for (let r = 0; r < ROUNDS; r++) {
      inline.push(REQUESTS / (await load(url, INLINE, REQUESTS)));
      const before = proxy.count({ method: 'GET', pathIncludes: 'profiles/bench.json' });
      const seconds = await load(url, WITH_PROFILE, REQUESTS);
      gets += proxy.count({ method: 'GET', pathIncludes: 'profiles/bench.json' }) - before;
      storedSeconds += seconds;
      stored.push(REQUESTS / seconds);
    }
    const ratio = median(stored) / median(inline);
    const getsPer10k = (gets / (REQUESTS * ROUNDS)) * 10_000;
    const bound = Math.ceil(storedSeconds / TTL_SECONDS) + ROUNDS;
    const rows = [
      { measure: `inline weights, ${REQUESTS} requests x ${ROUNDS}`, value: Math.round(median(inline)), unit: 'req/s (median)' },
      { measure: 'profile from S3 (cached)', value: Math.round(median(stored)), unit: 'req/s (median)' },
      { measure: 'ratio S3 profile / inline (target >= 0.9)', value: +ratio.toFixed(3), unit: '' },
      { measure: `S3 GETs per 10,000 requests (TTL ${TTL_SECONDS} s)`, value: +getsPer10k.toFixed(2), unit: 'GET (200 or 304)' },
      { measure: `S3 GETs seen vs bound (1 per TTL over ${storedSeconds.toFixed(1)} s)`, value: `${gets} <= ${bound}`, unit: gets <= bound ? 'ok' : 'OVER' },
    ];
    return { rows, extra: { requests: REQUESTS, rounds: ROUNDS, connections: CONNECTIONS, ttlSeconds: TTL_SECONDS, inlineRps: inline, storedRps: stored, ratio, gets, getsPer10k, bound } };
  } finally {
    child?.kill();
    await proxy.close();
    await s3.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Sends `total` POSTs over CONNECTIONS keep-alive connections; returns the seconds taken. */
async function load(url: string, body: string, total: number): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  let sent = 0;
  const worker = async () => {
    while (sent < total) {
      sent++;
      const status = await post(url, body, agent);
      if (status !== 200) throw new Error(`the server answered ${status}`);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  return seconds;
}

function post(url: string, body: string, agent: Agent): Promise<number> {
  return new Promise((done, fail) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode ?? 0));
    });
    req.on('error', fail);
    req.end(body);
  });
}
