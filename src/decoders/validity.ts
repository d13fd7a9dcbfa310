/**
 * Arrow validity bitmaps (LSB-first, bit set = valid): the one set of helpers every decoder and
 * the Arrow wrapper use, so bit order is decided in one place.
 */

export function bitIsSet(bitmap: Uint8Array, i: number): boolean {
  return (bitmap[i >> 3]! & (1 << (i & 7))) !== 0;
}

export function setBit(bitmap: Uint8Array, i: number): void {
  bitmap[i >> 3]! |= 1 << (i & 7);
}

/** A bitmap for n values with every bit cleared (all missing). */
export function emptyBitmap(n: number): Uint8Array {
  return new Uint8Array((n + 7) >> 3);
}

const POP = new Uint8Array(256).map((_, i) => {
  let c = 0;
  for (let v = i; v; v &= v - 1) c++;
  return c;
});

/** Number of set bits among the first n bits. */
export function popcount(bitmap: Uint8Array, n: number): number {
  let c = 0;
  const full = n >> 3;
  for (let i = 0; i < full; i++) c += POP[bitmap[i]!]!;
  const rest = n & 7;
  if (rest) c += POP[bitmap[full]! & ((1 << rest) - 1)]!;
  return c;
}

/**
 * Validity of float values where NaN means missing, built a byte at a time in one pass.
 * Returns no bitmap when every value is present (the common case costs one scan, no allocation).
 */
export function validityFromNaN(values: Float32Array | Float64Array): { validity?: Uint8Array; nullCount: number } {
  const n = values.length;
  let i = 0;
  while (i < n && values[i] === values[i]) i++;
  if (i === n) return { nullCount: 0 };
  const bitmap = new Uint8Array((n + 7) >> 3);
  const fullBytes = i >> 3;
  bitmap.fill(0xff, 0, fullBytes);
  let nulls = 0;
  for (let byte = fullBytes; byte < bitmap.length; byte++) {
    const base = byte << 3;
    const end = Math.min(8, n - base);
    let bits = 0;
    for (let b = 0; b < end; b++) {
      const v = values[base + b]!;
      if (v === v) bits |= 1 << b;
      else nulls++;
    }
    bitmap[byte] = bits;
  }
  return { validity: bitmap, nullCount: nulls };
}

/** Row-range view of a bitmap: a subarray when `start` is byte-aligned, a shifted copy otherwise. */
export function sliceBitmap(bitmap: Uint8Array, start: number, end: number): { bitmap: Uint8Array; nullCount: number } {
  const n = end - start;
  if ((start & 7) === 0) {
    const out = bitmap.subarray(start >> 3, (end + 7) >> 3);
    return { bitmap: out, nullCount: n - popcount(out, n) };
  }
  const out = new Uint8Array((n + 7) >> 3);
  let valid = 0;
  for (let i = 0; i < n; i++) {
    const j = start + i;
    if (bitmap[j >> 3]! & (1 << (j & 7))) {
      out[i >> 3]! |= 1 << (i & 7);
      valid++;
    }
  }
  return { bitmap: out, nullCount: n - valid };
}
