/**
 * The learned shadow's fast path: a shadow's label and confidence come from one forward pass of
 * its own compiled model (`Model.forward`) on the distributions the primary already prepared.
 * Checked against the model computed from scratch on the digits example (every test line, some
 * with a modality missing), against `predictDists` (what evaluation and training use) to the bit,
 * and with a shadow whose weights differ from the primary's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { softmax } from '../../functions/fusion/calibrate.js';
import { decide, fuseOne } from '../../functions/fusion/fuse.js';
import { featurise } from '../../functions/fusion/learned/features.js';
import { loadModel, predictDists } from '../../functions/fusion/learned/infer.js';
import { linearScores } from '../../functions/fusion/learned/logistic.js';
import { mulberry32 } from '../../functions/fusion/learned/rng.js';
import { runShadows } from '../../functions/fusion/loop/shadow.js';
import { type Prepared, type ResolvedProfile, prepare } from '../../functions/fusion/prepare.js';
import { getStrategy, knownStrategy } from '../../functions/fusion/registry.js';
import { variantsHook } from '../../functions/loop/variants.js';
import { checkProfile } from '../../functions/store/index.js';
import { model as fixtureModel } from '../store/fixtures.js';

const ROOT = join(import.meta.dirname, '../..');
const raw = JSON.parse(readFileSync(join(ROOT, 'examples/profiles/digits-learned.json'), 'utf8'));
type Artifact = { classes: string[]; modalities: string[]; fill: Record<string, number[]>; params: { coef: number[][]; intercept: number[] } };
const primary = JSON.parse(readFileSync(join(ROOT, 'examples/profiles/models/digits-logistic.json'), 'utf8')) as Artifact;
const learned = getStrategy('learned');

/** Every digits test line, and every 7th again without its `top` view (the model's fill then stands in). */
const requests = (() => {
  const lines = readFileSync(join(ROOT, 'examples/data/digits-3view/test.jsonl'), 'utf8').trim().split('\n');
  const all = lines.map((l) => ({ profile: raw.name, predictions: JSON.parse(l).predictions as Record<string, unknown> }));
  const partial = all.filter((_, i) => i % 7 === 0).map(({ predictions: { top: _top, ...rest }, ...r }) => ({ ...r, predictions: rest }));
  return [...all, ...partial];
})();

/** The digits profile with one learned shadow whose model is `shadow` (a separate object). */
function shadowed(shadow: Artifact): ResolvedProfile {
  return {
    profile: checkProfile({ ...raw, shadow: [{ strategy: 'learned', model: { key: 'models/digits-shadow.json' } }] }, 'test'),
    model: primary,
    shadowModels: [{ model: shadow }],
  };
}

/** The model from scratch: features in the artifact's order (fill where absent), W·x + b, softmax, argmax. */
function reference(a: Artifact, p: Prepared): { label: string; confidence: number } {
  const x = a.modalities.flatMap((m) => {
    const k = p.modalities.indexOf(m);
    return k >= 0 ? Array.from(p.dists[k]!) : a.fill[m]!;
  });
  const z = a.params.coef.map((w, c) => w.reduce((s, wf, f) => s + wf * x[f]!, a.params.intercept[c]!));
  const top = Math.max(...z);
  const e = z.map((v) => Math.exp(v - top));
  const sum = e.reduce((s, v) => s + v, 0);
  const best = z.indexOf(top);
  return { label: a.classes[best]!, confidence: e[best]! / sum };
}

function shadowOf(resolved: ResolvedProfile, request: (typeof requests)[number]) {
  const p = prepare(request as never, () => resolved);
  const answer = decide(learned, p);
  const [s] = runShadows(p, answer, knownStrategy);
  return { p, answer, s: s! };
}

describe('a learned shadow on the primary’s prepared input', () => {
  it('should give the label and confidence of its model computed from scratch, and of predictDists to the bit', () => {
    const copy = structuredClone(primary);
    const resolved = shadowed(copy);
    const out = new Float64Array(primary.classes.length);
    for (const request of requests) {
      const { p, answer, s } = shadowOf(resolved, request);
      const want = reference(copy, p);
      expect(s).toEqual({ name: 'learned:models/digits-shadow.json', label: want.label, confidence: expect.closeTo(want.confidence, 12), agree: true });
      predictDists(loadModel(copy), p.modalities, p.dists, out);
      expect(s.confidence).toBe(out[primary.classes.indexOf(s.label!)]);
      // The same weights as the primary: the same label, the same confidence up to rounding.
      expect(s.label).toBe(answer.label);
      expect(s.confidence).toBeCloseTo(answer.confidence, 12);
    }
  });

  it('should differ from the primary where its own weights say so (a shadow blind to the top view)', () => {
    const blind = structuredClone(primary);
    const C = blind.classes.length;
    const at = blind.modalities.indexOf('top') * C;
    for (const row of blind.params.coef) row.fill(0, at, at + C);
    const resolved = shadowed(blind);
    let disagree = 0;
    for (const request of requests) {
      const { p, answer, s } = shadowOf(resolved, request);
      const want = reference(blind, p);
      expect(s.label).toBe(want.label);
      expect(s.confidence).toBeCloseTo(want.confidence, 12);
      expect(s.agree).toBe(want.label === answer.label);
      if (!s.agree) disagree++;
    }
    // Without its best view the shadow misreads some digits the primary reads right; not most.
    expect(disagree).toBeGreaterThan(0);
    expect(disagree).toBeLessThan(requests.length / 2);
  });

  it('should leave the answer as the same profile gives it without a shadow', () => {
    const plain: ResolvedProfile = { profile: checkProfile(raw, 'test'), model: primary };
    const resolved = shadowed(structuredClone(primary));
    for (const request of requests.slice(0, 50)) {
      const hook = variantsHook(knownStrategy, () => 'id');
      const withShadow = fuseOne(learned, request, () => resolved, { decide: hook.decide });
      expect(JSON.stringify(withShadow)).toBe(JSON.stringify(fuseOne(learned, request, () => plain)));
      expect(hook.records[0]!.shadows).toHaveLength(1);
    }
  });
});

describe('variants hooks', () => {
  it('should keep each hook’s records apart, however many hooks exist at once', () => {
    const resolved = shadowed(structuredClone(primary));
    const a = variantsHook(knownStrategy, () => 'a');
    const b = variantsHook(knownStrategy, () => 'b');
    fuseOne(learned, requests[0]!, () => resolved, { decide: b.decide });
    fuseOne(learned, requests[1]!, () => resolved, { decide: a.decide });
    expect(a.records[0]!.prepared.dists[0]).toEqual(prepare(requests[1] as never, () => resolved).dists[0]);
    expect(b.records[0]!.prepared.dists[0]).toEqual(prepare(requests[0] as never, () => resolved).dists[0]);
  });
});

describe('the compiled linear model', () => {
  it('should predict as softmax(linearScores) to the bit, for 2 to 11 classes and 1 to 3 modalities', () => {
    const rng = mulberry32(19);
    for (let C = 2; C <= 11; C++)
      for (let K = 1; K <= 3; K++) {
        const classes = Array.from({ length: C }, (_, c) => `c${c}`);
        const params = { coef: classes.map(() => Array.from({ length: K * C }, () => rng() * 8 - 4)), intercept: classes.map(() => rng() - 0.5) };
        const a = { ...fixtureModel(classes, Array.from({ length: K }, (_, k) => `m${k}`)), params };
        const model = loadModel(a);
        for (let n = 0; n < 5; n++) {
          const dists = model.fill.map(() => (rng() < 0.3 ? undefined : Float64Array.from(classes, () => rng())));
          const x = featurise(dists, model.fill, new Float64Array(K * C));
          const want = softmax(linearScores(params, x, new Float64Array(C)), 1, new Float64Array(C));
          expect(Array.from(model.predict(x, new Float64Array(C)))).toEqual(Array.from(want));
          expect(Array.from(model.forward(dists, new Float64Array(C)))).toEqual(Array.from(want));
        }
      }
  });
});
