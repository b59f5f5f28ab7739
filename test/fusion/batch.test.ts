import { describe, expect, it } from 'vitest';
import { InsufficientModalitiesError, InvalidRequestError, type Profile, type ProfileLookup, referencedProfiles } from '../../functions/fusion/index.js';
import { failure, many, one } from './support.js';

const classes = ['neg', 'pos'];
const p = (probabilities: number[]) => ({ probabilities });

describe('batch', () => {
  it('should answer every item in order, using the top-level fields as defaults', () => {
    const r = many('average', {
      classes,
      weights: { text: 3, audio: 1 },
      items: [
        { id: 'a', predictions: { text: p([0.9, 0.1]), audio: p([0.1, 0.9]) } },
        { id: 'b', predictions: { text: p([0.2, 0.8]) } },
      ],
    });
    expect(r.results.map((x) => x.id)).toEqual(['a', 'b']);
    expect(r.results[0]!.probabilities.neg).toBeCloseTo(0.7, 12);
    expect(r.results[1]!.label).toBe('pos');
  });

  it('should let an item override a default, record fields key by key', () => {
    const r = many('average', {
      classes,
      weights: { text: 3, audio: 1 },
      options: { tieBreak: 'average', temperatures: { text: 2 } },
      items: [
        { predictions: { text: p([0.9, 0.1]), audio: p([0.1, 0.9]) }, weights: { text: 1 } },
        { classes: ['yes', 'no'], predictions: { text: p([0.5, 0.5]) } },
        { predictions: { text: p([0.2, 0.8]) }, options: { temperatures: { audio: 5 } } },
      ],
    });
    // Weights text 1 (overridden) and audio 1 (kept); text tempered with T = 2: [0.9, 0.1] → [0.75, 0.25].
    expect(r.results[0]!.probabilities.neg).toBeCloseTo((0.75 + 0.1) / 2, 12);
    expect(Object.keys(r.results[1]!.probabilities)).toEqual(['yes', 'no']);
    const tempered = one('average', { classes, predictions: { text: p([0.2, 0.8]) }, options: { temperatures: { text: 2 } } });
    expect(r.results[2]!.probabilities).toEqual(tempered.probabilities); // text's temperature 2 still applies
  });

  it('should reject the whole batch for one bad item, with the item index in the path', () => {
    const err = failure('vote', { classes, items: [{ predictions: { text: p([0.5, 0.5]) } }, { predictions: { text: p([0.5]) } }] });
    expect(err).toBeInstanceOf(InvalidRequestError);
    expect(err.errors).toEqual([{ path: 'items.1.predictions.text.probabilities', message: expect.stringMatching(/1 values but there are 2 classes/) }]);
  });

  it('should report the errors of every bad item, schema and cross-field alike', () => {
    const err = failure('average', { classes, items: [{ predictions: { text: p([0.5, 0.6]) } }, 'x', { predictions: { text: { label: 'maybe' } }, extra: 1 }] });
    // Schema problems first, then what the remaining checks find in the parts that passed the schema.
    expect(err.errors.map((e) => e.path)).toEqual(['items.1', 'items.2.extra', 'items.0.predictions.text.probabilities', 'items.2.predictions.text.label']);
  });

  it('should reject a missing, empty or oversized item list and bad defaults', () => {
    expect(failure('average', { items: 'all' }).errors[0]).toEqual({ path: 'items', message: 'items must be an array of fusion requests' });
    expect(failure('average', { items: [] }).errors[0]!.message).toMatch(/at least 1/);
    expect(failure('average', { items: Array.from({ length: 1001 }, () => ({})) }).errors[0]!.message).toMatch(/at most 1000.*S3 batch/);
    const bad = failure('average', { classes, weights: { text: -1 }, items: [{ predictions: { text: p([0.5, 0.5]) } }] });
    expect(bad.errors[0]!.path).toBe('weights.text');
    expect(failure('average', { classes, item: [], items: [{}] }).errors[0]!.path).toBe('item');
  });

  it('should answer 422 for an item with too few modalities, naming its index and what is missing', () => {
    const err = failure('average', {
      classes,
      modalities: ['text', 'audio'],
      options: { minModalities: 2 },
      items: [{ predictions: { text: p([0.5, 0.5]), audio: p([0.5, 0.5]) } }, { predictions: { text: p([0.5, 0.5]) } }],
    });
    expect(err).toBeInstanceOf(InsufficientModalitiesError);
    expect(err.errors).toEqual([{ path: 'items.1.predictions', message: 'send at least 2 modalities; missing: audio' }]);
  });
});

describe('profiles', () => {
  const profile: Profile = { name: 'senti', classes, modalities: ['text', 'audio', 'video'], weights: { text: 3, audio: 1 }, tieBreak: 'average', minModalities: 1 };
  const lookup: ProfileLookup = (name) => (name === 'senti' ? { profile, version: 'v7', stale: true } : undefined);

  it("should supply classes, weights and options and report the profile's missing modalities and version", () => {
    const r = one('average', { profile: 'senti', predictions: { text: p([0.9, 0.1]), audio: p([0.1, 0.9]) } }, lookup);
    expect(r.probabilities.neg).toBeCloseTo(0.7, 12);
    expect(r.modalities.missing).toEqual(['video']);
    expect(r.profile).toEqual({ name: 'senti', version: 'v7', stale: true });
  });

  it('should let the request override the profile and a batch name the profile for every item', () => {
    const single = one('average', { profile: 'senti', classes, predictions: { text: p([0.9, 0.1]), audio: p([0.1, 0.9]) }, weights: { text: 1 } }, lookup);
    expect(single.probabilities.neg).toBeCloseTo(0.5, 12);
    const r = many('average', { profile: 'senti', items: [{ predictions: { text: p([0.9, 0.1]) } }, { predictions: { audio: p([0.1, 0.9]) } }] }, lookup);
    expect(r.results.map((x) => x.profile?.name)).toEqual(['senti', 'senti']);
    expect(r.results[1]!.modalities.missing).toEqual(['text', 'video']);
  });

  it('should reject a modality the profile does not expect', () => {
    const err = failure('average', { profile: 'senti', predictions: { face: p([0.5, 0.5]) } }, lookup);
    expect(err.errors).toEqual([{ path: 'predictions.face', message: 'modality "face" is not expected by profile "senti"; expected one of: text, audio, video' }]);
  });

  it('should list the profiles a request or batch refers to', () => {
    expect(referencedProfiles({ profile: 'a', items: [{ profile: 'b' }, { profile: 'a' }, {}] })).toEqual(['a', 'b']);
    expect(referencedProfiles({ classes })).toEqual([]);
    expect(() => referencedProfiles(null)).toThrow(InvalidRequestError);
  });
});
