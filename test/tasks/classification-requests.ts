import fc from 'fast-check';

/** Seeded classification requests (single and batch): the same list on every run. */
export function classificationRequests(count = 120, seed = 17): unknown[] {
  const prediction = (C: number) =>
    fc.oneof(
      fc.array(fc.integer({ min: 0, max: 9 }), { minLength: C, maxLength: C }).filter((v) => v.some((x) => x > 0)).map((v) => {
        const s = v.reduce((a, b) => a + b, 0);
        return { probabilities: v.map((x) => x / s) };
      }),
      fc.array(fc.double({ min: -8, max: 8, noNaN: true }), { minLength: C, maxLength: C }).map((logits) => ({ logits })),
      fc.record({ label: fc.integer({ min: 0, max: C - 1 }).map((c) => `c${c}`), confidence: fc.double({ min: 0, max: 1, noNaN: true }) }),
    );
  const request = fc.record({ C: fc.integer({ min: 2, max: 5 }), K: fc.integer({ min: 1, max: 4 }) }).chain(({ C, K }) =>
    fc.record({
      classes: fc.constant(Array.from({ length: C }, (_, c) => `c${c}`)),
      predictions: fc.array(prediction(C), { minLength: K, maxLength: K }).map((ps) => Object.fromEntries(ps.map((p, k) => [`m${k}`, p]))),
      weights: fc.array(fc.double({ min: 0.1, max: 5, noNaN: true }), { minLength: K, maxLength: K }).map((ws) => Object.fromEntries(ws.map((w, k) => [`m${k}`, w]))),
    }),
  );
  const batch = fc.array(request, { minLength: 1, maxLength: 3 }).map((items) => ({ items }));
  return fc.sample(fc.oneof({ arbitrary: request, weight: 4 }, { arbitrary: batch, weight: 1 }), { seed, numRuns: count });
}
