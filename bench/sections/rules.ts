/**
 * Rules section: validated 3 × 3 decisions per second of dempster-shafer and of entropy-adaptive
 * weighting, beside the plain average rule in the same run, each in its own worker thread as in
 * the core section (same data, same clock: process CPU time, median of the rounds). The goal is
 * at least 0.7 of average's rate for dempster-shafer and for adaptive averaging.
 */
import { median } from '../median.js';
import type { SectionResult } from '../run.js';
import { inWorker } from './core.js';

const GOAL = 0.7;
const ADAPTIVE = { adaptiveWeights: 'entropy' };
const VARIANTS: { name: string; rule: string; options?: object }[] = [
  { name: 'average', rule: 'average' },
  { name: 'average, adaptiveWeights "entropy"', rule: 'average', options: ADAPTIVE },
  { name: 'dempster-shafer', rule: 'dempster-shafer' },
  { name: 'dempster-shafer, combination "yager"', rule: 'dempster-shafer', options: { combination: 'yager' } },
  { name: 'dempster-shafer, adaptiveWeights "entropy"', rule: 'dempster-shafer', options: ADAPTIVE },
  { name: 'product, adaptiveWeights "entropy"', rule: 'product', options: ADAPTIVE },
  { name: 'vote, adaptiveWeights "entropy"', rule: 'vote', options: ADAPTIVE },
];

export async function run(): Promise<SectionResult> {
  const rows: SectionResult['rows'] = [];
  const samples: Record<string, number[]> = {};
  const rate: Record<string, number> = {};
  for (const v of VARIANTS) {
    const rates = await inWorker({ section: 'core', K: 3, C: 3, items: 1000, rule: v.rule, ...(v.options ? { options: v.options } : {}) });
    samples[v.name] = rates.map(Math.round);
    rate[v.name] = median(rates);
  }
  const average = rate.average!;
  for (const v of VARIANTS) {
    rows.push({
      shape: '3×3',
      rule: v.name,
      'decisions/s': Math.round(rate[v.name]!),
      'µs/decision': +(1e6 / rate[v.name]!).toFixed(3),
      'ratio to average': +(rate[v.name]! / average).toFixed(2),
    });
  }
  const ds = rate['dempster-shafer']! / average;
  const adaptive = rate['average, adaptiveWeights "entropy"']! / average;
  return {
    rows,
    extra: { goal: GOAL, clock: 'process CPU time, one worker thread per variant', samples, dempsterShaferRatio: +ds.toFixed(3), adaptiveAverageRatio: +adaptive.toFixed(3), meetsGoal: ds >= GOAL && adaptive >= GOAL },
  };
}
