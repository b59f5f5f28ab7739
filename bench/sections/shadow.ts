/**
 * Shadow section: the latency of a learned decision with one learned shadow (a second logistic
 * model, computed after the answer on the same prepared input) against the same decision
 * without it, in process, as the HTTP handler runs it (one variants hook per request). Goal:
 * with / without <= 1.3 (issue 19). Short rounds, alternating, and the median of each pair's
 * ratio: on a loaded machine the load drifts slower than a pair of rounds, so it cancels.
 * Then the same pair through the learned function's HTTP handler, in process (middy, the S3
 * store's cache over s3rver, the decision line built and its stdout write discarded).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { context, eventV2 } from '../../test/http/events.js';
import { startS3 } from '../../test/support/s3.js';
import { type ResolvedProfile, fuseOne, getStrategy } from '../../functions/fusion/index.js';
import { knownStrategy } from '../../functions/fusion/registry.js';
import { withEnv } from '../../functions/http/config.js';
import { handler as learnedHandler } from '../../functions/http/entries/learned.js';
import { variantsHook } from '../../functions/loop/variants.js';
import { checkProfile } from '../../functions/store/index.js';
import { median } from '../median.js';
import type { SectionResult } from '../run.js';

const CALLS = Number(process.env.BENCH_SHADOW_CALLS ?? 2_000);
const ROUNDS = 61;
const HTTP_CALLS = Number(process.env.BENCH_SHADOW_HTTP_CALLS ?? 150);
const HTTP_ROUNDS = 41;
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
  const http = await throughHandler(raw, model, requests);
  return {
    rows: [
      { measure: 'learned decision, no shadow (median)', value: +us(without).toFixed(2), unit: 'µs' },
      { measure: 'learned decision + 1 learned shadow (median)', value: +us(withShadow).toFixed(2), unit: 'µs' },
      { measure: 'with / without, median of paired rounds (goal <= 1.3)', value: +ratio.toFixed(3), unit: '×' },
      { measure: 'shadow agreement (same model, so 1)', value: +(agree / (CALLS * ROUNDS)).toFixed(3), unit: '' },
      { measure: 'HTTP handler in process, no shadow (median)', value: +us(http.without).toFixed(2), unit: 'µs' },
      { measure: 'HTTP handler in process, + 1 learned shadow (median)', value: +us(http.withShadow).toFixed(2), unit: 'µs' },
      { measure: 'HTTP handler: with / without, median of paired rounds', value: +median(http.ratios).toFixed(3), unit: '×' },
    ],
    extra: { calls: CALLS, rounds: ROUNDS, withoutRates: without, withShadowRates: withShadow, ratio, http: { calls: HTTP_CALLS, rounds: HTTP_ROUNDS, ...http } },
  };
}

/**
 * The same requests through the learned function's handler (`POST /v1/fuse/learned`), the
 * profiles and models in s3rver behind the S3 store, as deployed (read once, then cached): the
 * plain profile against the same one with the learned shadow.
 */
async function throughHandler(raw: { name: string }, model: unknown, requests: { predictions: unknown }[]) {
  const s3 = await startS3({ bucket: 'shadow' });
  await s3.put('profiles/plain.json', { ...raw, name: 'plain' });
  await s3.put('profiles/shadowed.json', { ...raw, name: 'shadowed', shadow: [{ strategy: 'learned', model: { key: 'models/digits-shadow.json' } }] });
  // Two objects of the same model: the store parses each on its own, so each is compiled on its own.
  for (const key of ['digits-logistic', 'digits-shadow']) await s3.put(`models/${key}.json`, model);
  const env = { ...process.env, ...s3.env, FUSION_DECISION_LOG_SAMPLE: '1', POWERTOOLS_LOG_LEVEL: 'SILENT' };
  const bodies = requests.map((r) => JSON.stringify({ predictions: r.predictions }).slice(1));
  const ctx = context('late-fusion-learned');
  const rate = async (profile: string) => {
    const start = performance.now();
    for (let i = 0; i < HTTP_CALLS; i++) {
      const event = eventV2('POST', '/v1/fuse/learned', `{"profile":"${profile}",${bodies[i % bodies.length]}`);
      const r = await withEnv(env, () => learnedHandler(event, ctx));
      if (r.statusCode !== 200) throw new Error(`the handler answered ${r.statusCode}: ${r.body}`);
    }
    return HTTP_CALLS / ((performance.now() - start) / 1000);
  };
  // The decision lines (and any metrics) go to stdout: built as in Lambda, their writes discarded.
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  const without: number[] = [];
  const withShadow: number[] = [];
  const ratios: number[] = [];
  try {
    await rate('plain'), await rate('shadowed'); // warm-up, and the store's first reads
    for (let r = 0; r < HTTP_ROUNDS; r++) {
      const a = await rate('plain');
      const b = await rate('shadowed');
      without.push(a), withShadow.push(b), ratios.push(a / b);
    }
  } finally {
    process.stdout.write = write;
    await s3.stop();
  }
  return { without, withShadow, ratios };
}
