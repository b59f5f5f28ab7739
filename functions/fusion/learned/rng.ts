/** A seeded pseudo-random generator: uniform numbers in [0, 1). */
export type Rng = () => number;

/**
 * Mulberry32 (Tommy Ettinger, 2017): a 32-bit state generator, small and fast, so every
 * seeded step of training (shuffles, initial weights, dropout) is reproducible across runs.
 */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle of `a` in place. */
export function shuffle<T extends { length: number; [i: number]: unknown }>(a: T, rng: Rng): T {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}
