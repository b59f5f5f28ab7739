import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../functions/cli/main.js';
import { fitIsotonic, fitPlatt, interpolate, sigmoid } from '../../functions/fusion/calibration/index.js';
import { type FusionResponse, InvalidRequestError, Profile, type ResolvedProfile, fuse, toProblem } from '../../functions/fusion/index.js';
import { type ModelArtifact, parseDataset, score, train } from '../../functions/fusion/learned/index.js';
import { captureIo, head, load } from './helpers.js';

const digits = load('digits-3view');
const classes = ['a', 'b', 'c'];
const base: Profile = { name: 'cal', classes, modalities: ['x', 'y'] };
const lookup = (profile: Profile, model?: unknown) => (name: string): ResolvedProfile | undefined => (name === profile.name ? { profile, ...(model ? { model } : {}) } : undefined);

describe('isotonic regression (pool adjacent violators)', () => {
  it('should pool adjacent violators into their mean', () => {
    // (1, 0) pool to 0.5; the next 1 then 0 pool to 0.5, equal to the block before, so all four join.
    expect(fitIsotonic([1, 2, 3, 4, 5], [1, 0, 1, 0, 1])).toEqual({ x: [1, 4, 5], y: [0.5, 0.5, 1] });
    expect(fitIsotonic([1, 2, 3, 4], [0, 1, 0, 1])).toEqual({ x: [1, 2, 3, 4], y: [0, 0.5, 0.5, 1] });
    // Equal x are pooled first; the interior points of a flat run are dropped.
    expect(fitIsotonic([0.1, 0.1, 0.2, 0.3, 0.4], [0, 1, 1, 1, 1])).toEqual({ x: [0.1, 0.2, 0.4], y: [0.5, 1, 1] });
  });

  it('should fit a non-decreasing curve in [0, 1] with a squared error no larger than any other non-decreasing step of the data', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.boolean()), { minLength: 1, maxLength: 40 }), (rows) => {
        const x = rows.map(([v]) => v / 20);
        const y = rows.map(([, b]) => +b);
        const fit = fitIsotonic(x, y);
        for (let i = 1; i < fit.y.length; i++) {
          expect(fit.x[i]!).toBeGreaterThan(fit.x[i - 1]!);
          expect(fit.y[i]!).toBeGreaterThanOrEqual(fit.y[i - 1]!);
        }
        const sse = (f: (v: number) => number) => x.reduce((s, v, i) => s + (f(v) - y[i]!) ** 2, 0);
        const ours = sse((v) => interpolate(fit.x, fit.y, v));
        // Any threshold step (0 below t, 1 from t) is non-decreasing: never better than the isotonic fit.
        for (let t = 0; t <= 21; t++) expect(ours).toBeLessThanOrEqual(sse((v) => +(v * 20 >= t)) + 1e-9);
      }),
    );
  });
});

describe('Platt scaling', () => {
  it('should reach a zero gradient of the regularised cross-entropy', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.double({ min: -30, max: 30, noNaN: true }), fc.boolean()), { minLength: 2, maxLength: 60 }), (rows) => {
        const f = rows.map(([v]) => v);
        const pos = rows.map(([, b]) => b);
        const { a, b } = fitPlatt(f, pos);
        const n1 = pos.filter(Boolean).length;
        const n0 = pos.length - n1;
        let ga = 0, gb = 0;
        f.forEach((v, i) => {
          const d = (pos[i] ? (n1 + 1) / (n1 + 2) : 1 / (n0 + 2)) - sigmoid(a, b, v);
          (ga += d * v), (gb += d);
        });
        expect(Math.abs(gb)).toBeLessThan(1e-5);
        if (new Set(f).size > 1) expect(Math.abs(ga)).toBeLessThan(1e-5);
      }),
    );
  });
});

describe('calibration in the profile, applied before any rule', () => {
  const platt: Profile = { ...base, calibration: { x: { method: 'platt', a: [-2, -1, -0.5], b: [0, 0.5, 1] } } };
  const predictions = { x: { probabilities: [0.2, 0.5, 0.3] }, y: { probabilities: [0.6, 0.3, 0.1] } };
  /** What the platt calibrator above makes of x's distribution, from the definition. */
  const calibrated = (() => {
    const raw = [0.2, 0.5, 0.3].map((p, c) => 1 / (1 + Math.exp([-2, -1, -0.5][c]! * Math.log(p / (1 - p)) + [0, 0.5, 1][c]!)));
    const s = raw.reduce((u, v) => u + v, 0);
    return raw.map((v) => v / s);
  })();

  it('should calibrate the named modality and leave the others as they are', () => {
    const r = fuse('average', { profile: 'cal', predictions }, lookup(platt)) as FusionResponse;
    const expected = classes.map((_, c) => (calibrated[c]! + predictions.y.probabilities[c]!) / 2);
    classes.forEach((k, c) => expect(r.probabilities[k]).toBeCloseTo(expected[c]!, 12));
  });

  it('should map the positive class of two and give the other 1 − it; temperature scales as p^(1/T)', () => {
    const two: Profile = { name: 'two', classes: ['neg', 'pos'], modalities: ['x'], calibration: { x: { method: 'isotonic', x: [[0.2, 0.8]], y: [[0.1, 0.7]] } } };
    const r = fuse('average', { profile: 'two', predictions: { x: { probabilities: [0.5, 0.5] } } }, lookup(two)) as FusionResponse;
    expect(r.probabilities.pos).toBeCloseTo(0.4, 12);
    expect(r.probabilities.neg).toBeCloseTo(0.6, 12);
    const hot: Profile = { ...two, calibration: { x: { method: 'temperature', temperature: 0.5 } } };
    const t = fuse('max', { profile: 'two', predictions: { x: { probabilities: [0.25, 0.75] } } }, lookup(hot)) as FusionResponse;
    expect(t.probabilities.pos).toBeCloseTo(0.9, 12);
  });

  it('should feed the learned strategy the calibrated distributions', () => {
    const profile = { ...digits.profile, name: 'digits' };
    const artifact = (train(head(digits.trainText, 300), profile, { model: 'logistic', createdAt: '2026-01-01T00:00:00.000Z' }) as { artifact: ModelArtifact }).artifact;
    const calibration = (train(head(digits.trainText, 300), profile, { model: 'calibration', method: 'isotonic' }) as { profile: Profile }).profile.calibration!;
    const withCal = { ...profile, calibration };
    const line = JSON.parse(digits.testText.split('\n')[0]!);
    const a = fuse('learned', { profile: 'digits', predictions: line.predictions }, lookup(withCal, artifact)) as FusionResponse;
    // The same request with each modality's calibrated distribution sent as its prediction, no calibration in the profile.
    const pre = parseDataset(JSON.stringify(line), withCal).examples[0]!;
    const sent = Object.fromEntries(pre.prepared.modalities.map((m, k) => [m, { probabilities: Array.from(pre.prepared.dists[k]!) }]));
    const b = fuse('learned', { profile: 'digits', predictions: sent }, lookup(profile, artifact)) as FusionResponse;
    for (const c of profile.classes) expect(a.probabilities[c]).toBeCloseTo(b.probabilities[c]!, 9);
    expect(a.probabilities).not.toEqual((fuse('learned', { profile: 'digits', predictions: line.predictions }, lookup(profile, artifact)) as FusionResponse).probabilities);
  });

  it('should reject a calibrator that does not fit the classes, naming it and the fix', () => {
    const wrong: Profile = { ...base, calibration: { y: { method: 'platt', a: [1], b: [0] } } };
    let err: unknown;
    try {
      fuse('average', { profile: 'cal', predictions }, lookup(wrong));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidRequestError);
    expect(toProblem(err).status).toBe(400);
    expect((err as InvalidRequestError).errors).toEqual([{ path: 'profile.calibration.y', message: expect.stringMatching(/1 curve but there are 3 classes; it needs 3: refit it with fusion train --model calibration/) }]);
  });

  it('should reject malformed calibrators in a profile', () => {
    const bad = (calibration: unknown) => Profile.safeParse({ ...base, calibration }).success;
    expect(bad({ x: { method: 'platt', a: [1, 2], b: [1] } })).toBe(false);
    expect(bad({ x: { method: 'isotonic', x: [[0.5, 0.2]], y: [[0, 1]] } })).toBe(false);
    expect(bad({ x: { method: 'isotonic', x: [[0.2, 0.5]], y: [[0]] } })).toBe(false);
    expect(bad({ x: { method: 'temperature', temperature: 0 } })).toBe(false);
    expect(bad({ x: { method: 'beta' } })).toBe(false);
    expect(bad({ x: { method: 'isotonic', x: [Array.from({ length: 3000 }, (_, i) => i)], y: [Array.from({ length: 3000 }, () => 0)] } })).toBe(false);
    expect(bad({ x: { method: 'isotonic', x: [[0.2, 0.5]], y: [[0, 1]] } })).toBe(true);
  });
});

describe('fusion train --model calibration and fusion evaluate', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fusion-calibration-'));
    await writeFile(join(dir, 'profile.json'), JSON.stringify(digits.profile));
    await writeFile(join(dir, 'train.jsonl'), head(digits.trainText, 600));
    await writeFile(join(dir, 'test.jsonl'), head(digits.testText, 300));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each(['temperature', 'platt', 'isotonic'] as const)('%s: should store one calibrator per modality and lower each modality’s training log loss', async (method) => {
    const out = join(dir, `${method}.json`);
    const cap = captureIo();
    expect(await main(['train', '--data', join(dir, 'train.jsonl'), '--profile', join(dir, 'profile.json'), '--model', 'calibration', '--method', method, '--out', out], cap.io)).toBe(0);
    const profile = Profile.parse(JSON.parse(await readFile(out, 'utf8')));
    expect(Object.keys(profile.calibration!)).toEqual(['top', 'bottom', 'profile']);
    for (const cal of Object.values(profile.calibration!)) expect(cal.method).toBe(method);
    expect(cap.stdout()).toMatch(/before → after/);
    // Calibrators fitted on the data never raise its log loss (the identity is among the candidates of each).
    const raw = parseDataset(head(digits.trainText, 600), digits.profile);
    const cal = parseDataset(head(digits.trainText, 600), profile);
    for (let k = 0; k < 3; k++) {
      const loss = (d: typeof raw) => score(d.examples.map((e) => e.dists[k]!), d.examples.map((e) => e.label), 10).metrics.logLoss;
      if (method !== 'platt') expect(loss(cal)).toBeLessThanOrEqual(loss(raw) + 1e-9);
    }
  });

  it('should report each modality before and after its calibrator (ECE, log loss, Brier), as text and JSON', async () => {
    const profile = join(dir, 'isotonic.json');
    const text = captureIo();
    expect(await main(['evaluate', '--data', join(dir, 'test.jsonl'), '--profile', profile], text.io)).toBe(0);
    expect(text.stdout()).toMatch(/Each modality alone, before → after its calibrator:\nmodality\s+rows\s+log loss\s+→\s+Brier\s+→\s+ECE\s+→\ntop\s+300 /);
    const json = captureIo();
    expect(await main(['evaluate', '--data', join(dir, 'test.jsonl'), '--profile', profile, '--json'], json.io)).toBe(0);
    const report = JSON.parse(json.stdout());
    expect(report.calibration.map((r: { modality: string }) => r.modality)).toEqual(['top', 'bottom', 'profile']);
    const bottom = report.calibration[1];
    // The bottom modality (naive Bayes, many exact 0/1 probabilities) is badly over-confident: calibration helps it most.
    expect(bottom.after.logLoss).toBeLessThan(bottom.before.logLoss / 2);
    expect(bottom.after.ece).toBeLessThan(bottom.before.ece);
    const plain = parseDataset(head(digits.testText, 300), digits.profile, { calibration: false });
    const before = score(plain.examples.map((e) => e.dists[1]!), plain.examples.map((e) => e.label), 10).metrics;
    expect(bottom.before).toEqual({ ...before });
  });

  it('should fit adaptive base weights with --model weights --adaptive entropy and turn adaptation on', async () => {
    const out = join(dir, 'adaptive.json');
    const cap = captureIo();
    expect(await main(['train', '--data', join(dir, 'train.jsonl'), '--profile', join(dir, 'profile.json'), '--model', 'weights', '--adaptive', 'entropy', '--out', out], cap.io)).toBe(0);
    const profile = Profile.parse(JSON.parse(await readFile(out, 'utf8')));
    expect(profile.adaptiveWeights).toBe('entropy');
    expect(Object.values(profile.weights!).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    expect(cap.stdout()).toMatch(/entropy-adaptive/);
  });

  it('should refuse --method without --model calibration, an unknown method, and --adaptive without --model weights', async () => {
    const args = ['train', '--data', join(dir, 'train.jsonl'), '--profile', join(dir, 'profile.json'), '--out', join(dir, 'x.json')];
    for (const [extra, message] of [
      [['--model', 'weights', '--method', 'platt'], /--method goes only with --model calibration/],
      [['--model', 'calibration', '--method', 'beta'], /--method must be one of: temperature, platt, isotonic/],
      [['--model', 'logistic', '--adaptive', 'entropy'], /--adaptive goes only with --model weights/],
    ] as const) {
      const cap = captureIo();
      expect(await main([...args, ...extra], cap.io)).toBe(2);
      expect(cap.stderr()).toMatch(message);
    }
  });
});
