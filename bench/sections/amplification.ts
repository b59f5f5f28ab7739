/**
 * Amplification section: the seeded fuzz corpus of test/http/fuzz.test.ts (10,000 bodies:
 * arbitrary JSON, near-valid requests and batches, and the adversarial categories: long names,
 * many unknown keys, many profiles, large implied outputs, extreme numbers) posted to the local
 * server. Reports the largest response-to-request byte ratio (goal: under 50) per kind of answer,
 * counting requests under 1 KiB as 1 KiB.
 */
import fc from 'fast-check';
import { SEED, adversarial, batch, nearlyValid, strategy } from '../../test/support/fuzz-corpus.js';
import type { SectionResult } from '../run.js';

const BODIES = Number(process.env.BENCH_AMPLIFICATION_BODIES ?? 10_000);

interface Worst {
  ratio: number;
  requestBytes: number;
  responseBytes: number;
  status: number;
}

export async function run(): Promise<SectionResult> {
  // Set before the server (and its logger) is loaded: 10,000 rejection lines would drown the table.
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const { startServer } = await import('../../functions/local/server.js');
  const corpus = fc.tuple(strategy, fc.oneof(fc.jsonValue().map((v) => JSON.stringify(v)), fc.oneof(nearlyValid, batch).map((v) => JSON.stringify(v)), adversarial));
  const bodies = fc.sample(corpus, { seed: SEED, numRuns: BODIES });
  const server = await startServer({ port: 0, env: { ...process.env } });
  const worst: Record<string, Worst> = {};
  let fiveHundreds = 0;
  try {
    for (const [s, body] of bodies) {
      const res = await fetch(`${server.url}/v1/fuse/${s}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const text = await res.text();
      if (res.status >= 500) fiveHundreds++;
      const kind = res.status === 200 ? '200' : `${Math.floor(res.status / 100)}xx`;
      const requestBytes = Buffer.byteLength(body);
      const responseBytes = Buffer.byteLength(text);
      // A problem object is about 300 bytes whatever the request: requests under 1 KiB count as 1 KiB.
      const ratio = responseBytes / Math.max(1024, requestBytes);
      if (!worst[kind] || ratio > worst[kind].ratio) worst[kind] = { ratio, requestBytes, responseBytes, status: res.status };
    }
  } finally {
    await server.close();
  }
  const rows = Object.entries(worst).map(([kind, w]) => ({
    answers: kind,
    'largest response/request ratio': +w.ratio.toFixed(2),
    'its request bytes': w.requestBytes,
    'its response bytes': w.responseBytes,
    goal: '< 50',
  }));
  return { rows, extra: { bodies: bodies.length, seed: SEED, fiveHundreds } };
}
