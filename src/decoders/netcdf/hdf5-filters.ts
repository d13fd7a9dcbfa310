/**
 * Undoing the HDF5 filter pipelines netCDF-4 writes by default (deflate, optionally after
 * shuffle) with node:zlib, which inflates about 2.8x faster than libhdf5's zlib compiled to
 * WebAssembly inside h5wasm (measured on 4 MB float32 chunks). Other filters (szip, fletcher32,
 * zstd, ...) stay with h5wasm: `supportedPipeline` says which pipelines are handled here.
 */
import { inflateBound, inflateExact, InflateError } from '../codecs/inflate.js';
import { Hdf5FormatError } from './hdf5-format.js';

export const FILTER_DEFLATE = 1;
export const FILTER_SHUFFLE = 2;

export interface Filter {
  id: number;
}

/** Where chunks are inflated, grown to the largest chunk seen (see undoFilters). */
let inflated = new Uint8Array(0);

/** True when the pipeline is deflate, optionally after a shuffle applied first (netCDF-4's order). */
export function supportedPipeline(filters: Filter[]): boolean {
  return filters.every((f, i) => f.id === FILTER_DEFLATE || (f.id === FILTER_SHUFFLE && i === 0));
}

/**
 * One chunk with its filters undone in reverse pipeline order (skipping those the chunk's filter
 * mask marks as not applied), except the unshuffle: when the pipeline starts with a shuffle
 * (netCDF-4's [shuffle, deflate]) that this chunk had applied, `shuffled` is true and the caller
 * unshuffles straight into its result with `unshuffleRange`, saving one copy of every chunk.
 * Inflated bytes live in a buffer reused by the next call (one per thread): use them, or copy
 * them, before undoing the next chunk.
 */
export function undoFilters(stored: Uint8Array, filters: Filter[], filterMask: number, rawSize: number): { bytes: Uint8Array; shuffled: boolean } {
  let data = stored;
  for (let i = filters.length - 1; i >= 0; i--) {
    if (filterMask & (1 << i)) continue;
    if (filters[i]!.id === FILTER_DEFLATE) {
      if (rawSize > inflateBound(data.length)) throw new Hdf5FormatError(`chunk of ${data.length} bytes cannot inflate to ${rawSize}`);
      if (inflated.length < rawSize) inflated = new Uint8Array(rawSize);
      try {
        data = inflateExact(data, inflated, rawSize);
      } catch (e) {
        throw e instanceof InflateError ? new Hdf5FormatError(`chunk does not inflate: ${e.message}`) : e;
      }
      continue;
    }
    // Shuffle (supportedPipeline allows it only as the first filter) is left to the caller.
    if (data.length !== rawSize) throw new Hdf5FormatError(`chunk has ${data.length} bytes, expected ${rawSize}`);
    return { bytes: data, shuffled: true };
  }
  if (data.length !== rawSize) throw new Hdf5FormatError(`chunk has ${data.length} bytes, expected ${rawSize}`);
  return { bytes: data, shuffled: false };
}

/** A shuffled chunk ready for `unshuffleRange`: its byte planes as 32-bit words when they are aligned. */
export interface ShuffledChunk {
  bytes: Uint8Array;
  /** Elements in the chunk (the length of each byte plane). */
  n: number;
  elemSize: number;
  words: Uint32Array[] | null;
}

export function shuffledChunk(bytes: Uint8Array, elemSize: number): ShuffledChunk {
  const n = Math.floor(bytes.length / elemSize);
  const ok = LITTLE_ENDIAN_HOST && (elemSize === 2 || elemSize === 4 || elemSize === 8) && n % 4 === 0 && bytes.byteOffset % 4 === 0;
  const words = ok ? Array.from({ length: elemSize }, (_, k) => new Uint32Array(bytes.buffer, bytes.byteOffset + k * n, n >> 2)) : null;
  return { bytes, n, elemSize, words };
}

/**
 * Undoes HDF5's byte shuffle (the chunk holds byte 0 of every element, then byte 1 of every
 * element, ...) for elements [from, from + count) of the chunk, writing them at byte `at` of
 * `dst` (`dst32`: the same memory as 32-bit words, when aligned). For 2-, 4- and 8-byte elements
 * on a little-endian host, 32-bit words are read from each byte plane and transposed with masks
 * and shifts, four elements per step: 5x faster than assembling each element from single bytes
 * (measured on 1 M float32 values). Unaligned ranges and other sizes go byte by byte.
 */
export function unshuffleRange(c: ShuffledChunk, from: number, count: number, dst: Uint8Array, dst32: Uint32Array | null, at: number): void {
  const { bytes, n, elemSize, words } = c;
  let done = 0;
  if (words && dst32 && from % 4 === 0 && (dst.byteOffset + at) % 4 === 0 && dst32.byteOffset === dst.byteOffset) {
    const groups = count >> 2;
    const o = at >> 2;
    if (elemSize === 4) unshuffle4(words, from >> 2, groups, dst32, o, 1);
    else if (elemSize === 8) {
      unshuffle4(words, from >> 2, groups, dst32, o, 2);
      unshuffle4(words.slice(4), from >> 2, groups, dst32, o + 1, 2);
    } else unshuffle2(words, from >> 2, groups, dst32, o);
    done = groups * 4;
  }
  for (let k = 0; k < elemSize; k++) {
    const plane = k * n + from;
    for (let e = done; e < count; e++) dst[at + e * elemSize + k] = bytes[plane + e]!;
  }
}

/** Unshuffles a whole chunk into `dst`; bytes past the last whole element stay in place (as HDF5 leaves them). */
export function unshuffle(src: Uint8Array, dst: Uint8Array, elemSize: number): void {
  const c = shuffledChunk(src, elemSize);
  const dst32 = dst.byteOffset % 4 === 0 ? new Uint32Array(dst.buffer, dst.byteOffset, dst.byteLength >> 2) : null;
  unshuffleRange(c, 0, c.n, dst, dst32, 0);
  const tail = c.n * elemSize;
  if (tail < src.length) dst.set(src.subarray(tail), tail);
}

/**
 * Words a, b, c, d of planes 0-3 hold byte 0, 1, 2, 3 of four elements; each output word is one
 * element (4-byte elements, step 1) or the low/high half of one (8-byte elements, step 2).
 */
function unshuffle4(w: Uint32Array[], from: number, groups: number, out: Uint32Array, o: number, step: number): void {
  const w0 = w[0]!;
  const w1 = w[1]!;
  const w2 = w[2]!;
  const w3 = w[3]!;
  for (let j = from, end = from + groups; j < end; j++, o += 4 * step) {
    const a = w0[j]!;
    const b = w1[j]!;
    const c = w2[j]!;
    const d = w3[j]!;
    const ab02 = (a & 0x00ff00ff) | ((b & 0x00ff00ff) << 8); // a0 b0 a2 b2
    const ab13 = ((a >>> 8) & 0x00ff00ff) | (b & 0xff00ff00); // a1 b1 a3 b3
    const cd02 = (c & 0x00ff00ff) | ((d & 0x00ff00ff) << 8);
    const cd13 = ((c >>> 8) & 0x00ff00ff) | (d & 0xff00ff00);
    out[o] = (ab02 & 0xffff) | (cd02 << 16);
    out[o + step] = (ab13 & 0xffff) | (cd13 << 16);
    out[o + 2 * step] = (ab02 >>> 16) | (cd02 & 0xffff0000);
    out[o + 3 * step] = (ab13 >>> 16) | (cd13 & 0xffff0000);
  }
}

/** Words a, b of planes 0-1 hold byte 0, 1 of four elements; each output word holds two elements. */
function unshuffle2(w: Uint32Array[], from: number, groups: number, out: Uint32Array, o: number): void {
  const w0 = w[0]!;
  const w1 = w[1]!;
  for (let j = from, end = from + groups; j < end; j++, o += 2) {
    const a = w0[j]!;
    const b = w1[j]!;
    out[o] = (a & 0xff) | ((b & 0xff) << 8) | ((a & 0xff00) << 8) | ((b & 0xff00) << 16);
    out[o + 1] = ((a >>> 16) & 0xff) | ((b >>> 8) & 0xff00) | ((a >>> 8) & 0xff0000) | (b & 0xff000000);
  }
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
