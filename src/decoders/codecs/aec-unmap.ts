/**
 * The inverse of the CCSDS 121.0-B preprocessor, one reference sample interval at a time: the
 * first code of an RSI is its reference sample, every other code a mapped residual δ of the
 * prediction from the previous sample x' (unit-delay predictor). With θ = min(x', xmax - x'),
 * δ ≤ 2θ codes x' + δ/2 (δ even) or x' - (δ+1)/2 (δ odd), a larger δ the distance from the
 * nearer edge. The common case needs no data-dependent branch: for odd δ, -(δ+1)/2 is the
 * bitwise complement of ⌊δ/2⌋.
 */

/** Scaling applied to decoded samples: value = (sample·bscale + r)·dscale (GRIB's). */
export interface SampleScale {
  r: number;
  bscale: number;
  dscale: number;
}

/** Unsigned samples of one RSI, scaled, into out[at..at+len). */
export function unmapScaled(codes: Uint32Array, len: number, n: number, s: SampleScale, out: Float64Array, at: number): void {
  const { r, bscale, dscale } = s;
  if (len === 0) return;
  if (n > 30) {
    const xmax = 2 ** n - 1;
    const med = 2 ** (n - 1);
    let last = codes[0]!;
    out[at] = (last * bscale + r) * dscale;
    for (let i = 1; i < len; i++) {
      const d = codes[i]!;
      const h = d >>> 1;
      const odd = d & 1;
      const x = h + odd <= Math.min(last, xmax - last) ? last + (h ^ -odd) : last >= med ? xmax - d : d;
      out[at + i] = (x * bscale + r) * dscale;
      last = x;
    }
    return;
  }
  // Up to 30 bits every quantity fits in an int32, so the loop-carried chain stays in integer
  // registers (codes beyond xmax only come from corrupt streams, which give garbage, not errors).
  const xmax = (1 << n) - 1;
  const med = 1 << (n - 1);
  let last = codes[0]! | 0;
  out[at] = (last * bscale + r) * dscale;
  for (let i = 1; i < len; i++) {
    const d = codes[i]! | 0;
    const h = d >>> 1;
    const odd = d & 1;
    const rest = xmax - last;
    const theta = last < rest ? last : rest;
    const x = h + odd <= theta ? (last + (h ^ -odd)) | 0 : last >= med ? (xmax - d) | 0 : d;
    out[at + i] = (x * bscale + r) * dscale;
    last = x;
  }
}

/** The samples of one RSI in place: unsigned, or signed as n-bit two's-complement patterns. */
export function unmapInPlace(codes: Uint32Array, len: number, n: number, signed: boolean): void {
  if (len === 0) return;
  const full = 2 ** n;
  const med = 2 ** (n - 1);
  if (!signed) {
    const xmax = full - 1;
    let last = codes[0]!;
    for (let i = 1; i < len; i++) {
      const d = codes[i]!;
      const h = d >>> 1;
      const odd = d & 1;
      const x = h + odd <= Math.min(last, xmax - last) ? last + (h ^ -odd) : last >= med ? xmax - d : d;
      codes[i] = x;
      last = x;
    }
    return;
  }
  // Signed samples are predicted in offset-binary form (sign bit flipped), the same mapping as
  // unsigned data, then flipped back to two's complement; out-of-range reconstructions (only
  // from out-of-range encoder input) wrap to n bits.
  const r = codes[0]!;
  let last = r >= med ? r - full : r;
  for (let i = 1; i < len; i++) {
    const d = codes[i]!;
    const u = last + med;
    const upper = u >= med;
    const theta = upper ? full - 1 - u : u;
    const xu = Math.floor(d / 2) + (d & 1) <= theta ? u + (d & 1 ? -(d + 1) / 2 : d / 2) : upper ? full - 1 - d : d;
    const x = xu - med;
    last = x;
    codes[i] = ((x % full) + full) % full;
  }
}
