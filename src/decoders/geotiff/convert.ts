/**
 * Raw samples to band values in one pass: a block's part of a window is copied into the band's
 * output array while the GDAL scale/offset is applied and nodata becomes NaN (NaN marks a missing
 * value in every output array; validity bitmaps are derived from it per batch). A row of a
 * single-sample block with nothing to convert is one TypedArray.set.
 */
import { emptyBitmap, setBit } from '../validity.js';
import { sampleArray, type SampleArray } from './block-reader.js';

/** One band's output over a window, with what turns raw samples into values. */
export interface BandOutput {
  /** Float values (NaN where missing), or the raw samples themselves (see nativeValues). */
  values: SampleArray;
  /** Window width: the output's row pitch. */
  width: number;
  scale: number;
  offset: number;
  /** Raw value that means missing, or null (a NaN nodata is null too: NaN stays NaN anyway). */
  nodata: number | null;
}

/** The part of a block that lands in a window. */
export interface BlockPart {
  /** Block rows [r0, r1) and columns [c0, c1), relative to the block. */
  r0: number;
  r1: number;
  c0: number;
  c1: number;
  /** Block row pitch in pixels (the block width). */
  pitch: number;
  /** Samples per pixel in the block, and which of them is the band. */
  stride: number;
  sample: number;
  /** Where (r0, c0) goes in the output window. */
  outRow: number;
  outCol: number;
}

/** Samples a block must hold for `p` to be copied (geotiff.js fails on short blocks the same way). */
export function samplesNeeded(p: BlockPart): number {
  return ((p.r1 - 1) * p.pitch + p.c1 - 1) * p.stride + p.sample + 1;
}

export function copyBlock(src: SampleArray, p: BlockPart, o: BandOutput): void {
  const out = o.values;
  const cols = p.c1 - p.c0;
  const identity = o.scale === 1 && o.offset === 0;
  const nd = o.nodata;
  const { stride, pitch } = p;
  if (stride === 1 && identity && nd === null && src.constructor === out.constructor && (src instanceof Float32Array || src instanceof Float64Array)) {
    copyBits(src, p, o);
    return;
  }
  for (let r = p.r0, k = p.outRow * o.width + p.outCol; r < p.r1; r++, k += o.width) {
    const j0 = (r * pitch + p.c0) * stride + p.sample;
    const end = k + cols;
    if (identity) {
      if (nd === null) for (let i = k, j = j0; i < end; i++, j += stride) out[i] = src[j]!;
      else {
        for (let i = k, j = j0; i < end; i++, j += stride) {
          const v = src[j]!;
          out[i] = v === nd ? NaN : v;
        }
      }
    } else {
      const { scale, offset } = o;
      for (let i = k, j = j0; i < end; i++, j += stride) {
        const v = src[j]!;
        out[i] = v === nd ? NaN : v * scale + offset;
      }
    }
  }
}

/**
 * Predictor 2 undone while converting: rows of single-sample integer blocks are accumulated from
 * their first column (modulo 2^32, then cut to the sample's width and sign), and the window's
 * columns are converted into the output as they go by. `src` holds the differences as unsigned
 * samples of the block's width, in host byte order.
 */
export function copyHorizontal(src: Uint8Array | Uint16Array | Uint32Array, signed: boolean, p: BlockPart, o: BandOutput): void {
  const shift = 32 - src.BYTES_PER_ELEMENT * 8;
  for (let r = p.r0, k = p.outRow * o.width + p.outCol; r < p.r1; r++, k += o.width) {
    const base = r * p.pitch;
    let acc = 0;
    for (let j = base, end = base + p.c0; j < end; j++) acc = (acc + src[j]!) | 0;
    if (o.nodata === null && o.scale === 1 && o.offset === 0) {
      // An integer output of the sample's width cuts the sum to its width and sign itself.
      if (o.values.BYTES_PER_ELEMENT === src.BYTES_PER_ELEMENT && !(o.values instanceof Float32Array)) accumulateRaw(src, base + p.c0, base + p.c1, acc, o.values, k);
      else if (signed) accumulateSigned(src, base + p.c0, base + p.c1, acc, shift, o.values, k);
      else accumulateUnsigned(src, base + p.c0, base + p.c1, acc, shift, o.values, k);
    } else accumulateConverted(src, base + p.c0, base + p.c1, acc, shift, signed, o, k);
  }
}

function accumulateRaw(src: Uint8Array | Uint16Array | Uint32Array, from: number, to: number, acc: number, out: SampleArray, k: number): void {
  for (let j = from; j < to; j++) out[k++] = acc = (acc + src[j]!) | 0;
}

function accumulateSigned(src: Uint8Array | Uint16Array | Uint32Array, from: number, to: number, acc: number, shift: number, out: SampleArray, k: number): void {
  for (let j = from; j < to; j++) {
    acc = (acc + src[j]!) | 0;
    out[k++] = (acc << shift) >> shift;
  }
}

function accumulateUnsigned(src: Uint8Array | Uint16Array | Uint32Array, from: number, to: number, acc: number, shift: number, out: SampleArray, k: number): void {
  for (let j = from; j < to; j++) {
    acc = (acc + src[j]!) | 0;
    out[k++] = (acc << shift) >>> shift;
  }
}

function accumulateConverted(src: Uint8Array | Uint16Array | Uint32Array, from: number, to: number, acc: number, shift: number, signed: boolean, o: BandOutput, k: number): void {
  const { values: out, scale, offset, nodata: nd } = o;
  for (let j = from; j < to; j++) {
    acc = (acc + src[j]!) | 0;
    const v = signed ? (acc << shift) >> shift : (acc << shift) >>> shift;
    out[k++] = v === nd ? NaN : v * scale + offset;
  }
}

/**
 * Rows of float samples that need no conversion: one TypedArray.set per row (a memmove between
 * arrays of the same type, so bit-exact: NaN payloads kept, as GDAL keeps them); about 4x a
 * word-by-word copy loop for 256-sample rows.
 */
function copyBits(src: Float32Array | Float64Array, p: BlockPart, o: BandOutput): void {
  const out = o.values as Float32Array | Float64Array;
  const n = p.c1 - p.c0;
  for (let r = p.r0, k = p.outRow * o.width + p.outCol; r < p.r1; r++, k += o.width) {
    const j = r * p.pitch + p.c0;
    out.set(src.subarray(j, j + n), k);
  }
}

/**
 * A band's output array. Its memory is not zeroed (allocUnsafeSlow: not pooled, so the buffer
 * can be transferred): every pixel of a window is written exactly once by the readers, and a
 * read that fails discards the array.
 */
export function bandValues(type: 'float32' | 'float64', n: number): Float32Array | Float64Array {
  const bytes = type === 'float64' ? 8 : 4;
  const { buffer } = Buffer.allocUnsafeSlow(n * bytes);
  return type === 'float64' ? new Float64Array(buffer, 0, n) : new Float32Array(buffer, 0, n);
}

/**
 * An output of the samples' own type (TIFF SampleFormat `format`, `bytes` per sample), for
 * decodeAll on unscaled integer bands: the values GDAL returns, at their own size (an int16
 * raster is not widened to float32), with missing values marked by `validityOf` instead of NaN.
 */
export function nativeValues(format: number, bytes: number, n: number): SampleArray {
  const { buffer } = Buffer.allocUnsafeSlow(n * bytes);
  return sampleArray(new Uint8Array(buffer, 0, n * bytes), format, bytes);
}

/** Validity (bit set = valid) of raw integer samples where `nodata` marks missing ones; undefined when none is. */
export function validityOf(values: SampleArray, nodata: number | null): Uint8Array | undefined {
  if (nodata === null || values instanceof Float32Array || values instanceof Float64Array) return undefined;
  let i = 0;
  const n = values.length;
  while (i < n && values[i] !== nodata) i++;
  if (i === n) return undefined;
  const bitmap = emptyBitmap(n);
  for (let k = 0; k < n; k++) if (values[k] !== nodata) setBit(bitmap, k);
  return bitmap;
}
