/**
 * PNG payloads (GRIB2 template 5.41): grey images of 1-16 bits per sample, or 24/32-bit values
 * stored as RGB(A) bytes and recombined big-endian. The layouts GRIB encoders write (grey,
 * RGB and RGBA, not interlaced) are decoded here: the IDAT stream inflated by node:zlib (native),
 * each row's filter undone in place and its samples scaled straight into the output. Anything
 * else (palettes, grey+alpha, Adam7 interlacing) goes through fast-png.
 */
import { inflateSync } from 'node:zlib';
import { inflateBound, inflateInto } from './inflate.js';
import { decode } from 'fast-png';

/** Scaling applied to samples: value = (sample·bscale + r)·dscale (GRIB's). */
export interface SampleScale {
  r: number;
  bscale: number;
  dscale: number;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

interface Header {
  width: number;
  height: number;
  depth: number;
  colour: number;
  interlace: number;
  idat: Uint8Array[];
}

function chunks(bytes: Uint8Array): Header {
  for (let i = 0; i < 8; i++) if (bytes[i] !== SIGNATURE[i]) throw new RangeError('not a PNG image (bad signature)');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0;
  let height = 0;
  let depth = 0;
  let colour = 0;
  let interlace = 0;
  const idat: Uint8Array[] = [];
  let p = 8;
  while (p + 8 <= bytes.length) {
    const len = dv.getUint32(p, false);
    const type = dv.getUint32(p + 4, false);
    const body = p + 8;
    if (body + len > bytes.length) throw new RangeError(`PNG chunk of ${len} bytes at byte ${p} runs past the end`);
    if (type === 0x49484452) {
      // IHDR
      if (len < 13) throw new RangeError('PNG header chunk too short');
      width = dv.getUint32(body, false);
      height = dv.getUint32(body + 4, false);
      depth = bytes[body + 8]!;
      colour = bytes[body + 9]!;
      interlace = bytes[body + 12]!;
    } else if (type === 0x49444154) idat.push(bytes.subarray(body, body + len));
    else if (type === 0x49454e44) break; // IEND
    p = body + len + 4; // CRC
  }
  if (!width || !height) throw new RangeError('PNG image without a header chunk');
  return { width, height, depth, colour, interlace, idat };
}

/** Where image data are inflated, reused from field to field (the rows are consumed at once). */
let rows = new Uint8Array(0);

/**
 * The inflated image data (filter byte + row, per row), at least `need` bytes. Streams holding more
 * than the rows need are decoded again without a bound, as before.
 */
function imageData(idat: Uint8Array, need: number): Uint8Array {
  let n = -1;
  // A header claiming more rows than the data can hold fails below without a buffer of that size.
  if (need <= inflateBound(idat.length)) {
    if (rows.length < need) rows = new Uint8Array(need);
    try {
      n = inflateInto(idat, rows.subarray(0, need));
    } catch {
      // Damaged, or more data than the rows need: inflateSync reports the former and accepts the latter.
    }
  }
  if (n === need) return rows;
  const raw = n >= 0 ? rows.subarray(0, n) : inflateSync(idat, { chunkSize: Math.max(64 * 1024, Math.min(need + 1, inflateBound(idat.length))) });
  if (raw.length < need) throw new RangeError(`PNG image data inflates to ${raw.length} bytes, the rows need ${need}`);
  return raw;
}

/** Samples per pixel of the colour types decoded here: grey, RGB, RGBA. */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 6: 4 };

/** Number of samples of the image (width × height), without decoding it. */
export function pngSampleCount(bytes: Uint8Array): number {
  const h = chunks(bytes);
  return h.width * h.height;
}

/** The image's values (grey level, or RGB(A) bytes as one big-endian integer), scaled, into out[at..). */
export function decodePngScaled(bytes: Uint8Array, s: SampleScale, out: Float64Array, at: number): void {
  const h = chunks(bytes);
  const channels = CHANNELS[h.colour];
  const direct = h.interlace === 0 && channels !== undefined && (channels === 1 ? [1, 2, 4, 8, 16].includes(h.depth) : h.depth === 8);
  if (!direct) return viaFastPng(bytes, s, out, at);
  const bitsPerPixel = h.depth * channels;
  const rowBytes = Math.ceil((h.width * bitsPerPixel) / 8);
  const bpp = Math.max(1, bitsPerPixel >>> 3); // filter distance in bytes
  const idat = h.idat.length === 1 ? h.idat[0]! : Buffer.concat(h.idat);
  const raw = imageData(idat, h.height * (rowBytes + 1));
  const { r, bscale, dscale } = s;
  const w = h.width;
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  for (let y = 0, o = at; y < h.height; y++, o += w) {
    const row = y * (rowBytes + 1) + 1;
    unfilter(raw, raw[row - 1]!, row, y === 0 ? -1 : row - rowBytes - 1, rowBytes, bpp);
    if (bitsPerPixel === 16) {
      let x = 0;
      for (let q = row; x + 1 < w; x += 2, q += 4) {
        const v = dv.getUint32(q, false);
        out[o + x] = ((v >>> 16) * bscale + r) * dscale;
        out[o + x + 1] = ((v & 0xffff) * bscale + r) * dscale;
      }
      if (x < w) out[o + x] = (dv.getUint16(row + 2 * x, false) * bscale + r) * dscale;
    }
    else if (bitsPerPixel === 8) for (let x = 0; x < w; x++) out[o + x] = (raw[row + x]! * bscale + r) * dscale;
    else if (bitsPerPixel === 24) for (let x = 0, q = row; x < w; x++, q += 3) out[o + x] = (((raw[q]! << 16) | (raw[q + 1]! << 8) | raw[q + 2]!) * bscale + r) * dscale;
    else if (bitsPerPixel === 32) for (let x = 0, q = row; x < w; x++, q += 4) out[o + x] = ((((raw[q]! << 24) | (raw[q + 1]! << 16) | (raw[q + 2]! << 8) | raw[q + 3]!) >>> 0) * bscale + r) * dscale;
    else {
      // 1, 2 or 4 bits per sample, most significant first.
      const d = bitsPerPixel;
      const mask = (1 << d) - 1;
      for (let x = 0; x < w; x++) {
        const bit = x * d;
        out[o + x] = (((raw[row + (bit >>> 3)]! >>> (8 - d - (bit & 7))) & mask) * bscale + r) * dscale;
      }
    }
  }
}

/**
 * Undoes the filter of one row in place (PNG filter types 0-4). `prev` is the start of the
 * previous row's (already unfiltered) bytes, or -1 for the first row, whose "previous" is 0s.
 */
function unfilter(b: Uint8Array, type: number, row: number, prev: number, n: number, bpp: number): void {
  if (type === 0) return;
  if (type === 2) {
    if (prev >= 0) for (let i = 0; i < n; i++) b[row + i] = b[row + i]! + b[prev + i]!;
    return;
  }
  if (type > 4) throw new RangeError(`PNG row filter type ${type} is not 0-4`);
  // Sub, average and Paeth chain each byte to the one bpp before it: one pass per byte of the
  // pixel, carrying the left neighbour in a register instead of reloading what was just stored.
  for (let c = 0; c < bpp; c++) {
    let left = 0;
    let upLeft = 0;
    if (type === 1 || (type === 4 && prev < 0)) {
      for (let i = c; i < n; i += bpp) b[row + i] = left = (b[row + i]! + left) & 0xff;
    } else if (type === 3) {
      if (prev < 0) for (let i = c; i < n; i += bpp) b[row + i] = left = (b[row + i]! + (left >>> 1)) & 0xff;
      else for (let i = c; i < n; i += bpp) b[row + i] = left = (b[row + i]! + ((left + b[prev + i]!) >>> 1)) & 0xff;
    } else {
      for (let i = c; i < n; i += bpp) {
        const up = b[prev + i]!;
        const pa = Math.abs(up - upLeft);
        const pb = Math.abs(left - upLeft);
        const pc = Math.abs(left + up - 2 * upLeft);
        b[row + i] = left = (b[row + i]! + (pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft)) & 0xff;
        upLeft = up;
      }
    }
  }
}

function viaFastPng(bytes: Uint8Array, s: SampleScale, out: Float64Array, at: number): void {
  const img = decode(bytes);
  const n = img.width * img.height;
  const ch = img.channels;
  const data = img.data as Uint8Array | Uint16Array;
  const base = img.depth === 16 ? 65536 : 256;
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (let c = 0; c < ch; c++) v = v * base + data[i * ch + c]!;
    out[at + i] = (v * s.bscale + s.r) * s.dscale;
  }
}
