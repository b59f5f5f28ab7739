import { describe, expect, it } from 'vitest';
import { fuse } from '../functions/fusion/index.js';

describe('fusion core', () => {
  it('should average 0.7 and 0.6 into 0.65', () => {
    const r = fuse('average', {
      classes: ['A', 'B'],
      predictions: { x: { probabilities: [0.7, 0.3] }, y: { probabilities: [0.6, 0.4] } },
    });
    expect('label' in r && r.probabilities.A).toBeCloseTo(0.65, 12);
  });
});
