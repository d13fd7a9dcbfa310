/**
 * The PNG decoder used for GRIB2 template 5.41 against fast-png (an independent decoder) on
 * images written here with every row filter (none, sub, up, average, Paeth, mixed per row), for
 * the layouts GRIB encoders write: grey 1, 2, 4, 8 and 16 bits, RGB and RGBA with 8-bit samples,
 * odd widths; and a grey+alpha image, which goes through the fallback. (fast-png itself returns
 * sub-byte samples packed, so the earlier fast-png-based decoder could not read 1-4 bit images.)
 */
import { deflateSync } from 'node:zlib';
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { decodePngScaled, pngSampleCount } from '../../../src/decoders/codecs/png.js';

function crc32(b: Uint8Array): number {
  let c = ~0;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, body.length);
  out.set(Buffer.from(type, 'latin1'), 4);
  out.set(body, 8);
  dv.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** A PNG of the given raw rows, each filtered with filters[y % filters.length], IDAT split in two. */
function png(width: number, height: number, depth: number, colour: number, rows: Uint8Array[], filters: number[]): Uint8Array {
  const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[colour]!;
  const bpp = Math.max(1, (depth * channels) >> 3);
  const rowBytes = rows[0]!.length;
  const raw = new Uint8Array(height * (rowBytes + 1));
  for (let y = 0; y < height; y++) {
    const f = filters[y % filters.length]!;
    const cur = rows[y]!;
    const prev = y ? rows[y - 1]! : new Uint8Array(rowBytes);
    raw[y * (rowBytes + 1)] = f;
    for (let i = 0; i < rowBytes; i++) {
      const a = i >= bpp ? cur[i - bpp]! : 0;
      const b = prev[i]!;
      const c = i >= bpp ? prev[i - bpp]! : 0;
      const pred = [0, a, b, (a + b) >> 1, paeth(a, b, c)][f]!;
      raw[y * (rowBytes + 1) + 1 + i] = (cur[i]! - pred) & 0xff;
    }
  }
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr.set([depth, colour, 0, 0, 0], 8);
  const z = deflateSync(raw);
  const half = z.length >> 1;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', z.subarray(0, half)), chunk('IDAT', z.subarray(half)), chunk('IEND', new Uint8Array(0))]);
}

function randomRows(height: number, rowBytes: number, seed: number): Uint8Array[] {
  let x = seed;
  return Array.from({ length: height }, (_, y) =>
    Uint8Array.from({ length: rowBytes }, (_, i) => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      // Smooth with noise, as fields are, so every predictor gets exercised.
      return (((i * 7 + y * 3) & 0xff) + (x >>> 29)) & 0xff;
    }),
  );
}

/**
 * Values by fast-png: grey level, or the samples of a pixel as one big-endian integer. Below 8
 * bits fast-png returns the rows packed (each starting on a byte); they are unpacked here.
 */
function reference(bytes: Uint8Array): number[] {
  const img = decode(bytes);
  const data = img.data as Uint8Array | Uint16Array;
  if (img.depth < 8) {
    const d = img.depth;
    const rowBytes = Math.ceil((img.width * d) / 8);
    return Array.from({ length: img.width * img.height }, (_, i) => {
      const y = Math.floor(i / img.width);
      const bit = (i % img.width) * d;
      return (data[y * rowBytes + (bit >> 3)]! >> (8 - d - (bit & 7))) & ((1 << d) - 1);
    });
  }
  const base = img.depth === 16 ? 65536 : 256;
  return Array.from({ length: img.width * img.height }, (_, i) => {
    let v = 0;
    for (let c = 0; c < img.channels; c++) v = v * base + data[i * img.channels + c]!;
    return v;
  });
}

const layouts: Array<[string, number, number]> = [
  ['grey 1-bit', 1, 0],
  ['grey 2-bit', 2, 0],
  ['grey 4-bit', 4, 0],
  ['grey 8-bit', 8, 0],
  ['grey 16-bit', 16, 0],
  ['RGB 24-bit', 8, 2],
  ['RGBA 32-bit', 8, 6],
  ['grey+alpha 16-bit (fallback)', 8, 4],
];
const filterSets = [[0], [1], [2], [3], [4], [0, 1, 2, 3, 4, 4, 3, 1]];

describe('PNG decoder', () => {
  for (const [name, depth, colour] of layouts) {
    it(name, () => {
      const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[colour]!;
      for (const width of [1, 7, 33]) {
        const height = 9;
        const rowBytes = Math.ceil((width * depth * channels) / 8);
        for (const filters of filterSets) {
          const bytes = png(width, height, depth, colour, randomRows(height, rowBytes, width * 31 + filters.length), filters);
          expect(pngSampleCount(bytes)).toBe(width * height);
          const scale = { r: 1.5, bscale: 0.25, dscale: 10 };
          const got = new Float64Array(width * height + 2).fill(-1);
          decodePngScaled(bytes, scale, got, 1);
          const want = [-1, ...reference(bytes).map((v) => (v * scale.bscale + scale.r) * scale.dscale), -1];
          expect(Array.from(got), `width ${width} filters ${filters}`).toEqual(want);
        }
      }
    });
  }
});
