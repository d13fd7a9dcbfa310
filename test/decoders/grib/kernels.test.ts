/**
 * The word-wise decode kernels against a bit-by-bit reading of the same bytes: every width from
 * 1 to 32 bits, counts that leave every possible tail after the unrolled loops, aligned and
 * unaligned starts; and the in-place bitmap expansion against a plain gather.
 */
import { describe, expect, it } from 'vitest';
import { countPresent, expandBitmap } from '../../../src/decoders/grib/bitmap.js';
import { padded, readBits, unpackInto } from '../../../src/decoders/grib/packed.js';
import { scaleOf, unpackScaled } from '../../../src/decoders/grib/simple.js';

function bitByBit(buf: Uint8Array, pos: number, bits: number): number {
  let v = 0;
  for (let k = 0; k < bits; k++, pos++) v = v * 2 + ((buf[pos >>> 3]! >>> (7 - (pos & 7))) & 1);
  return v;
}

function noise(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

describe('packed integer kernels', () => {
  const data = noise(700, 1);
  const s = scaleOf(-1.5, -3, 1);
  for (let bits = 1; bits <= 32; bits++) {
    it(`${bits} bits`, () => {
      for (const start of [0, 8, 3, 13]) {
        for (const n of [0, 1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 100]) {
          if (start + bits * n > (data.length - 8) * 8) continue;
          const want = Array.from({ length: n }, (_, i) => bitByBit(data, start + i * bits, bits));
          const buf = padded(data.subarray(0, Math.ceil((start + bits * n) / 8)));
          const ints = new Float64Array(n + 2).fill(-7);
          expect(unpackInto(buf, start, bits, n, 5, ints, 1)).toBe(start + bits * n);
          expect(Array.from(ints)).toEqual([-7, ...want.map((v) => v + 5), -7]);
          const scaled = new Float64Array(n + 2).fill(-7);
          unpackScaled(buf, start, bits, n, s, scaled, 1);
          expect(Array.from(scaled)).toEqual([-7, ...want.map((v) => (v * s.bscale + s.r) * s.dscale), -7]);
          if (n > 0) expect(readBits(buf, start + (n - 1) * bits, bits)).toBe(want[n - 1]);
        }
      }
    });
  }
});

describe('bitmap expansion', () => {
  const cases: Array<[string, (i: number) => boolean]> = [
    ['random', (i) => noise(1, i + 11)[0]! > 100],
    ['runs', (i) => Math.floor(i / 37) % 3 !== 0],
    ['all present', () => true],
    ['none present', () => false],
  ];
  for (const [name, present] of cases) {
    it(name, () => {
      for (const points of [0, 1, 7, 8, 9, 63, 64, 65, 1000, 4099]) {
        const bitmap = new Uint8Array(Math.ceil(points / 8) + 1);
        const mask = Array.from({ length: points }, (_, i) => present(i));
        mask.forEach((p, i) => p && (bitmap[i >> 3]! |= 0x80 >> (i & 7)));
        const n = countPresent(bitmap, points);
        expect(n).toBe(mask.filter(Boolean).length);
        const packed = Array.from({ length: n }, (_, k) => k * 1.5);
        const out = new Float64Array(points);
        out.set(packed, points - n);
        expandBitmap(out, bitmap, points, n);
        let k = 0;
        expect(Array.from(out)).toEqual(mask.map((p) => (p ? packed[k++]! : NaN)));
      }
    });
  }
});
