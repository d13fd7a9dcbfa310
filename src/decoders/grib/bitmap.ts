/**
 * GRIB bitmaps (section 6 / GRIB1 BMS: one bit per grid point, most significant bit first, set =
 * a value is packed for the point). Kernels decode the packed values into the tail of the output
 * array and `expandBitmap` spreads them over the grid in place, in one forward pass that moves
 * whole runs of present points with copyWithin and fills runs of absent ones with NaN.
 */
import { popcount } from '../validity.js';

/** Number of points with a packed value among the first `points` bits. */
export function countPresent(bitmap: Uint8Array, points: number): number {
  const full = points >>> 3;
  // Whole bytes count the same in either bit order; the last byte is read MSB-first.
  let n = popcount(bitmap, full * 8);
  for (let i = full * 8; i < points; i++) if (bitmap[i >>> 3]! & (0x80 >>> (i & 7))) n++;
  return n;
}

/**
 * out[points - present, points) holds the packed values; afterwards out[i] is the next packed
 * value where bit i is set and NaN where it is clear. Reading never falls behind writing: the
 * read index exceeds the write index by the number of absent points still ahead.
 */
export function expandBitmap(out: Float64Array, bitmap: Uint8Array, points: number, present: number): void {
  let k = points - present;
  let i = 0;
  const full = points >>> 3;
  let b = 0;
  while (b < full) {
    const m = bitmap[b]!;
    if (m === 0xff || m === 0) {
      let e = b + 1;
      while (e < full && bitmap[e] === m) e++;
      const len = (e - b) * 8;
      if (m === 0) out.fill(NaN, i, i + len);
      else {
        if (k !== i) out.copyWithin(i, k, k + len);
        k += len;
      }
      i += len;
      b = e;
      continue;
    }
    for (let bit = 0x80; bit !== 0; bit >>>= 1, i++) out[i] = m & bit ? out[k++]! : NaN;
    b++;
  }
  for (; i < points; i++) out[i] = bitmap[i >>> 3]! & (0x80 >>> (i & 7)) ? out[k++]! : NaN;
}
