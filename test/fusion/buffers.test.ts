import { describe, expect, it } from 'vitest';
import { f64 } from '../../functions/fusion/buffers.js';

describe('typed arrays carved from slabs', () => {
  it('should hand out zeroed arrays that never overlap, across many slabs', () => {
    // About 4 MiB in mixed sizes crosses dozens of 64 KiB slab boundaries.
    const arrays: Float64Array[] = [];
    for (let i = 0; arrays.length < 6000; i++) {
      const n = 1 + ((i * 37) % 200);
      const a = f64(n);
      expect(a.length).toBe(n);
      expect(a.every((v) => v === 0)).toBe(true);
      a.fill(arrays.length + 1);
      arrays.push(a);
    }
    arrays.forEach((a, i) => expect(a.every((v) => v === i + 1), `array ${i}`).toBe(true));
  });

  it('should give large arrays their own buffer', () => {
    expect(f64(2000).buffer.byteLength).toBe(16000);
  });
});
