import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuseOne, getStrategy } from '../../functions/fusion/index.js';
import { PRESETS, convert, decodeState, encodeState, formatNumber, modality, setProbability, toRequest } from '../../functions/playground/page/state.js';

describe('the playground state', () => {
  it('should keep probabilities summing to 1 and the others in proportion when one slider moves', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0.01, max: 1, noNaN: true }), { minLength: 2, maxLength: 12 }), fc.nat(), fc.double({ min: 0, max: 1, noNaN: true }), (raw, at, v) => {
        const sum = raw.reduce((a, b) => a + b, 0);
        const p = raw.map((x) => x / sum);
        const c = at % p.length;
        const q = setProbability(p, c, v);
        expect(q.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
        expect(q[c]).toBe(v);
        const [i, j] = [0, 1].map((k) => (c + 1 + k) % p.length) as [number, number];
        if (i !== c && j !== c && v < 1) expect(q[i]! * p[j]!).toBeCloseTo(q[j]! * p[i]!, 12);
      }),
    );
  });

  it('should round-trip every preset through the URL, and stand for the worked examples', () => {
    for (const s of Object.values(PRESETS)) expect(decodeState(`#${encodeState(s)}`)).toEqual(s);
    expect(fuseOne(getStrategy('average'), toRequest(PRESETS['average-two']!)).probabilities.yes).toBeCloseTo(0.65, 12);
    expect(fuseOne(getStrategy('average'), toRequest(PRESETS['weighted-two']!)).probabilities.yes).toBeCloseTo(0.66, 12);
    expect(fuseOne(getStrategy('vote'), toRequest(PRESETS['vote-three']!)).votes).toEqual({ A: 2, B: 1 });
  });

  it('should name what is wrong with a bad link instead of using it', () => {
    expect(decodeState('#other=1')).toBeUndefined();
    expect(decodeState('#state=%7B')).toEqual({ error: 'the state in the link is not valid JSON' });
    const twoNames = { ...PRESETS['average-two']!, modalities: [modality('a', 2), modality('a', 2)] };
    expect(decodeState(`#${encodeState(twoNames)}`)).toEqual({ error: expect.stringMatching(/modality names must be unique/) });
    const tooLong = `#state=${'x'.repeat(20_001)}`;
    expect(decodeState(tooLong)).toEqual({ error: expect.stringMatching(/over 20,000 characters/) });
  });

  it('should convert between kinds keeping the top class', () => {
    const m = modality('m', 3, [0.2, 0.5, 0.3]);
    expect(convert(m, 'label')).toMatchObject({ kind: 'label', label: 1, confidence: 0.5 });
    const back = convert(convert(m, 'logits'), 'probabilities').values;
    back.forEach((p, i) => expect(p).toBeCloseTo(m.values[i]!, 2));
  });

  it('should show numbers with at least two decimals and at most three', () => {
    expect([0.65, 0.7, 2 / 3, 1].map(formatNumber)).toEqual(['0.65', '0.70', '0.667', '1.00']);
  });
});
