/**
 * Core section: validated fused decisions per second for each fixed rule, in-process, on
 * 3 modalities × 3 classes and 5 × 100. Every decision starts from the raw, unvalidated JSON
 * object (`fuseOne`: zod parse, cross-field checks, calibration, rule, response). The baseline
 * is a bare Float64Array weighted-sum + argmax loop over the same numbers, already unpacked.
 * Each rule runs in its own worker thread (a fresh V8 isolate), as each strategy runs in its own
 * Lambda function, so no rule inherits another's JIT feedback. Time is the CPU time of the
 * process, which is robust to other load on the machine; the result is the median of ROUNDS rounds.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { STRATEGIES, STRATEGY_NAMES, type StrategyName, fuseOne } from '../../functions/fusion/index.js';
import { median } from '../median.js';
import type { SectionResult } from '../run.js';

/** Every fixed rule of the registry (learned needs a trained model: see the learned section). */
const RULES = STRATEGY_NAMES.filter((name) => name !== 'learned');
const SHAPES = [
  { K: 3, C: 3, items: 1000 },
  { K: 5, C: 100, items: 200 },
];
const ROUNDS = Number(process.env.BENCH_CORE_ROUNDS ?? 7);
const ROUND_MS = Number(process.env.BENCH_CORE_MS ?? 200);
const TARGET_3x3 = 1_000_000;

interface Data {
  requests: object[];
  /** The same numbers unpacked for the baseline: K·C probabilities and K weights per item. */
  flat: Float64Array[];
  weights: Float64Array[];
}

/** A small deterministic generator, so runs compare like with like. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function dataset(K: number, C: number, n: number, options?: object): Data {
  const next = rng(K * 1000 + C);
  const classes = Array.from({ length: C }, (_, c) => (C === 3 ? ['negative', 'neutral', 'positive'][c]! : `class-${c}`));
  const names = ['text', 'video', 'audio', 'face', 'gesture'].slice(0, K);
  const data: Data = { requests: [], flat: [], weights: [] };
  for (let i = 0; i < n; i++) {
    const flat = new Float64Array(K * C);
    const weights = new Float64Array(K);
    const predictions: Record<string, { probabilities: number[] }> = {};
    const w: Record<string, number> = {};
    names.forEach((m, k) => {
      const raw = Array.from({ length: C }, () => next() + 0.01);
      const sum = raw.reduce((a, b) => a + b, 0);
      const probabilities = raw.map((x) => x / sum);
      predictions[m] = { probabilities };
      flat.set(probabilities, k * C);
      w[m] = weights[k] = 0.5 + next();
    });
    data.requests.push(options ? { classes, predictions, weights: w, options } : { classes, predictions, weights: w });
    data.flat.push(flat);
    data.weights.push(weights);
  }
  return data;
}

let sink = 0;

/** The baseline: f = Σ w_k p_k over K·C numbers, normalised by Σ w, and its argmax. */
function baseline(d: Data, i: number, f: Float64Array): void {
  const p = d.flat[i]!;
  const w = d.weights[i]!;
  const C = f.length;
  f.fill(0);
  let wSum = 0;
  for (let k = 0; k < w.length; k++) {
    wSum += w[k]!;
    for (let c = 0; c < C; c++) f[c]! += w[k]! * p[k * C + c]!;
  }
  let best = 0;
  for (let c = 1; c < C; c++) if (f[c]! > f[best]!) best = c;
  sink += f[best]! / wSum;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Decisions per CPU-second of `step` cycling over `n` items for about ROUND_MS. */
function rate(n: number, step: (i: number) => void): number {
  let done = 0;
  const start = cpuMs();
  let elapsed = 0;
  while (elapsed < ROUND_MS) {
    for (let i = 0; i < n; i++) step(i);
    done += n;
    elapsed = cpuMs() - start;
  }
  return (done / elapsed) * 1000;
}

const BASELINE = 'baseline (Float64Array weighted sum)';

interface Job {
  section: 'core';
  K: number;
  C: number;
  items: number;
  rule: string;
  /** Request options every item carries (`{"adaptiveWeights": "entropy"}`). */
  options?: object;
}

/** In a worker: measure one rule (or the baseline) on one shape and post the rates back. */
function measure({ K, C, items, rule, options }: Job): number[] {
  const d = dataset(K, C, items, options);
  const f = new Float64Array(C);
  const strategy = rule === BASELINE ? undefined : STRATEGIES[rule as StrategyName];
  const step = strategy ? (i: number) => (sink += fuseOne(strategy, d.requests[i]).confidence) : (i: number) => baseline(d, i, f);
  rate(items, step); // warm-up
  return Array.from({ length: ROUNDS }, () => rate(items, step));
}

if (!isMainThread && (workerData as Job | undefined)?.section === 'core') {
  const rates = measure(workerData as Job);
  parentPort!.postMessage({ rates, checksum: sink });
}

/** The rates of ROUNDS rounds of one rule on one shape, measured in a fresh worker thread. */
export function inWorker(job: Job): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: job });
    worker.once('message', (m: { rates: number[] }) => resolve(m.rates));
    worker.once('error', reject);
  });
}

export async function run(): Promise<SectionResult> {
  const rows: SectionResult['rows'] = [];
  const samples: Record<string, number[]> = {};
  let worst3x3 = Infinity;
  for (const { K, C, items } of SHAPES) {
    const shape = `${K}×${C}`;
    let base = 0;
    for (const rule of [BASELINE, ...RULES]) {
      const rates = await inWorker({ section: 'core', K, C, items, rule });
      const perSecond = median(rates);
      samples[`${shape} ${rule}`] = rates.map(Math.round);
      if (rule === BASELINE) base = perSecond;
      else if (K === 3 && C === 3) worst3x3 = Math.min(worst3x3, perSecond);
      rows.push({
        shape,
        rule,
        'decisions/s': Math.round(perSecond),
        'µs/decision': +(1e6 / perSecond).toFixed(3),
        'ratio to baseline': +(perSecond / base).toPrecision(3),
        'ratio to 1M/s target': rule !== BASELINE && K === 3 && C === 3 ? +(perSecond / TARGET_3x3).toFixed(2) : '',
      });
    }
  }
  return {
    rows,
    extra: { rounds: ROUNDS, roundMs: ROUND_MS, clock: 'process CPU time, one worker thread per rule', samples, target3x3: TARGET_3x3, slowest3x3: Math.round(worst3x3), meetsTarget: worst3x3 >= TARGET_3x3 },
  };
}
