import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../functions/cli/main.js';
import { InsufficientModalitiesError, InvalidRequestError, STRATEGY_NAMES, fuse, type FusionResponse, type ResolvedProfile } from '../../functions/fusion/index.js';
import { type ModelArtifact, loadModel, orderDists, predictDists, train } from '../../functions/fusion/learned/index.js';
import { withEnv } from '../../functions/http/config.js';
import { handler } from '../../functions/http/entries/learned.js';
import { context, eventV2 } from '../http/events.js';
import { captureIo, head, load } from './helpers.js';

const digits = load('digits-3view');
const result = train(head(digits.trainText, 400), digits.profile, { model: 'logistic', createdAt: '2026-01-01T00:00:00.000Z' });
const artifact = (result as { artifact: ModelArtifact }).artifact;
const line = JSON.parse(digits.testText.split('\n')[0]!) as { predictions: Record<string, unknown>; label: string };
const profile = { ...digits.profile, name: 'digits-learned', model: { key: 'models/digits-logistic.json' } };
const lookup = (model: unknown = artifact) => (name: string): ResolvedProfile | undefined => (name === profile.name ? { profile, model } : undefined);

describe('the learned strategy in the core', () => {
  it('should be listed in the registry', () => {
    expect(STRATEGY_NAMES).toContain('learned');
  });

  it('should answer the model’s probabilities, with contributions summing to 1', () => {
    const r = fuse('learned', { profile: profile.name, predictions: line.predictions }, lookup()) as FusionResponse;
    const model = loadModel(artifact);
    const dists = digits.test.examples[0]!.prepared.dists;
    const expected = predictDists(model, digits.test.examples[0]!.prepared.modalities, dists, new Float64Array(10));
    profile.classes.forEach((c, i) => expect(r.probabilities[c]).toBeCloseTo(expected[i]!, 12));
    expect(r.label).toBe(line.label);
    expect(Object.values(r.contributions).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('should fill an absent modality and report it missing', () => {
    const { top, bottom } = line.predictions;
    const r = fuse('learned', { profile: profile.name, predictions: { top, bottom } }, lookup()) as FusionResponse;
    expect(r.modalities.missing).toEqual(['profile']);
    expect(Object.values(r.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('should reject fewer modalities than minModalities with insufficient-modalities', () => {
    const req = { profile: profile.name, predictions: { top: line.predictions.top }, options: { minModalities: 2 } };
    expect(() => fuse('learned', req, lookup())).toThrow(InsufficientModalitiesError);
  });

  it('should say how to fix a request without a profile or a profile without a model', () => {
    expect(() => fuse('learned', { classes: profile.classes, predictions: line.predictions })).toThrow(/needs a profile with a trained model/);
    const bare = (name: string) => (name === profile.name ? { profile } : undefined);
    expect(() => fuse('learned', { profile: profile.name, predictions: line.predictions }, bare)).toThrow(/has no learned model; train one/);
    expect(() => fuse('learned', { profile: profile.name, predictions: line.predictions }, lookup({ ...artifact, classes: [...artifact.classes].reverse() }))).toThrow(InvalidRequestError);
  });
});

describe('serving a learned model', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fusion-learned-'));
    await mkdir(join(dir, 'models'));
    await writeFile(join(dir, 'models/digits-logistic.json'), JSON.stringify(artifact));
    await writeFile(join(dir, 'digits-learned.json'), JSON.stringify(profile));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('should answer POST /v1/fuse/learned from the stored profile’s model', async () => {
    const r = await withEnv({ ...process.env, FUSION_STORE_DIR: dir }, () =>
      handler(eventV2('POST', '/v1/fuse/learned', { profile: profile.name, predictions: line.predictions }), context('late-fusion-learned')),
    );
    expect(r.statusCode).toBe(200);
    const body = JSON.parse(r.body!) as FusionResponse;
    expect(body.strategy).toBe('learned');
    expect(body.label).toBe(line.label);
    expect(body.profile).toMatchObject({ name: profile.name });
  });

  it('should answer 422 below minModalities', async () => {
    const r = await withEnv({ ...process.env, FUSION_STORE_DIR: dir }, () =>
      handler(eventV2('POST', '/v1/fuse/learned', { profile: profile.name, predictions: { top: line.predictions.top }, options: { minModalities: 2 } }), context('late-fusion-learned')),
    );
    expect(r.statusCode).toBe(422);
  });

  it('should fuse with `fusion fuse --strategy learned --model FILE`', async () => {
    const file = join(dir, 'models/digits-logistic.json');
    const cap = captureIo(JSON.stringify({ predictions: line.predictions }));
    expect(await main(['fuse', '--strategy', 'learned', '--model', file, '--compact'], cap.io)).toBe(0);
    expect(JSON.parse(cap.stdout()).label).toBe(line.label);
  });
});

describe('occlusion (a modality replaced by its fill vector)', () => {
  for (const kind of ['logistic', 'linear-svm', 'mlp'] as const) {
    it(`should equal predicting without the modality for ${kind}`, () => {
      const r = train(head(digits.trainText, 200), digits.profile, { model: kind, hidden: [8], createdAt: 'x' });
      const model = loadModel((r as { artifact: ModelArtifact }).artifact);
      const { modalities, dists } = digits.test.examples[5]!.prepared;
      const full = new Float64Array(10);
      const without = model.fill.map(() => new Float64Array(10));
      model.occlude(orderDists(model, modalities, dists), full, without);
      const expectClose = (a: Float64Array, b: Float64Array) => a.forEach((v, c) => expect(v).toBeCloseTo(b[c]!, 12));
      expectClose(full, predictDists(model, modalities, dists, new Float64Array(10)));
      modalities.forEach((m, k) => expectClose(without[model.index.get(m)!]!, predictDists(model, modalities, dists, new Float64Array(10), k)));
    });
  }
});
