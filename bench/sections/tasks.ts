/**
 * Tasks section: in-process decisions per second of the `average` rule for regression (3
 * modalities, the diabetes example data) and multi-label (3 modalities, 10 labels) requests,
 * beside classification `average` (3 modalities, 10 classes, the digits example data) in the
 * same run. Rounds alternate the three; medians and ratios to classification are reported.
 * Then joins of the three tasks through the join service (memory store, 3 arrivals each, each
 * arrival checked against the profile and fused at completion), again as a ratio to classification.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fuseOne, getStrategy } from '../../functions/fusion/index.js';
import { mulberry32 } from '../../functions/fusion/learned/rng.js';
import type { ResolvedProfile } from '../../functions/fusion/prepare.js';
import { MemoryDelivery } from '../../functions/joins/delivery.js';
import { JoinService } from '../../functions/joins/service.js';
import { MemoryJoinStore } from '../../functions/joins/store.js';
import { median } from '../median.js';
import type { SectionResult } from '../run.js';

const CALLS = Number(process.env.BENCH_TASKS_CALLS ?? 50_000);
const JOINS = Number(process.env.BENCH_TASKS_JOINS ?? 2_000);
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
  const joins = await joinRates(sets, names);
  const joinBase = median(joins[names[0]!]!);
  for (const n of names)
    rows.push({ measure: `joins of ${n.replace(' average', '')}, joins/s (median of ${ROUNDS})`, value: Math.round(median(joins[n]!)), 'ratio to classification': +(median(joins[n]!) / joinBase).toFixed(3) });
  return { rows, extra: { calls: CALLS, rounds: ROUNDS, rates, joins: JOINS, joinRates: joins } };
}

/** Joins per second of each set's requests, through the join service with an `average` join profile of its task. */
async function joinRates(sets: Record<string, unknown[]>, names: string[]): Promise<Record<string, number[]>> {
  const services = names.map((n) => {
    const first = sets[n]![0] as { task?: string; classes?: string[]; labels?: string[]; predictions: Record<string, unknown> };
    const modalities = Object.keys(first.predictions);
    const profile = { name: 'bench', modalities, join: { strategy: 'average', windowSeconds: 900 }, ...(first.task ? { task: first.task } : {}), ...(first.classes ? { classes: first.classes } : {}), ...(first.labels ? { labels: first.labels } : {}) };
    const resolved = { profile, version: 'v1' } as unknown as ResolvedProfile;
    return new JoinService({ store: new MemoryJoinStore(), delivery: new MemoryDelivery(100), scheduler: { schedule: () => Promise.resolve() }, profiles: () => Promise.resolve(resolved) });
  });
  let id = 0;
  const rate = async (k: number) => {
    const requests = sets[names[k]!]! as { predictions: Record<string, unknown> }[];
    const start = performance.now();
    for (let j = 0; j < JOINS; j++) {
      const joinId = `j${id++}`;
      const { predictions } = requests[j % requests.length]!;
      for (const m of Object.keys(predictions)) await services[k]!.arrive('bench', joinId, m, predictions[m]);
    }
    return JOINS / ((performance.now() - start) / 1000);
  };
  for (let k = 0; k < names.length; k++) await rate(k); // warm-up
  const out: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < ROUNDS; r++) for (let k = 0; k < names.length; k++) out[names[k]!]!.push(await rate(k));
  return out;
}
