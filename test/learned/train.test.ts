import { describe, expect, it } from 'vitest';
import { InvalidRequestError, Profile } from '../../functions/fusion/index.js';
import { ModelArtifact, averageScore, evaluate, loadModel, parseDataset, scoreModel, train, trainOn } from '../../functions/fusion/learned/index.js';
import { head, load } from './helpers.js';

const createdAt = '2026-01-01T00:00:00.000Z';
const digits = load('digits-3view');

function model(result: ReturnType<typeof trainOn>): ModelArtifact {
  if (result.type !== 'model') throw new Error('expected a model');
  return result.artifact;
}

describe('learned logistic fusion on the digits data', () => {
  const artifact = model(trainOn(digits.train, digits.profile, { model: 'logistic', createdAt }, 'a'.repeat(64)));
  const ev = evaluate(digits.test, digits.profile, { models: [{ name: 'logistic', artifact }] });
  const logLoss = (name: string) => ev.entries.find((e) => e.name === name)!.metrics.logLoss;

  it('should beat the best single modality in test log loss', () => {
    const bestSingle = Math.min(...ev.entries.filter((e) => e.kind === 'modality').map((e) => e.metrics.logLoss));
    expect(logLoss('logistic')).toBeLessThan(bestSingle);
  });

  it('should beat the plain average in test log loss', () => {
    expect(logLoss('logistic')).toBeLessThan(logLoss('average'));
  });

  it('should round-trip through JSON and the schema with identical predictions', () => {
    const back = ModelArtifact.parse(JSON.parse(JSON.stringify(artifact)));
    expect(back).toEqual(artifact);
    expect(scoreModel(back, digits.test).metrics).toEqual(scoreModel(artifact, digits.test).metrics);
  });

  it('should record the training rows, data hash, options and metrics', () => {
    const r = train(digits.trainText, digits.profile, { model: 'logistic', C: 0.5, createdAt });
    const t = model(r).training;
    expect(t.rows).toBe(digits.train.examples.length);
    expect(t.dataSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(t.options).toMatchObject({ C: 0.5, modalityDropout: 0 });
    expect(t.metrics.accuracy).toBeGreaterThan(0.9);
  });
});

describe('determinism', () => {
  const small = head(digits.trainText, 300);
  it('should write the same bytes for the same seed and different ones for another seed', () => {
    const bytes = (seed: number) => JSON.stringify(model(train(small, digits.profile, { model: 'mlp', hidden: [8], seed, modalityDropout: 0.2, createdAt })));
    expect(bytes(3)).toBe(bytes(3));
    expect(bytes(3)).not.toBe(bytes(4));
  });
});

describe('modality dropout', () => {
  it('should lower the logistic model’s test log loss on the missing-modality data', () => {
    const missing = load('digits-3view-missing');
    const loss = (p: number) =>
      scoreModel(model(trainOn(missing.train, missing.profile, { model: 'logistic', modalityDropout: p, createdAt }, 'a'.repeat(64))), missing.test).metrics.logLoss;
    expect(loss(0.3)).toBeLessThan(loss(0));
  });
});

describe('linear-svm and mlp', () => {
  const small = parseDataset(head(digits.trainText, 400), digits.profile);
  for (const kind of ['linear-svm', 'mlp'] as const) {
    it(`should train a ${kind} whose probabilities are distributions and beat the average on test data`, () => {
      const artifact = model(trainOn(small, digits.profile, { model: kind, createdAt }, 'a'.repeat(64)));
      const m = loadModel(artifact, digits.profile);
      const p = m.predict(new Float64Array(30).fill(0.1), new Float64Array(10));
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      expect(scoreModel(artifact, digits.test).metrics.logLoss).toBeLessThan(averageScore(digits.test, digits.profile).metrics.logLoss);
    });
  }
});

describe('fitted weights and temperatures', () => {
  it('should put weights on the simplex that lower the average rule’s log loss', () => {
    const r = train(digits.trainText, digits.profile, { model: 'weights', createdAt });
    if (r.type !== 'profile') throw new Error('expected a profile');
    const w = Object.values(r.profile.weights!);
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    expect(w.every((v) => v >= 0)).toBe(true);
    expect(r.metrics.logLoss).toBeLessThan(r.before.logLoss);
    expect(Profile.parse(r.profile)).toEqual(r.profile);
    // The fitted profile, applied by the core to unseen data, also beats equal weights.
    const test = parseDataset(digits.testText, r.profile);
    expect(averageScore(test, r.profile).metrics.logLoss).toBeLessThan(averageScore(digits.test, digits.profile).metrics.logLoss);
  });

  it('should fit temperatures that lower each modality’s own log loss', () => {
    const r = train(digits.trainText, digits.profile, { model: 'temperature', createdAt });
    if (r.type !== 'profile') throw new Error('expected a profile');
    const raw = parseDataset(digits.trainText, digits.profile, { calibrate: false });
    const calibrated = parseDataset(digits.trainText, r.profile);
    const modalityLoss = (ev: ReturnType<typeof evaluate>, m: string) => ev.entries.find((e) => e.kind === 'modality' && e.name === m)!.metrics.logLoss;
    const before = evaluate(raw, digits.profile);
    const after = evaluate(calibrated, r.profile);
    for (const m of digits.profile.modalities) expect(modalityLoss(after, m)).toBeLessThanOrEqual(modalityLoss(before, m) + 1e-12);
    expect(r.profile.temperatures!.top).not.toBe(1);
  });
});

describe('artifact checks', () => {
  const artifact = model(train(head(digits.trainText, 200), digits.profile, { model: 'logistic', createdAt }));

  it('should reject a profile whose classes differ, naming both lists', () => {
    const other = { ...digits.profile, classes: [...digits.profile.classes].reverse() };
    expect(() => loadModel(artifact, other)).toThrow(InvalidRequestError);
    expect(() => loadModel(artifact, other)).toThrow(/classes \[0, 1,.*differ from profile "digits-3view"'s classes \[9, 8/);
  });

  it('should reject a profile whose modalities differ', () => {
    expect(() => loadModel(artifact, { ...digits.profile, modalities: ['top', 'bottom', 'audio'] })).toThrow(/modalities \[top, bottom, profile\] differ/);
  });

  it('should accept the same modalities in another order', () => {
    expect(() => loadModel(artifact, { ...digits.profile, modalities: ['profile', 'top', 'bottom'] })).not.toThrow();
  });

  it('should reject an artifact of the wrong shape with the field path', () => {
    const bad = JSON.parse(JSON.stringify(artifact));
    bad.params.coef.pop();
    expect(() => loadModel(bad)).toThrow(/model\.params: must be 10 × 30 weights/);
    expect(() => loadModel({ ...artifact, kind: 'forest' })).toThrow(/kind must be "logistic", "linear-svm" or "mlp"/);
    expect(() => loadModel({ ...artifact, version: 2 })).toThrow(/version must be 1/);
  });
});
