/**
 * Learned section: training time per 10,000 rows for each model kind (and the fitted weights
 * and temperatures) on rows resampled from the digits example data, and in-process learned
 * inference decisions per second beside the `average` rule on the same requests (target:
 * learned within 2× of average).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Profile, type ResolvedProfile, fuseOne, getStrategy } from '../../functions/fusion/index.js';
import { TRAIN_KINDS, type TrainKind, parseDataset, sha256, trainOn } from '../../functions/fusion/learned/index.js';
import { mulberry32 } from '../../functions/fusion/learned/rng.js';
import { median } from '../median.js';
import type { SectionResult } from '../run.js';

const ROWS = Number(process.env.BENCH_LEARNED_ROWS ?? 10_000);
const CALLS = 20_000;
const ROUNDS = 5;
const DATA = resolve(import.meta.dirname, '../../examples/data/digits-3view');

export async function run(): Promise<SectionResult> {
  const profile = Profile.parse(JSON.parse(readFileSync(join(DATA, 'profile.json'), 'utf8')));
  const lines = readFileSync(join(DATA, 'train.jsonl'), 'utf8').trim().split('\n');
  const rng = mulberry32(1);
  const text = Array.from({ length: ROWS }, () => lines[Math.floor(rng() * lines.length)]!).join('\n');
  let t = performance.now();
  const data = parseDataset(text, profile);
  const parseSeconds = (performance.now() - t) / 1000;
  const hash = sha256(text);

  const rows: SectionResult['rows'] = [{ measure: `parse + prepare ${ROWS} rows`, value: +parseSeconds.toFixed(3), unit: 's' }];
  const training: Record<string, number> = {};
  let artifact: unknown;
  for (const kind of TRAIN_KINDS as readonly TrainKind[]) {
    const input = kind === 'temperature' ? parseDataset(text, profile, { calibrate: false }) : data;
    t = performance.now();
    const r = trainOn(input, profile, { model: kind, createdAt: 'bench' }, hash);
    const seconds = ((performance.now() - t) / 1000) * (10_000 / ROWS);
    training[kind] = seconds;
    rows.push({ measure: `train ${kind}, per 10k rows`, value: +seconds.toFixed(3), unit: 's' });
    if (kind === 'logistic' && r.type === 'model') artifact = r.artifact;
  }

  const requests = readFileSync(join(DATA, 'test.jsonl'), 'utf8').trim().split('\n').map((l) => ({ profile: profile.name, predictions: JSON.parse(l).predictions }));
  const resolved: ResolvedProfile = { profile, model: artifact };
  const lookup = (name: string) => (name === profile.name ? resolved : undefined);
  const rate = (name: string) => {
    const strategy = getStrategy(name);
    const start = performance.now();
    for (let i = 0; i < CALLS; i++) fuseOne(strategy, requests[i % requests.length], lookup);
    return CALLS / ((performance.now() - start) / 1000);
  };
  rate('average'), rate('learned'); // warm-up
  const avg: number[] = [], learned: number[] = [];
  for (let r = 0; r < ROUNDS; r++) avg.push(rate('average')), learned.push(rate('learned'));
  const ratio = median(avg) / median(learned);
  rows.push(
    { measure: 'average rule, decisions/s (median)', value: Math.round(median(avg)), unit: '1/s' },
    { measure: 'learned logistic, decisions/s (median)', value: Math.round(median(learned)), unit: '1/s' },
    { measure: 'slowdown average/learned (target <= 2)', value: +ratio.toFixed(3), unit: '×' },
  );
  return { rows, extra: { rows: ROWS, parseSeconds, trainingSecondsPer10k: training, calls: CALLS, rounds: ROUNDS, averageRates: avg, learnedRates: learned, ratio } };
}
