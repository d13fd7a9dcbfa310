/**
 * IEEE packing (GRIB2 5.4): big-endian float32 or float64 values, widened into the output in
 * one pass. DataView reads compile to a load and a byte swap, and measured as fast as swapping
 * 32-bit words in place and widening with TypedArray.set (and simpler).
 */

/** n values from `data` into out[at..at+n). NaN is not counted: a reader scans for it if it must. */
export function unpackIeee(data: Uint8Array, n: number, precision: 32 | 64, out: Float64Array, at: number): void {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (precision === 32) for (let i = 0, p = 0; i < n; i++, p += 4) out[at + i] = dv.getFloat32(p, false);
  else for (let i = 0, p = 0; i < n; i++, p += 8) out[at + i] = dv.getFloat64(p, false);
}
