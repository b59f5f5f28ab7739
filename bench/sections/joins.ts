/**
 * Joins section, in one run:
 * - joins per second through `fusion serve` (3 PUTs each, the in-memory store and in-process
 *   timers of `npm start`) beside 3 synchronous `POST /v1/fuse/average` per second on the same
 *   server, in alternating rounds with the same concurrency; the ratio is the median per round;
 * - DynamoDB write units per 3-modality join, as dynalite reports them (ConsumedCapacity), for
 *   arrivals one after another and for the three PUTs of each join sent at once;
 * - the time from the completing arrival's call to its outcome being delivered, p50 and p99:
 *   memory store with in-memory delivery, and DynamoDB (dynalite) with delivery to an SQS results
 *   queue (fauxqs).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';
import type { ResolvedProfile } from '../../functions/fusion/prepare.js';
import { MemoryDelivery, QueueDelivery } from '../../functions/joins/delivery.js';
import { DynamoJoinStore } from '../../functions/joins/dynamo.js';
import { type JoinDelivery, JoinService } from '../../functions/joins/service.js';
import { type JoinStore, MemoryJoinStore } from '../../functions/joins/store.js';
import { DirectoryStore } from '../../functions/store/local.js';
import { startDynamo } from '../../test/support/dynamo.js';
import { startChild } from '../child.js';
import { median } from '../median.js';
import type { SectionResult } from '../run.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SECONDS = Number(process.env.BENCH_JOINS_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_JOINS_ROUNDS ?? 3);
const WORKERS = 16;
const LATENCY_JOINS = Number(process.env.BENCH_JOINS_LATENCY ?? 300);
const P = { text: { probabilities: [0.05, 0.15, 0.8] }, video: { probabilities: [0.1, 0.3, 0.6] }, audio: { logits: [-1.2, 0.3, 2.0] } } as const;
const MODALITIES = ['text', 'video', 'audio'] as const;
const JSON_HEADERS = { 'content-type': 'application/json' };

let counter = 0;
const nextId = () => `b${process.pid}-${Date.now().toString(36)}-${counter++}`;

async function check(res: Response, ok: number[]): Promise<void> {
  await res.arrayBuffer();
  if (!ok.includes(res.status)) throw new Error(`unexpected status ${res.status}`);
}

/** Units (a join of 3 PUTs, or 3 synchronous requests) per second over `SECONDS`. */
async function rate(unit: () => Promise<void>): Promise<number> {
  let done = 0;
  const end = performance.now() + SECONDS * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      while (performance.now() < end) await unit(), done++;
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

async function throughput(): Promise<{ joins: number[]; sync: number[] }> {
  const log = join(await mkdtemp(join(tmpdir(), 'bench-joins-')), 'serve.log');
  let child: ChildProcess | undefined;
  try {
    const started = await startChild(['bin/fusion.js', 'serve'], { ...process.env, PORT: '0', POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' }, log);
    child = started.child;
    const url = started.url;
    const joinUnit = async () => {
      const id = nextId();
      for (const m of MODALITIES) await check(await fetch(`${url}/v1/joins/sentiment/${id}/${m}`, { method: 'PUT', headers: JSON_HEADERS, body: JSON.stringify(P[m]) }), [200, 202]);
    };
    const body = JSON.stringify({ profile: 'sentiment', predictions: P });
    const syncUnit = async () => {
      for (let i = 0; i < 3; i++) await check(await fetch(`${url}/v1/fuse/average`, { method: 'POST', headers: JSON_HEADERS, body }), [200]);
    };
    await rate(joinUnit), await rate(syncUnit); // warm-up
    const joins: number[] = [];
    const sync: number[] = [];
    for (let r = 0; r < ROUNDS; r++) joins.push(await rate(joinUnit)), sync.push(await rate(syncUnit));
    return { joins, sync };
  } finally {
    child?.kill('SIGKILL');
    await rm(resolve(log, '..'), { recursive: true, force: true });
  }
}

function service(store: JoinStore, delivery: JoinDelivery, profile: ResolvedProfile): JoinService {
  return new JoinService({ store, delivery, scheduler: { schedule: () => Promise.resolve() }, profiles: () => Promise.resolve(profile) });
}

/** Milliseconds from the completing arrival's call to the end of its delivery, per join. */
async function latencies(store: JoinStore, deliver: JoinDelivery, profile: ResolvedProfile): Promise<number[]> {
  let started = 0;
  const out: number[] = [];
  const timed: JoinDelivery = {
    async deliver(o, p) {
      await deliver.deliver(o, p);
      out.push(performance.now() - started);
    },
  };
  const svc = service(store, timed, profile);
  for (let j = 0; j < LATENCY_JOINS; j++) {
    const id = nextId();
    await svc.arrive('sentiment', id, 'text', P.text);
    await svc.arrive('sentiment', id, 'video', P.video);
    started = performance.now();
    await svc.arrive('sentiment', id, 'audio', P.audio);
  }
  return out;
}

const pct = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

export async function run(): Promise<SectionResult> {
  const profile = await new DirectoryStore(join(ROOT, 'examples/profiles')).getProfile('sentiment');
  const { joins, sync } = await throughput();
  const ratio = median(joins.map((j, i) => j / sync[i]!));

  const dynamo = await startDynamo();
  const sqs = await startFauxqs({ port: 0, logger: false });
  try {
    sqs.createQueue('results');
    // Write units: sequential arrivals, then the three PUTs of each join at once.
    const sequential = new DynamoJoinStore(dynamo.client, dynamo.table);
    const seqSvc = service(sequential, new MemoryDelivery(), profile);
    const N = 50;
    for (let j = 0; j < N; j++) {
      const id = nextId();
      for (const m of MODALITIES) await seqSvc.arrive('sentiment', id, m, P[m]);
    }
    const concurrent = new DynamoJoinStore(dynamo.client, dynamo.table);
    const conSvc = service(concurrent, new MemoryDelivery(), profile);
    for (let j = 0; j < N; j++) {
      const id = nextId();
      await Promise.all(MODALITIES.map((m) => conSvc.arrive('sentiment', id, m, P[m])));
    }

    const memory = await latencies(new MemoryJoinStore(), new MemoryDelivery(), profile);
    const client = new SQSClient({ endpoint: sqs.address, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const queued = await latencies(new DynamoJoinStore(dynamo.client, dynamo.table), new QueueDelivery(client, `${sqs.address}/000000000000/results`), profile);
    client.destroy();

    return {
      rows: [
        { measure: 'joins/s through fusion serve (3 PUTs each)', value: round(median(joins), 1), baseline: `${round(median(sync), 1)} x 3 sync fuse/s`, ratio: round(ratio, 3) },
        { measure: 'DynamoDB write units per join (arrivals one after another)', value: round(sequential.stats.writeUnits / N), baseline: 'goal <= 4', ratio: round(sequential.stats.writeUnits / N / 4, 3) },
        { measure: 'DynamoDB write units per join (3 PUTs at once)', value: round(concurrent.stats.writeUnits / N), baseline: 'goal <= 4', ratio: round(concurrent.stats.writeUnits / N / 4, 3) },
        { measure: 'completing arrival to delivered, memory: p50 / p99 ms', value: `${round(pct(memory, 0.5), 3)} / ${round(pct(memory, 0.99), 3)}`, baseline: '', ratio: '' },
        { measure: 'completing arrival to delivered, dynalite + SQS: p50 / p99 ms', value: `${round(pct(queued, 0.5))} / ${round(pct(queued, 0.99))}`, baseline: '', ratio: '' },
      ],
      extra: { joinsPerSecond: joins, syncTriplesPerSecond: sync, workers: WORKERS, seconds: SECONDS, sequentialStats: sequential.stats, concurrentStats: concurrent.stats },
    };
  } finally {
    await sqs.stop();
    await dynamo.stop();
  }
}
