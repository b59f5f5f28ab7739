/**
 * Canary routing: the variant of a decision is a pure function of its id (the decisionId, or the
 * joinId for joins), so a retried request lands on the same variant.
 */

/** FNV-1a (32 bit) of the UTF-16 code units of `id`, scaled to [0, 1). */
export function unitHash(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // A final avalanche (murmur3's fmix32): FNV's low bits follow the last characters too closely.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}

export type Variant = 'canary' | 'primary';

/** `canary` for a share `fraction` (0 to 1) of ids, the same answer for the same id every time. */
export function chooseVariant(id: string, fraction: number): Variant {
  return fraction > 0 && unitHash(id) < fraction ? 'canary' : 'primary';
}
