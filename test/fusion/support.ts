import { expect } from 'vitest';
import { BatchResponse, FusionError, FusionResponse, type ProfileLookup, fuse, toProblem } from '../../functions/fusion/index.js';

/** The fixed rules this issue defines (the registry may hold more, such as learned ones). */
export const FIXED = ['average', 'product', 'max', 'min', 'median', 'vote', 'borda'] as const;
export type Fixed = (typeof FIXED)[number];

/** Fuses one request and checks the answer against the response schema. */
export function one(strategy: string, input: unknown, lookup?: ProfileLookup): FusionResponse {
  const r = fuse(strategy, input, lookup);
  expect('results' in r).toBe(false);
  return FusionResponse.parse(r);
}

/** Fuses a batch and checks the answer against the batch response schema. */
export function many(strategy: string, input: unknown, lookup?: ProfileLookup): BatchResponse {
  return BatchResponse.parse(fuse(strategy, input, lookup));
}

/** The error `fuse` throws, which must be a FusionError (never anything else). */
export function failure(strategy: string, input: unknown, lookup?: ProfileLookup): FusionError {
  try {
    fuse(strategy, input, lookup);
  } catch (e) {
    expect(e).toBeInstanceOf(FusionError);
    expect(toProblem(e).status).toBeLessThan(500);
    return e as FusionError;
  }
  throw new Error('expected the request to be rejected');
}

/** Probabilities in class order. */
export const probs = (r: FusionResponse, classes: string[]) => classes.map((c) => r.probabilities[c]!);

/** Element-wise closeness of two number lists. */
export function expectClose(actual: number[], expected: number[], digits = 12): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((v, i) => expect(v, `index ${i}`).toBeCloseTo(expected[i]!, digits));
}
