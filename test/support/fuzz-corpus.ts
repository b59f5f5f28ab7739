/**
 * The fuzz corpus of the local server: arbitrary, near-valid and adversarial bodies. The test
 * (test/http/fuzz.test.ts) checks every answer; `npm run bench -- amplification` measures the
 * largest response-to-request byte ratio over the same seeded corpus.
 */
import fc from 'fast-check';

/** One seed for the test and the bench, so both see the same bodies. */
export const SEED = 20261201;

export const STRATEGIES = ['average', 'product', 'max', 'min', 'median', 'vote', 'borda'];
export const strategy = fc.constantFrom(...STRATEGIES);
const weird = fc.oneof(
  fc.double(),
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e309', '0x10', '', null, true, [], {}),
  fc.constantFrom(1e308, -1e308, 5e-324, Number.MAX_SAFE_INTEGER * 1e10, -0),
  fc.string(),
);
const className = fc.oneof(fc.string({ unit: 'grapheme', minLength: 0, maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', '💥', 'e\u0301'));
const prediction = fc.oneof(
  fc.record({ probabilities: fc.array(weird, { maxLength: 6 }) }),
  fc.record({ probabilities: fc.dictionary(className, weird, { maxKeys: 5 }) }),
  fc.record({ logits: fc.array(fc.oneof(fc.double({ noNaN: true }), weird), { maxLength: 6 }) }),
  fc.record({ label: className, confidence: weird }, { requiredKeys: ['label'] }),
  weird,
);
/** Requests that look like the contract, with values drawn from everything that can go wrong. */
export const nearlyValid = fc.record(
  {
    id: fc.oneof(fc.string(), fc.integer(), weird),
    profile: fc.oneof(fc.constantFrom('sentiment', 'nope', 'sentiment@v1', '../etc/passwd', ''), fc.string()),
    classes: fc.oneof(fc.uniqueArray(className, { minLength: 2, maxLength: 5 }), weird),
    modalities: fc.oneof(fc.array(fc.string(), { maxLength: 4 }), weird),
    predictions: fc.oneof(fc.dictionary(fc.oneof(fc.constantFrom('text', 'video', 'audio'), fc.string()), prediction, { maxKeys: 5 }), weird),
    weights: fc.oneof(fc.dictionary(fc.string(), weird, { maxKeys: 4 }), weird),
    options: fc.oneof(fc.record({ minModalities: weird, mode: weird, tieBreak: weird, epsilon: weird, temperatures: weird, priors: weird }, { requiredKeys: [] }), weird),
  },
  { requiredKeys: [] },
);
export const batch = fc.record(
  { classes: fc.oneof(fc.constant(['a', 'b']), weird), weights: weird, items: fc.oneof(fc.array(nearlyValid, { maxLength: 4 }), weird) },
  { requiredKeys: ['items'] },
);

const names = (n: number, length: number, prefix = 'c') => Array.from({ length: n }, (_, i) => `${prefix}${i}`.padEnd(length, 'x'));

/** Class and modality names from 1 to 6,000 characters. */
const longNames = fc.record({ n: fc.integer({ min: 2, max: 30 }), length: fc.integer({ min: 1, max: 6000 }), modality: fc.integer({ min: 1, max: 300 }) }).map(({ n, length, modality }) => {
  const classes = names(n, length);
  return JSON.stringify({ classes, predictions: { ['m'.padEnd(modality, 'm')]: { label: classes[0] }, audio: { probabilities: classes.map(() => 1 / n) } } });
});

/** Probability objects with thousands of keys that are not classes. */
const unknownKeys = fc.record({ keys: fc.integer({ min: 1, max: 5000 }), length: fc.integer({ min: 1, max: 256 }) }).map(({ keys, length }) => {
  const probabilities = Object.fromEntries(Array.from({ length: keys }, (_, i) => [`k${i}`, 0]));
  return JSON.stringify({ classes: names(20, length), predictions: { text: { probabilities } } });
});

/** Batches naming up to 1,000 distinct profiles. */
const manyProfiles = fc.integer({ min: 1, max: 1000 }).map((n) =>
  JSON.stringify({ items: Array.from({ length: n }, (_, i) => ({ profile: `p${i}`, predictions: { text: { label: 'a' } } })) }),
);

/** Small requests implying large answers: bare labels over many classes, items inheriting everything. */
const largeOutputs = fc.oneof(
  fc.record({ classes: fc.integer({ min: 2, max: 1000 }), items: fc.integer({ min: 1, max: 1000 }) }).map(({ classes, items }) =>
    JSON.stringify({ classes: names(classes, 8), items: Array.from({ length: items }, () => ({ predictions: { t: { label: 'c1'.padEnd(8, 'x') } } })) }),
  ),
  fc.record({ classes: fc.integer({ min: 2, max: 1000 }), modalities: fc.integer({ min: 1, max: 64 }), items: fc.integer({ min: 1, max: 1000 }) }).map(({ classes, modalities, items }) => {
    const label = 'c0'.padEnd(8, 'x');
    const predictions = Object.fromEntries(Array.from({ length: modalities }, (_, k) => [`m${k}`, { label }]));
    return JSON.stringify({ classes: names(classes, 8), predictions, items: Array.from({ length: items }, () => ({})) });
  }),
);

/** Finite numbers at the edges of doubles in weights, temperatures, logits and priors. */
const extreme = fc.constantFrom(1e308, -1e308, 1e-308, 5e-324, 1.7976931348623157e308, 1e-300, 1e300);
const extremeNumbers = fc
  .record({ w: extreme, t: extreme, z: fc.array(extreme, { minLength: 3, maxLength: 3 }), prior: extreme })
  .map(({ w, t, z, prior }) =>
    JSON.stringify({
      classes: ['a', 'b', 'c'],
      predictions: { text: { logits: z }, audio: { probabilities: [0.2, 0.3, 0.5] }, video: { label: 'b', confidence: 0.9 } },
      weights: { text: Math.abs(w), audio: 1 },
      options: { temperatures: { text: Math.abs(t) }, priors: [Math.abs(prior), 1, 1] },
    }),
  );

/** Every adversarial category, as JSON text. */
export const adversarial = fc.oneof(longNames, unknownKeys, manyProfiles, largeOutputs, extremeNumbers);
