/**
 * Simple packing (GRIB2 5.0, GRIB1 grid_simple) and the scaling every integer packing ends with:
 * value = (X·2^E + R)·10^-D, in double precision and in the reference decoder's order of
 * operations, so results are bit-identical to ecCodes. Reading and scaling are one pass straight
 * into the output; the widths producers use most (8, 12, 16, 24, 32 bits on octet boundaries)
 * have their own loops, other widths loops generated for the width (width-kernels.ts), and
 * unaligned starts and tails read 32-bit windows (two values each up to 12 bits).
 */

import { unpackBlocks } from './width-kernels.js';

/** Scaling constants of a field: value = (X·bscale + r)·dscale. */
export interface Scale {
  r: number;
  bscale: number;
  dscale: number;
}

/** 10^-D and 2^E computed by repeated multiplication/division, as the reference decoder does. */
function power(exp: number, base: number): number {
  let v = 1;
  for (let s = exp; s < 0; s++) v /= base;
  for (let s = exp; s > 0; s--) v *= base;
  return v;
}

export function scaleOf(r: number, e: number, d: number): Scale {
  return { r, bscale: power(e, 2), dscale: power(-d, 10) };
}

/**
 * Whether (X·bscale + r)·dscale can be NaN for some integer X of up to 2^128 in magnitude (far
 * beyond what any packing produces, even from corrupt data): only with a NaN or infinite
 * reference value, or scale factors so extreme that 0·∞ or ∞-∞ appears. When not, the missing
 * values of a field are known without scanning its output for NaN.
 */
export function scaleCanGiveNaN(s: Scale): boolean {
  return !(Number.isFinite(s.r) && Number.isFinite(s.dscale) && s.dscale !== 0 && Number.isFinite(2 ** 128 * Math.abs(s.bscale) + Math.abs(s.r)));
}

/** Number of NaN in out[at..at+n) (after a scaling that can give them). */
export function countNaN(out: Float64Array, at: number, n: number): number {
  let m = 0;
  for (let i = at, end = at + n; i < end; i++) if (out[i] !== out[i]) m++;
  return m;
}

/** Scales the integers x[xAt..xAt+n) into out[at..at+n) (x may be out itself). */
export function scaleInto(x: Float64Array, xAt: number, out: Float64Array, at: number, n: number, s: Scale): void {
  const { r, bscale, dscale } = s;
  for (let i = 0; i < n; i++) out[at + i] = (x[xAt + i]! * bscale + r) * dscale;
}

/** n values of `bits` bits from bit `pos` of `buf`, scaled, into out[at..at+n). */
export function unpackScaled(buf: Uint8Array, pos: number, bits: number, n: number, s: Scale, out: Float64Array, at: number): void {
  const { r, bscale, dscale } = s;
  const end = at + n;
  if (bits === 0) {
    out.fill((0 * bscale + r) * dscale, at, end);
    return;
  }
  if ((pos & 7) === 0) {
    const p = pos >>> 3;
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    switch (bits) {
      case 8:
        for (let i = at, q = p; i < end; i++) out[i] = (buf[q++]! * bscale + r) * dscale;
        return;
      case 12:
        return unpack12(dv, p, n, s, out, at);
      case 16:
        return unpack16(dv, p, n, s, out, at);
      case 24:
        return unpack24(dv, p, n, s, out, at);
      case 32:
        for (let i = at, q = p; i < end; i++, q += 4) out[i] = (dv.getUint32(q, false) * bscale + r) * dscale;
        return;
    }
    // Any other width: blocks of 8 values by a loop generated for the width, then the tail.
    const done = unpackBlocks(dv, p, bits, n, s, out, at);
    pos += done * bits;
    at += done;
  }
  const shift = 32 - bits;
  let i = at;
  if (bits <= 12) {
    // Two values from each 32-bit window (it holds at least 25 valid bits).
    for (; i + 1 < end; i += 2, pos += 2 * bits) {
      const q = pos >>> 3;
      const w = ((buf[q]! << 24) | (buf[q + 1]! << 16) | (buf[q + 2]! << 8) | buf[q + 3]!) << (pos & 7);
      out[i] = ((w >>> shift) * bscale + r) * dscale;
      out[i + 1] = (((w << bits) >>> shift) * bscale + r) * dscale;
    }
  }
  if (bits <= 25) {
    for (; i < end; i++, pos += bits) {
      const q = pos >>> 3;
      const w = (buf[q]! << 24) | (buf[q + 1]! << 16) | (buf[q + 2]! << 8) | buf[q + 3]!;
      out[i] = (((w << (pos & 7)) >>> shift) * bscale + r) * dscale;
    }
    return;
  }
  for (; i < end; i++, pos += bits) {
    const q = pos >>> 3;
    const t = pos & 7;
    const w = (buf[q]! << 24) | (buf[q + 1]! << 16) | (buf[q + 2]! << 8) | buf[q + 3]!;
    out[i] = ((((w << t) | (buf[q + 4]! >>> (8 - t))) >>> shift) * bscale + r) * dscale;
  }
}

// Word-wise loops: three 32-bit loads give 8 values of 12 bits, 4 of 24; one gives 2 of 16.
// They measured 1.5-2x faster than assembling each value from bytes.

function unpack12(dv: DataView, p: number, n: number, s: Scale, out: Float64Array, at: number): void {
  const { r, bscale, dscale } = s;
  const end = at + n;
  let i = at;
  for (; i + 8 <= end; i += 8, p += 12) {
    const w0 = dv.getUint32(p, false);
    const w1 = dv.getUint32(p + 4, false);
    const w2 = dv.getUint32(p + 8, false);
    out[i] = ((w0 >>> 20) * bscale + r) * dscale;
    out[i + 1] = (((w0 >>> 8) & 0xfff) * bscale + r) * dscale;
    out[i + 2] = ((((w0 & 0xff) << 4) | (w1 >>> 28)) * bscale + r) * dscale;
    out[i + 3] = (((w1 >>> 16) & 0xfff) * bscale + r) * dscale;
    out[i + 4] = (((w1 >>> 4) & 0xfff) * bscale + r) * dscale;
    out[i + 5] = ((((w1 & 0xf) << 8) | (w2 >>> 24)) * bscale + r) * dscale;
    out[i + 6] = (((w2 >>> 12) & 0xfff) * bscale + r) * dscale;
    out[i + 7] = ((w2 & 0xfff) * bscale + r) * dscale;
  }
  for (let k = 0; i < end; i++, k++) {
    const w = dv.getUint16(p + ((k * 12) >>> 3), false);
    out[i] = (((k & 1 ? w : w >>> 4) & 0xfff) * bscale + r) * dscale;
  }
}

function unpack16(dv: DataView, p: number, n: number, s: Scale, out: Float64Array, at: number): void {
  const { r, bscale, dscale } = s;
  const end = at + n;
  let i = at;
  for (; i + 2 <= end; i += 2, p += 4) {
    const w = dv.getUint32(p, false);
    out[i] = ((w >>> 16) * bscale + r) * dscale;
    out[i + 1] = ((w & 0xffff) * bscale + r) * dscale;
  }
  if (i < end) out[i] = (dv.getUint16(p, false) * bscale + r) * dscale;
}

function unpack24(dv: DataView, p: number, n: number, s: Scale, out: Float64Array, at: number): void {
  const { r, bscale, dscale } = s;
  const end = at + n;
  let i = at;
  for (; i + 4 <= end; i += 4, p += 12) {
    const w0 = dv.getUint32(p, false);
    const w1 = dv.getUint32(p + 4, false);
    const w2 = dv.getUint32(p + 8, false);
    out[i] = ((w0 >>> 8) * bscale + r) * dscale;
    out[i + 1] = ((((w0 & 0xff) << 16) | (w1 >>> 16)) * bscale + r) * dscale;
    out[i + 2] = ((((w1 & 0xffff) << 8) | (w2 >>> 24)) * bscale + r) * dscale;
    out[i + 3] = ((w2 & 0xffffff) * bscale + r) * dscale;
  }
  for (; i < end; i++, p += 3) out[i] = ((dv.getUint32(p, false) >>> 8) * bscale + r) * dscale;
}
