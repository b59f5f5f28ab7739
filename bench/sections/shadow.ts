/**
 * Shadow section: the latency of a learned decision with one learned shadow (a second logistic
 * model, computed after the answer on the same prepared input) against the same decision
 * without it, in process, as the HTTP handler runs it (one variants hook per request). Goal:
 * with / without <= 1.3 (issue 19). Short rounds, alternating, and the median of each pair's
 * ratio: on a loaded machine the load drifts slower than a pair of rounds, so it cancels.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type ResolvedProfile, fuseOne, getStrategy } from '../../functions/fusion/index.js';
import { knownStrategy } from '../../functions/fusion/registry.js';
import { variantsHook } from '../../functions/loop/variants.js';
import { checkProfile } from '../../functions/store/index.js';
import { median } from '../median.js';
import type { SectionResult } from '../run.js';

const CALLS = Number(process.env.BENCH_SHADOW_CALLS ?? 2_000);
const ROUNDS = 61;
const ROOT = resolve(import.meta.dirname, '../..');

export async function run(): Promise<SectionResult> {
  const raw = JSON.parse(readFileSync(join(ROOT, 'examples/profiles/digits-learned.json'), 'utf8'));
  const model = JSON.parse(readFileSync(join(ROOT, 'examples/profiles/models/digits-logistic.json'), 'utf8'));
  // A second copy of the model is a separate model to the learned strategy (compiled and run on its own).
  const shadowModel = structuredClone(model);
  const plain: ResolvedProfile = { profile: checkProfile(raw, 'bench'), model };
  const shadowed: ResolvedProfile = {
    profile: checkProfile({ ...raw, shadow: [{ strategy: 'learned', model: { key: 'models/digits-shadow.json' } }] }, 'bench'),
    model,
    shadowModels: [{ model: shadowModel }],
  };
  const requests = readFileSync(join(ROOT, 'examples/data/digits-3view/test.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => ({ profile: raw.name, predictions: JSON.parse(l).predictions }));
  const learned = getStrategy('learned');
  const strategies = knownStrategy;
  let agree = 0;
  const rate = (withShadow: boolean) => {
    const lookup = () => (withShadow ? shadowed : plain);
    const start = performance.now();
    for (let i = 0; i < CALLS; i++) {
      const request = requests[i % requests.length];
      if (!withShadow) fuseOne(learned, request, lookup);
      else {
        const hook = variantsHook(strategies, () => `bench-${i}`);
        fuseOne(learned, request, lookup, { decide: hook.decide });
        if (hook.records[0]!.shadows[0]!.agree) agree++;
      }
    }
    return CALLS / ((performance.now() - start) / 1000);
  };
  rate(false), rate(true); // warm-up
  agree = 0;
  const without: number[] = [];
  const withShadow: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const a = rate(false);
    const b = rate(true);
    without.push(a), withShadow.push(b), ratios.push(a / b);
  }
  const us = (rates: number[]) => 1e6 / median(rates);
  const ratio = median(ratios);
  return {
    rows: [
      { measure: 'learned decision, no shadow (median)', value: +us(without).toFixed(2), unit: 'µs' },
      { measure: 'learned decision + 1 learned shadow (median)', value: +us(withShadow).toFixed(2), unit: 'µs' },
      { measure: 'with / without, median of paired rounds (goal <= 1.3)', value: +ratio.toFixed(3), unit: '×' },
      { measure: 'shadow agreement (same model, so 1)', value: +(agree / (CALLS * ROUNDS)).toFixed(3), unit: '' },
    ],
    extra: { calls: CALLS, rounds: ROUNDS, withoutRates: without, withShadowRates: withShadow, ratio },
  };
}
