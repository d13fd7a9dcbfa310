/**
 * Complex packing with spatial differencing (GRIB2 5.3) without missing values, on data sections
 * written here bit by bit: group widths 0-32 (the word-wise paths up to 25 bits and the 5-byte
 * path above), groups of length 1 (so the skipped first values span groups), orders 1 and 2,
 * negative first values and minimum; against a plain decoder written from the template's
 * definition (values unpacked, then y_i = x_i + minsd + y_{i-1} or + 2·y_{i-1} - y_{i-2}, then scaled).
 */
import { describe, expect, it } from 'vitest';
import { unpackComplex } from '../../../src/decoders/grib/complex.js';
import type { Packing } from '../../../src/decoders/grib/model.js';
import { padded } from '../../../src/decoders/grib/packed.js';
import { scaleOf } from '../../../src/decoders/grib/simple.js';

type Complex = Extract<Packing, { kind: 'complex' }>;

class BitWriter {
  bytes: number[] = [];
  private bit = 0;
  put(v: number, bits: number): void {
    for (let k = bits - 1; k >= 0; k--) {
      if ((this.bit & 7) === 0) this.bytes.push(0);
      if (Math.floor(v / 2 ** k) % 2) this.bytes[this.bytes.length - 1]! |= 0x80 >>> (this.bit & 7);
      this.bit++;
    }
  }
  align(): void {
    this.bit = (this.bit + 7) & ~7;
  }
}

function rng(seed: number): () => number {
  let x = seed;
  return () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

const signMag = (v: number, bits: number) => (v < 0 ? 2 ** (bits - 1) - v : v);

function field(order: 1 | 2, seed: number) {
  const rand = rng(seed);
  const ng = 60;
  const lengths = Array.from({ length: ng }, (_, g) => (g < 3 ? 1 : 1 + Math.floor(rand() * 9)));
  const widths = Array.from({ length: ng }, (_, g) => (g % 11 === 5 ? 0 : g % 7 === 3 ? 26 + (g % 7) : Math.floor(rand() * 33)));
  const bits = 12;
  const refs = Array.from({ length: ng }, () => Math.floor(rand() * 4096));
  const xs: number[] = [];
  for (let g = 0; g < ng; g++) for (let k = 0; k < lengths[g]!; k++) xs.push(Math.floor(rand() * 2 ** widths[g]!));
  const ival1 = -1234;
  const ival2 = 567;
  const minsd = -3000;
  const w = new BitWriter();
  w.put(signMag(ival1, 16), 16);
  if (order === 2) w.put(signMag(ival2, 16), 16);
  w.put(signMag(minsd, 16), 16);
  for (const r of refs) w.put(r, bits);
  w.align();
  for (const x of widths) w.put(x, 6);
  w.align();
  for (let g = 0; g < ng - 1; g++) w.put(lengths[g]! - 1, 8);
  w.put(0, 8);
  w.align();
  let i = 0;
  for (let g = 0; g < ng; g++) for (let k = 0; k < lengths[g]!; k++) w.put(xs[i++]!, widths[g]!);
  const n = xs.length;
  const p: Complex = {
    kind: 'complex',
    r: 273.5,
    e: -7,
    d: 1,
    bits,
    missingMgmt: 0,
    ng,
    refWidth: 0,
    bitsWidth: 6,
    refLength: 1,
    lengthIncrement: 1,
    lastLength: lengths[ng - 1]!,
    bitsLength: 8,
    order,
    extraOctets: 2,
  };
  // The template's definition, step by step.
  let j = 0;
  const packed: number[] = [];
  for (let g = 0; g < ng; g++) for (let k = 0; k < lengths[g]!; k++) packed.push(xs[j++]! + refs[g]!);
  const y: number[] = [];
  for (let k = 0; k < n; k++) {
    if (k === 0) y.push(ival1);
    else if (order === 2 && k === 1) y.push(ival2);
    else if (order === 1) y.push(packed[k]! + minsd + y[k - 1]!);
    else y.push(packed[k]! + minsd + 2 * y[k - 1]! - y[k - 2]!);
  }
  const s = scaleOf(p.r, p.e, p.d);
  return { p, data: Uint8Array.from(w.bytes), n, want: y.map((v) => (v * s.bscale + s.r) * s.dscale) };
}

describe('complex packing with spatial differencing', () => {
  for (const order of [1, 2] as const) {
    it(`order ${order}: every group width, values scaled as the definition gives them`, () => {
      for (const seed of [1, 2, 3]) {
        const { p, data, n, want } = field(order, seed);
        const out = new Float64Array(n + 2).fill(-9);
        expect(unpackComplex(p, padded(data), data.length, n, out, 1, null)).toBe(0);
        expect(out[0]).toBe(-9);
        expect(out[n + 1]).toBe(-9);
        expect(Array.from(out.subarray(1, n + 1))).toEqual(want);
      }
    });
  }
});
