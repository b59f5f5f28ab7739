import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FusionRequest, fuse, getStrategy, parseWith, prepare } from '../../functions/fusion/index.js';
import { decide } from '../../functions/fusion/fuse.js';
import { classificationRequests } from './classification-requests.js';

const before = JSON.parse(readFileSync(new URL('../fixtures/classification-before.json', import.meta.url), 'utf8')) as { strategies: string[]; responses: string[] };

describe('classification stays the default, byte for byte', () => {
  it('answers the recorded requests with the bytes recorded before tasks existed', () => {
    const requests = classificationRequests();
    expect(requests).toHaveLength(before.responses.length);
    requests.forEach((r, i) => expect(JSON.stringify(fuse(before.strategies[i % before.strategies.length]!, r)), `request ${i}`).toBe(before.responses[i]));
  });

  it('answers the same bytes with "task": "classification", and as the classification core alone', () => {
    const requests = classificationRequests(60, 99).filter((r) => !('items' in (r as object)));
    fc.assert(
      fc.property(fc.constantFrom(...requests), fc.constantFrom(...before.strategies), (r, s) => {
        const plain = JSON.stringify(fuse(s, r));
        expect(JSON.stringify(fuse(s, { task: 'classification', ...(r as object) }))).toBe(plain);
        expect(JSON.stringify(decide(getStrategy(s), prepare(parseWith(FusionRequest, r))))).toBe(plain);
      }),
      { numRuns: 150, seed: 5 },
    );
  });
});
