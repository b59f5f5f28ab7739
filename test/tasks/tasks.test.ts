import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FusionError, type Profile, type ProfileLookup, STRATEGIES, fuse, toProblem } from '../../functions/fusion/index.js';
import { trainTask } from '../../functions/fusion/learned/task-train.js';
import { MultilabelResponse, RegressionResponse } from '../../functions/fusion/contract.js';
import { MULTILABEL_RULES } from '../../functions/fusion/tasks/multilabel.js';
import { REGRESSION_RULES } from '../../functions/fusion/tasks/regression.js';
import { tasksOf } from '../../functions/fusion/tasks/task.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const ISSUE_REGRESSION = {
  task: 'regression',
  predictions: { text: { value: 1.8, std: 0.5 }, audio: { value: 0.9, std: 1.2 }, video: { value: 1.1 } },
  weights: { text: 0.5, audio: 0.2, video: 0.3 },
};
const ISSUE_MULTILABEL = {
  task: 'multilabel',
  labels: ['person', 'dog', 'outdoor'],
  predictions: { image: { scores: [0.9, 0.2, 0.7] }, audio: { scores: { person: 0.6, dog: 0.8, outdoor: 0.5 } } },
};

/** The problem a rejected request gets (never a non-FusionError, never 5xx). */
function problemOf(strategy: string, input: unknown, lookup?: ProfileLookup) {
  try {
    fuse(strategy, input, lookup);
  } catch (e) {
    expect(e).toBeInstanceOf(FusionError);
    return toProblem(e);
  }
  throw new Error('expected a rejection');
}

const lookupOf = (profile: object, model?: unknown): ProfileLookup => (name) =>
  name === (profile as { name: string }).name ? { profile: profile as Profile, version: 'v1', ...(model ? { model } : {}) } : undefined;

describe('the registry declares each strategy’s tasks, and every declared form exists', () => {
  it('should list regression forms exactly for the strategies declaring regression (and likewise multilabel)', () => {
    for (const [name, s] of Object.entries(STRATEGIES)) {
      expect(tasksOf(s).includes('regression'), name).toBe(name in REGRESSION_RULES);
      expect(tasksOf(s).includes('multilabel'), name).toBe(name in MULTILABEL_RULES);
    }
    expect(tasksOf(STRATEGIES.borda)).toEqual(['classification']);
  });
});

describe('regression', () => {
  it('should answer the issue’s example with Σ ŵ v for average', () => {
    const r = RegressionResponse.parse(fuse('average', ISSUE_REGRESSION));
    expect(r.value).toBeCloseTo(0.5 * 1.8 + 0.2 * 0.9 + 0.3 * 1.1, 12);
    expect(r.contributions).toEqual({ text: 0.5, audio: 0.2, video: 0.3 });
    expect(Object.keys(r)).toEqual(['task', 'strategy', 'value', 'modalities', 'contributions']);
  });

  it('should take the plain median (mean of the two middle values for an even count), unweighted', () => {
    expect(fuse('median', ISSUE_REGRESSION)).toMatchObject({ value: 1.1, weighted: false });
    const even = { task: 'regression', predictions: { a: { value: 1 }, b: { value: 10 }, c: { value: 3 }, d: { value: 4 } } };
    expect((fuse('median', even) as RegressionResponse).value).toBe(3.5);
  });

  it('should weigh by given weight / std² and report sqrt(1 / Σ w/std²) for inverse-variance', () => {
    const req = { task: 'regression', predictions: { text: { value: 1.8, std: 0.5 }, audio: { value: 0.9, std: 1.2 } }, weights: { text: 2 } };
    const w = [2 / 0.25, 1 / 1.44];
    const r = fuse('inverse-variance', req) as RegressionResponse;
    expect(r.value).toBeCloseTo((w[0]! * 1.8 + w[1]! * 0.9) / (w[0]! + w[1]!), 12);
    expect(r.std).toBeCloseTo(Math.sqrt(1 / (w[0]! + w[1]!)), 12);
  });

  it('should answer 400 naming each modality without std for inverse-variance', () => {
    const p = problemOf('inverse-variance', ISSUE_REGRESSION);
    expect(p.status).toBe(400);
    expect(p.errors).toEqual([expect.objectContaining({ path: 'predictions.video.std' })]);
  });

  it('should answer 400 for a strategy without a regression form, listing those that have one', () => {
    for (const s of ['product', 'max', 'min', 'vote', 'borda']) {
      const p = problemOf(s, ISSUE_REGRESSION);
      expect(p.status).toBe(400);
      expect(p.detail).toContain('strategies with a regression form: average, median, inverse-variance, learned');
    }
    expect(problemOf('inverse-variance', { classes: ['a', 'b'], predictions: { x: { probabilities: [0.5, 0.5] } } }).status).toBe(400);
  });

  it('should reject bad values with the field and the fix', () => {
    const p = problemOf('average', { task: 'regression', predictions: { a: { value: 'x' }, b: { value: 1, std: 0 }, c: { probabilities: [1] } }, classes: ['a'] });
    expect(p.errors!.map((e) => e.path).sort()).toEqual(['classes', 'predictions.a.value', 'predictions.b.std', 'predictions.c.probabilities', 'predictions.c.value']);
    expect(p.errors!.find((e) => e.path === 'classes')!.message).toContain('has only the fields task, id, profile, modalities, predictions, weights, options');
  });

  it('should take modalities and weights from a regression profile, and refuse one for another task', () => {
    const profile = { name: 'sentiment-intensity', task: 'regression', modalities: ['text', 'audio', 'video'], weights: { text: 3 } };
    const r = fuse('average', { task: 'regression', profile: 'sentiment-intensity', predictions: { text: { value: 2 }, audio: { value: 0 } } }, lookupOf(profile)) as RegressionResponse;
    expect(r).toMatchObject({ task: 'regression', value: 1.5, modalities: { missing: ['video'] }, profile: { name: 'sentiment-intensity', version: 'v1' } });
    const wrong = problemOf('average', { profile: 'sentiment-intensity', predictions: { text: { value: 2 } } }, lookupOf(profile));
    expect(wrong.errors![0]).toMatchObject({ path: 'profile', message: expect.stringContaining('is a regression profile but the request\'s task is classification; send "task": "regression"') });
    const other = problemOf('average', { task: 'multilabel', profile: 'sentiment-intensity', predictions: {} }, lookupOf(profile));
    expect(other.errors![0]).toMatchObject({ path: 'profile', message: expect.stringContaining('is a regression profile') });
  });

  it('should fuse with a trained ridge model, occlusion contributions and 400 without a model', () => {
    const profile = JSON.parse(read('examples/data/diabetes-3view/profile.json'));
    const result = trainTask(read('examples/data/diabetes-3view/train.jsonl'), profile, { model: 'ridge', alpha: 1 });
    const model = result.type === 'model' ? result.artifact : undefined;
    const a = model as { params: { coef: number[]; intercept: number }; fill: Record<string, number> };
    const req = { task: 'regression', profile: 'diabetes-3view', predictions: { body: { value: 150 }, serum: { value: 200 } } };
    const r = fuse('learned', req, lookupOf(profile, model)) as RegressionResponse;
    expect(r.value).toBeCloseTo(a.params.intercept + a.params.coef[0]! * 150 + a.params.coef[1]! * 200 + a.params.coef[2]! * a.fill.bmi!, 9);
    expect(Object.values(r.contributions).reduce((x, y) => x + y, 0)).toBeCloseTo(1, 12);
    expect(problemOf('learned', req, lookupOf(profile)).detail).toContain('fusion train --model ridge');
  });
});

describe('multi-label', () => {
  it('should answer the issue’s example per label, with labels at or above the threshold', () => {
    const r = MultilabelResponse.parse(fuse('average', ISSUE_MULTILABEL));
    expect(r.scores).toEqual({ person: 0.75, dog: 0.5, outdoor: 0.6 });
    expect(r.labels).toEqual(['person', 'dog', 'outdoor']);
    const t = fuse('average', { ...ISSUE_MULTILABEL, options: { threshold: 0.55, thresholds: { outdoor: 0.7 } } }) as MultilabelResponse;
    expect(t.labels).toEqual(['person']);
  });

  it('should compute the normalised two-outcome product with weights as exponents', () => {
    const r = fuse('product', { ...ISSUE_MULTILABEL, weights: { image: 2, audio: 1 } }) as MultilabelResponse;
    const p = (a: number, b: number) => (a ** 2 * b) / (a ** 2 * b + (1 - a) ** 2 * (1 - b));
    expect(r.scores.person).toBeCloseTo(p(0.9, 0.6), 12);
    expect(r.scores.dog).toBeCloseTo(p(0.2, 0.8), 12);
  });

  it('should take max, min, median and the weighted vote share per label', () => {
    expect((fuse('max', ISSUE_MULTILABEL) as MultilabelResponse).scores).toEqual({ person: 0.9, dog: 0.8, outdoor: 0.7 });
    expect((fuse('min', ISSUE_MULTILABEL) as MultilabelResponse).scores).toEqual({ person: 0.6, dog: 0.2, outdoor: 0.5 });
    expect((fuse('median', ISSUE_MULTILABEL) as MultilabelResponse).scores).toEqual({ person: 0.75, dog: 0.5, outdoor: 0.6 });
    const vote = fuse('vote', { ...ISSUE_MULTILABEL, weights: { image: 3, audio: 1 } }) as MultilabelResponse;
    expect(vote.scores).toEqual({ person: 1, dog: 0.25, outdoor: 1 });
    expect(vote.labels).toEqual(['person', 'outdoor']);
  });

  it('should reject scores out of [0, 1], wrong lengths, unknown labels and borda', () => {
    expect(problemOf('average', { task: 'multilabel', labels: ['a', 'b'], predictions: { x: { scores: [1.5, 0] } } }).errors).toEqual([
      { path: 'predictions.x.scores.0', message: 'a score must be between 0 and 1' },
    ]);
    const p = problemOf('average', { task: 'multilabel', labels: ['a', 'b'], predictions: { y: { scores: [0.5] }, z: { scores: { a: 0.1, c: 0.2 } } } });
    expect(p.errors!.map((e) => e.path).sort()).toEqual(['predictions.y.scores', 'predictions.z.scores', 'predictions.z.scores.c']);
    expect(problemOf('borda', ISSUE_MULTILABEL).detail).toContain('strategies with a multilabel form: average, product, max, min, median, vote, learned');
    expect(problemOf('inverse-variance', ISSUE_MULTILABEL).status).toBe(400);
  });

  it('should refuse, before any work, a batch whose answer would be over the response limit (413)', () => {
    const labels = Array.from({ length: 1000 }, (_, l) => `label-${l}`);
    const items = Array.from({ length: 200 }, () => ({ predictions: { x: { scores: labels.map(() => 0.5) } } }));
    const p = problemOf('average', { task: 'multilabel', labels, items });
    expect(p.status).toBe(413);
    expect(p.detail).toContain('FUSION_MAX_RESPONSE_BYTES');
  });

  it('should fuse a batch with shared labels, item ids, and report every bad item with its index', () => {
    const batch = { task: 'multilabel', labels: ['a', 'b'], items: [{ id: 1, predictions: { x: { scores: [0.2, 0.9] } } }, { id: 2, predictions: { x: { scores: [0.6, 0.1] } } }] };
    const r = fuse('average', batch) as { results: MultilabelResponse[] };
    expect(r.results.map((x) => [x.id, x.labels])).toEqual([[1, ['b']], [2, ['a']]]);
    const bad = problemOf('average', { ...batch, items: [{ predictions: { x: { scores: [2, 0] } } }, { task: 'regression', predictions: {} }] });
    expect(bad.errors!.map((e) => e.path)).toEqual(['items.0.predictions.x.scores.0', 'items.1.task']);
  });

  it('should fuse with a trained per-label logistic model from a multi-label profile', () => {
    const profile = JSON.parse(read('examples/data/tags-3view/profile.json'));
    const text = read('examples/data/tags-3view/train.jsonl').split('\n').slice(0, 150).join('\n');
    const result = trainTask(text, profile, { model: 'logistic', C: 1 });
    const model = result.type === 'model' ? result.artifact : undefined;
    const req = { task: 'multilabel', profile: 'tags-3view', predictions: { image: { scores: [0.9, 0.1, 0.1, 0.2, 0.8, 0.7] } } };
    const r = MultilabelResponse.parse(fuse('learned', req, lookupOf(profile, model)));
    expect(Object.keys(r.scores)).toEqual(profile.labels);
    expect(r.modalities.missing).toEqual(['audio', 'text']);
    expect(r.contributions).toEqual({ image: 1 });
  });

  it('should fit per-label thresholds that never lower the training F1 of the average rule', () => {
    const profile = JSON.parse(read('examples/data/tags-3view/profile.json'));
    const r = trainTask(read('examples/data/tags-3view/train.jsonl'), profile, { model: 'thresholds' });
    expect(r.type).toBe('profile');
    if (r.type !== 'profile') return;
    expect(Object.keys((r.profile as unknown as { thresholds: object }).thresholds)).toEqual(profile.labels);
    expect(r.metrics.macroF1).toBeGreaterThanOrEqual(r.before.macroF1);
  });
});
