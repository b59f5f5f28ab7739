/**
 * Small typed arrays carved from shared 64 KiB slabs. V8 allocates a fresh `Float64Array` of
 * more than 64 bytes outside the heap (hundreds of nanoseconds each); a view on a slab costs a
 * few dozen. Slabs are never reused, so views start zeroed and stay independent; a slab is
 * freed when its last view is. Arrays above 8 KiB get their own buffer.
 */
const SLAB_BYTES = 1 << 16;
const OWN_BUFFER_BYTES = 1 << 13;
let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;

function carve(bytes: number): number {
  const size = (bytes + 7) & ~7;
  if (used + size > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const offset = used;
  used += size;
  return offset;
}

/** A zeroed Float64Array of length n. */
export function f64(n: number): Float64Array {
  if (n * 8 > OWN_BUFFER_BYTES) return new Float64Array(n);
  const offset = carve(n * 8); // before reading `slab`: carving may start a new slab
  return new Float64Array(slab, offset, n);
}
