import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FusionError,
  InsufficientModalitiesError,
  InvalidRequestError,
  NotFoundError,
  PROBLEM_BASE,
  Problem,
  type Profile,
  fuse,
  toProblem,
} from '../../functions/fusion/index.js';
import { FIXED, failure } from './support.js';

const classes = ['neg', 'pos'];
const valid = { classes, predictions: { text: { probabilities: [0.3, 0.7] } } };
const withText = (text: unknown) => ({ classes, predictions: { text } });
const withOptions = (options: unknown) => ({ ...valid, options });

/** [what is wrong, request, expected path, expected message]. */
const cases: [string, unknown, string, RegExp][] = [
  ['the body is null', null, '', /fusion request must be a JSON object/],
  ['the body is an array', [valid], '', /must be a JSON object/],
  ['the body is a string', 'hello', '', /must be a JSON object/],
  ['a top-level field is misspelt', { ...valid, weight: { text: 1 } }, 'weight', /unknown field "weight".*id, profile, classes, modalities, predictions, weights, options/],
  ['classes is missing', { predictions: valid.predictions }, 'classes', /classes is required/],
  ['classes is not an array', { ...valid, classes: 'neg,pos' }, 'classes', /array of class names/],
  ['classes has one class', { ...valid, classes: ['neg'] }, 'classes', /at least 2/],
  ['classes has 1001 classes', { ...valid, classes: Array.from({ length: 1001 }, (_, i) => `c${i}`) }, 'classes', /at most 1000/],
  ['a class repeats', { ...valid, classes: ['neg', 'neg'] }, 'classes.1', /"neg" appears more than once/],
  ['a class repeats in a long list', { ...valid, classes: [...Array.from({ length: 19 }, (_, i) => `c${i}`), 'c3'] }, 'classes.19', /"c3" appears more than once/],
  ['a class name is empty', { ...valid, classes: ['', 'pos'] }, 'classes.0', /must not be empty/],
  ['a class name is a number', { ...valid, classes: ['neg', 1] }, 'classes.1', /must be a string/],
  ['a class is named __proto__', { ...valid, classes: ['__proto__', 'pos'], predictions: { text: { probabilities: [0.5, 0.5] } } }, 'classes.0', /reserved/],
  ['predictions is missing', { classes }, 'predictions', /at least one modality/],
  ['predictions is empty', { classes, predictions: {} }, 'predictions', /at least one modality/],
  ['predictions is an array', { classes, predictions: [{ probabilities: [0.5, 0.5] }] }, 'predictions', /object mapping modality name/],
  ['there are 65 modalities', { classes, predictions: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`m${i}`, { label: 'pos' }])) }, 'predictions', /at most 64/],
  ['a modality name is empty', { classes, predictions: { '': { label: 'pos' } } }, 'predictions', /a modality name must not be empty/],
  ['a modality name is too long', { classes, predictions: { ['m'.repeat(129)]: { label: 'pos' } } }, `predictions.${'m'.repeat(129)}`, /at most 128/],
  ['a prediction is a number', withText(0.7), 'predictions.text', /must be an object/],
  ['a prediction is empty', withText({}), 'predictions.text', /give one of probabilities, logits or label/],
  ['a prediction has probabilities and logits', withText({ probabilities: [0.5, 0.5], logits: [0, 0] }), 'predictions.text', /exactly one .*not probabilities and logits/],
  ['a prediction field is misspelt', withText({ probs: [0.5, 0.5] }), 'predictions.text.probs', /unknown field "probs"/],
  ['probabilities has the wrong length', withText({ probabilities: [0.2, 0.3, 0.5] }), 'predictions.text.probabilities', /has 3 values but there are 2 classes/],
  ['a probability is negative', withText({ probabilities: [-0.5, 1.5] }), 'predictions.text.probabilities', /"neg" is -0.5; probabilities must be >= 0/],
  ['probabilities do not sum to 1', withText({ probabilities: [0.3, 0.6] }), 'predictions.text.probabilities', /sum to 0.9 but must sum to 1.*logits/],
  ['a probability is a string', withText({ probabilities: ['0.3', 0.7] }), 'predictions.text.probabilities.0', /a probability must be a finite number/],
  ['a probability is NaN', withText({ probabilities: [Number.NaN, 0.7] }), 'predictions.text.probabilities.0', /finite number/],
  ['a probability is Infinity', withText({ probabilities: { neg: Infinity, pos: 0 } }), 'predictions.text.probabilities.neg', /finite number/],
  ['probabilities is a string', withText({ probabilities: '0.3,0.7' }), 'predictions.text.probabilities', /array aligned with classes, or an object keyed by class name/],
  ['probabilities names an unknown class', withText({ probabilities: { neg: 0.3, pos: 0.7, maybe: 0 } }), 'predictions.text.probabilities.maybe', /"maybe" is not a class; expected keys: neg, pos/],
  ['a label is not among 40 classes', { classes: Array.from({ length: 40 }, (_, i) => `c${i}`), predictions: { text: { label: 'c40' } } }, 'predictions.text.label', /"c40" is not a class; expected one of: c0, c1, .*c9, \.\.\. and 30 more$/],
  ['probabilities misses a class', withText({ probabilities: { neg: 1 } }), 'predictions.text.probabilities', /missing the probability of class "pos"/],
  ['logits has the wrong length', withText({ logits: [1] }), 'predictions.text.logits', /1 values but there are 2 classes; give one logit per class/],
  ['a logit is null', withText({ logits: [1, null] }), 'predictions.text.logits.1', /a logit must be a finite number/],
  ['the label is not a class', withText({ label: 'maybe' }), 'predictions.text.label', /"maybe" is not a class; expected one of: neg, pos/],
  ['the label is a number', withText({ label: 1 }), 'predictions.text.label', /label must be a class name/],
  ['the confidence is above 1', withText({ label: 'pos', confidence: 1.5 }), 'predictions.text.confidence', /between 0 and 1/],
  ['a confidence comes with probabilities', withText({ probabilities: [0.3, 0.7], confidence: 0.7 }), 'predictions.text.confidence', /only with "label"/],
  ['a weight is negative', { ...valid, weights: { text: -1 } }, 'weights.text', /a weight must be >= 0/],
  ['a weight is a string', { ...valid, weights: { text: 'high' } }, 'weights.text', /a weight must be a finite number/],
  ['weights is an array', { ...valid, weights: [1] }, 'weights', /mapping modality name to a number/],
  ['every present weight is 0', { ...valid, weights: { text: 0, audio: 1 } }, 'weights', /at least one present modality \(text\) must have a weight > 0/],
  ['a temperature is 0', withOptions({ temperatures: { text: 0 } }), 'options.temperatures.text', /a temperature must be > 0/],
  ['priors has the wrong length', withOptions({ priors: [1, 1, 1] }), 'options.priors', /3 values but there are 2 classes/],
  ['a prior is 0', withOptions({ priors: [0, 1] }), 'options.priors.0', /a prior must be > 0/],
  ['mode is unknown', withOptions({ mode: 'soft' }), 'options.mode', /"hard" or "confidence"/],
  ['tieBreak is unknown', withOptions({ tieBreak: 'random' }), 'options.tieBreak', /"first" or "average"/],
  ['minModalities is 0', withOptions({ minModalities: 0 }), 'options.minModalities', /at least 1/],
  ['minModalities is fractional', withOptions({ minModalities: 1.5 }), 'options.minModalities', /whole number/],
  ['epsilon is too large', withOptions({ epsilon: 0.5 }), 'options.epsilon', /at most 0.01/],
  ['an option is misspelt', withOptions({ temperature: { text: 2 } }), 'options.temperature', /unknown field "temperature".*temperatures, priors/],
  ['options is a string', withOptions('fast'), 'options', /options must be a JSON object/],
  ['a modality is not expected', { ...valid, modalities: ['audio', 'video'] }, 'predictions.text', /"text" is not expected; expected one of: audio, video/],
  ['the id is an object', { ...valid, id: { n: 1 } }, 'id', /id must be a string or a number/],
  ['the profile name has a space', { ...valid, profile: 'my profile' }, 'profile', /profile must be a name of letters/],
];

describe('malformed requests', () => {
  it.each(cases)('should reject a request where %s, naming the field', (_what, input, path, message) => {
    const err = failure('average', input);
    expect(err).toBeInstanceOf(InvalidRequestError);
    const hit = err.errors.find((e) => e.path === path);
    expect(hit, JSON.stringify(err.errors)).toBeDefined();
    expect(hit!.message).toMatch(message);
    const problem = Problem.parse(toProblem(err));
    expect(problem).toMatchObject({ type: `${PROBLEM_BASE}invalid-request`, status: 400, title: 'Invalid fusion request' });
    expect(problem.detail).toContain(err.errors[0]!.message);
  });

  it('should report every problem of a request at once', () => {
    const err = failure('average', { classes: ['a', 'a'], predictions: { x: { probabilities: [0.5, 0.6] }, y: { label: 'z' } } });
    expect(err.errors.map((e) => e.path)).toEqual(['classes.1', 'predictions.x.probabilities', 'predictions.y.label']);
    expect(err.message).toMatch(/\(and 2 more\)$/);
  });

  it('should answer 404 naming the valid strategies for an unknown strategy', () => {
    const err = failure('mean', valid);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.message).toMatch(/Unknown strategy "mean".*average, product, max, min, median, vote, borda/);
    expect(toProblem(err).status).toBe(404);
  });

  it('should answer 404 for a profile the lookup does not know', () => {
    const err = failure('average', { ...valid, profile: 'nope' }, () => undefined);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.errors).toEqual([{ path: 'profile', message: 'no profile named "nope"' }]);
  });

  it("should reject classes that differ from the profile's", () => {
    const profile: Profile = { name: 'senti', classes: ['pos', 'neg'], modalities: ['text'] };
    const err = failure('average', { ...valid, profile: 'senti' }, (n) => (n === 'senti' ? { profile } : undefined));
    expect(err.errors[0]).toEqual({ path: 'classes', message: 'classes must equal profile "senti"\'s classes [pos, neg], or be left out' });
  });

  it('should answer 422 naming the missing modalities when fewer than minModalities are present', () => {
    const err = failure('average', { ...valid, modalities: ['text', 'audio', 'video'], options: { minModalities: 2 } });
    expect(err).toBeInstanceOf(InsufficientModalitiesError);
    expect(err.message).toBe('Insufficient modalities: 2 needed but 1 present (text); missing: audio, video.');
    expect(err.errors).toEqual([{ path: 'predictions', message: 'send at least 2 modalities; missing: audio, video' }]);
    expect(toProblem(err)).toMatchObject({ status: 422, type: `${PROBLEM_BASE}insufficient-modalities` });
  });
});

describe('robustness', () => {
  const expectHandled = (strategy: string, input: unknown) => {
    try {
      fuse(strategy, input);
    } catch (e) {
      expect(e).toBeInstanceOf(FusionError);
      expect(toProblem(e).status).toBeLessThan(500);
    }
  };

  it('should never throw anything but a FusionError on arbitrary JSON', () => {
    fc.assert(fc.property(fc.constantFrom(...FIXED), fc.jsonValue(), expectHandled), { numRuns: 300 });
  });

  it('should never throw anything but a FusionError on a batch of arbitrary items', () => {
    const item = fc.oneof(fc.jsonValue(), fc.record({ predictions: fc.dictionary(fc.string(), fc.jsonValue()) }, { requiredKeys: [] }));
    fc.assert(fc.property(fc.constantFrom(...FIXED), fc.array(item, { maxLength: 5 }), (strategy, items) => expectHandled(strategy, { classes: ['a', 'b'], items })), { numRuns: 200 });
  });

  it('should never throw anything but a FusionError when any field of a valid request is replaced by arbitrary JSON', () => {
    const base = {
      classes: ['a', 'b', 'c'],
      modalities: ['x', 'y', 'z'],
      predictions: { x: { probabilities: [0.2, 0.3, 0.5] }, y: { logits: [1, 2, 3] }, z: { label: 'b', confidence: 0.6 } },
      weights: { x: 1, y: 2 },
      options: { temperatures: { x: 2 }, priors: [0.2, 0.3, 0.5], mode: 'confidence', minModalities: 2, tieBreak: 'average', epsilon: 1e-9 },
    };
    const paths = [
      ['classes'], ['classes', 1], ['modalities'], ['predictions'], ['predictions', 'x'], ['predictions', 'x', 'probabilities'],
      ['predictions', 'x', 'probabilities', 0], ['predictions', 'y', 'logits'], ['predictions', 'z', 'label'], ['predictions', 'z', 'confidence'],
      ['weights'], ['weights', 'x'], ['options'], ['options', 'temperatures'], ['options', 'priors'], ['options', 'mode'], ['options', 'epsilon'],
    ] as const;
    fc.assert(
      fc.property(fc.constantFrom(...FIXED), fc.constantFrom(...paths), fc.jsonValue(), (strategy, path, value) => {
        const input = structuredClone(base) as Record<string | number, unknown>;
        let at = input;
        for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
        at[path.at(-1)!] = value;
        expectHandled(strategy, input);
      }),
      { numRuns: 500 },
    );
  });
});
