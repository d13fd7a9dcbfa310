/**
 * The loops of CF mask-and-scale (cf/packing.ts decides which one runs). Each loop writes the
 * decoded values with NaN where masked and returns the null count; given a bitmap, it also
 * writes the Arrow validity bits (LSB-first, bit set = valid, see validity.ts) in the same pass,
 * one byte per eight values. decodeAll wants no bitmap (NaN marks missing), reads want one.
 *
 * Why several loops instead of one generic one (each measured on 1 M values):
 * - an element load in V8 stays fast while it sees at most four typed-array types; one loop fed
 *   every netCDF type went megamorphic and ran about 7x slower. So each loop serves a family of
 *   at most four types: narrow integers (int8/uint8/int16/uint16, almost all packed data) go
 *   through a lookup table of decoded values indexed by the raw value (masking and scaling cost
 *   one load); float data without packing are masked in place (no new array); wide types
 *   (int32/uint32/float32/float64) are scaled arithmetically;
 * - the common float rule "NaN or _FillValue" is 1.4x faster than the general one (valid range
 *   and two missing values), so it has its own loop;
 * - bits are gathered in a shift register over a fixed run of eight, which V8 compiles about as
 *   fast as a loop without bits; a per-value bit index (i >> 3, i & 7) cost 2x;
 * - when only values are wanted, float data whose rule is "NaN or _FillValue" need no loop at
 *   all: NaN is already NaN, and the fill value's bytes are found with Buffer.indexOf (native
 *   search), about 6x faster than comparing each value in JavaScript.
 */

import { setBit } from '../validity.js';

/** The masking rule of one variable: valid when lo <= r <= hi and r is neither missing value (NaN fails all). */
export interface MaskRule {
  lo: number;
  hi: number;
  /** Up to two missing values; NaN when absent (NaN equals nothing). */
  m0: number;
  m1: number;
}

/** How wide values are turned into decoded ones. */
export type Arith = { kind: 'copy' } | { kind: 'f64'; scale: number; offset: number } | { kind: 'f32'; scale: number; offset: number };

export type NarrowInts = Int8Array | Uint8Array | Int16Array | Uint16Array;
export type WideNumbers = Int32Array | Uint32Array | Float32Array | Float64Array;

/** True when the rule is "NaN or the one missing value m0" (no valid range, no second missing value). */
function fillOnly(m: MaskRule): boolean {
  return m.lo === -Infinity && m.hi === Infinity && m.m1 !== m.m1;
}

/** out[i] = table[src[i] + bias]; NaN entries of the table are masked values. */
export function unpackByTable(src: NarrowInts, bias: number, table: Float32Array | Float64Array, out: Float32Array | Float64Array, bits?: Uint8Array): number {
  const n = src.length;
  let nulls = 0;
  let i = 0;
  if (bits) {
    for (const full = n & ~7; i < full; i += 8) {
      let b = 0;
      for (let k = 7; k >= 0; k--) {
        const d = table[src[i + k]! + bias]!;
        out[i + k] = d;
        b <<= 1;
        if (d === d) b |= 1;
        else nulls++;
      }
      bits[i >> 3] = b;
    }
  }
  for (; i < n; i++) {
    const d = table[src[i]! + bias]!;
    out[i] = d;
    if (d === d) {
      if (bits) setBit(bits, i);
    } else nulls++;
  }
  return nulls;
}

/**
 * Masks float data in place when only values are wanted: every value whose bytes equal the one
 * missing value becomes NaN (NaN stays NaN). Returns false, doing nothing, when the rule is not
 * "NaN or one missing value" or equality is not byte equality (a zero missing value also
 * matches -0), so the caller runs maskFloatsInPlace instead.
 */
export function maskFillBySearch(v: Float32Array | Float64Array, m: MaskRule): boolean {
  if (!fillOnly(m) || m.m0 === 0) return false;
  const size = v.BYTES_PER_ELEMENT;
  const needle = new Uint8Array(size);
  (size === 4 ? new Float32Array(needle.buffer) : new Float64Array(needle.buffer))[0] = m.m0;
  // A float32 value never equals a missing value that float32 cannot represent.
  if (size === 4 && Math.fround(m.m0) !== m.m0) return true;
  if (m.m0 !== m.m0) return true;
  const bytes = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) {
    if (at % size === 0) v[at / size] = NaN;
  }
  return true;
}

/** Masks float data in place: masked values become NaN. */
export function maskFloatsInPlace(v: Float32Array | Float64Array, m: MaskRule, bits?: Uint8Array): number {
  const n = v.length;
  const { lo, hi, m0, m1 } = m;
  const simple = fillOnly(m);
  let nulls = 0;
  let i = 0;
  if (bits && simple) {
    for (const full = n & ~7; i < full; i += 8) {
      let b = 0;
      for (let k = 7; k >= 0; k--) {
        const r = v[i + k]!;
        b <<= 1;
        if (r === r && r !== m0) b |= 1;
        else (v[i + k] = NaN), nulls++;
      }
      bits[i >> 3] = b;
    }
  } else if (bits) {
    for (const full = n & ~7; i < full; i += 8) {
      let b = 0;
      for (let k = 7; k >= 0; k--) {
        const r = v[i + k]!;
        b <<= 1;
        if (r >= lo && r <= hi && r !== m0 && r !== m1) b |= 1;
        else (v[i + k] = NaN), nulls++;
      }
      bits[i >> 3] = b;
    }
  } else if (simple) {
    for (; i < n; i++) {
      const r = v[i]!;
      if (r !== r || r === m0) (v[i] = NaN), nulls++;
    }
  }
  for (; i < n; i++) {
    const r = v[i]!;
    if (r >= lo && r <= hi && r !== m0 && r !== m1) {
      if (bits) setBit(bits, i);
    } else (v[i] = NaN), nulls++;
  }
  return nulls;
}

/**
 * Masks and scales wide values into `out` (NaN where masked). float32 packing rounds like numpy's
 * float32 arithmetic (each step to float32: the products and sums of two float32 values are
 * exact or correctly rounded in doubles, so rounding once more to float32 gives numpy's result);
 * float64 packing is raw * scale + offset in doubles. Validity, when wanted, is built afterwards
 * from the NaNs (wide packed types are rare).
 */
export function unpackWide(src: WideNumbers, m: MaskRule, a: Arith, out: Float32Array | Float64Array): number {
  const n = src.length;
  const { lo, hi, m0, m1 } = m;
  let nulls = 0;
  if (a.kind === 'copy') {
    for (let i = 0; i < n; i++) {
      const r = src[i]!;
      if (r >= lo && r <= hi && r !== m0 && r !== m1) out[i] = r;
      else (out[i] = NaN), nulls++;
    }
  } else if (a.kind === 'f64') {
    const { scale, offset } = a;
    for (let i = 0; i < n; i++) {
      const r = src[i]!;
      if (r >= lo && r <= hi && r !== m0 && r !== m1) out[i] = r * scale + offset;
      else (out[i] = NaN), nulls++;
    }
  } else {
    const s = Math.fround(a.scale);
    const o = Math.fround(a.offset);
    for (let i = 0; i < n; i++) {
      const r = src[i]!;
      if (r >= lo && r <= hi && r !== m0 && r !== m1) out[i] = Math.fround(Math.fround(r) * s) + o;
      else (out[i] = NaN), nulls++;
    }
  }
  return nulls;
}
