/**
 * Tasks section: in-process decisions per second of the `average` rule for regression (3
 * modalities, the diabetes example data) and multi-label (3 modalities, 10 labels) requests,
 * beside classification `average` (3 modalities, 10 classes, the digits example data) in the
 * same run. Rounds alternate the three; medians and ratios to classification are reported.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fuseOne, getStrategy } from '../../functions/fusion/index.js';
import { mulberry32 } from '../../functions/fusion/learned/rng.js';
import { median } from '../median.js';
import type { SectionResult } from '../run.js';

const CALLS = Number(process.env.BENCH_TASKS_CALLS ?? 50_000);
const ROUNDS = 7;
const DATA = resolve(import.meta.dirname, '../../examples/data');
const LABELS = Array.from({ length: 10 }, (_, l) => `label${l}`);

const lines = (dir: string) => readFileSync(join(DATA, dir, 'test.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

export async function run(): Promise<SectionResult> {
  const classes = Array.from({ length: 10 }, (_, c) => String(c));
  const sets: Record<string, unknown[]> = {
    'classification average (10 classes)': lines('digits-3view').map((l) => ({ classes, predictions: l.predictions })),
    'regression average': lines('diabetes-3view').map((l) => ({ task: 'regression', predictions: l.predictions })),
    'multilabel average (10 labels)': (() => {
      const rng = mulberry32(7);
      const scores = () => LABELS.map(() => Math.round(rng() * 1e6) / 1e6);
      return Array.from({ length: 500 }, () => ({ task: 'multilabel', labels: LABELS, predictions: { image: { scores: scores() }, audio: { scores: scores() }, text: { scores: scores() } } }));
    })(),
  };
  const average = getStrategy('average');
  const rate = (requests: unknown[]) => {
    const start = performance.now();
    for (let i = 0; i < CALLS; i++) fuseOne(average, requests[i % requests.length]);
    return CALLS / ((performance.now() - start) / 1000);
  };
  const names = Object.keys(sets);
  for (const n of names) rate(sets[n]!); // warm-up
  const rates: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < ROUNDS; r++) for (const n of names) rates[n]!.push(rate(sets[n]!));
  const base = median(rates[names[0]!]!);
  const rows = names.map((n) => ({
    measure: `${n}, decisions/s (median of ${ROUNDS})`,
    value: Math.round(median(rates[n]!)),
    'ratio to classification': +(median(rates[n]!) / base).toFixed(3),
  }));
  return { rows, extra: { calls: CALLS, rounds: ROUNDS, rates } };
}
