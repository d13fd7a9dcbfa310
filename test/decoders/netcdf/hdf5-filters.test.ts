/**
 * The native HDF5 filter path: word-wise unshuffling equals the byte-by-byte definition for every
 * element size, alignment and sub-range, and deflate + shuffle chunks round-trip through undoFilters.
 */
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FILTER_DEFLATE, FILTER_SHUFFLE, shuffledChunk, supportedPipeline, undoFilters, unshuffle, unshuffleRange } from '../../../src/decoders/netcdf/hdf5-filters.js';

function shuffle(raw: Uint8Array, size: number): Uint8Array {
  const n = Math.floor(raw.length / size);
  const out = raw.slice();
  for (let i = 0; i < n; i++) for (let k = 0; k < size; k++) out[k * n + i] = raw[i * size + k]!;
  return out;
}

function bytes(len: number, seed: number): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
  return b;
}

describe('unshuffle', () => {
  it.each([1, 2, 3, 4, 8])('undoes the HDF5 shuffle of %i-byte elements (aligned, unaligned, odd counts)', (size) => {
    for (const n of [0, 1, 3, 4, 17, 1024, 4099]) {
      for (const pad of [0, 1]) {
        const raw = bytes(n * size + pad, n + size);
        const buf = new Uint8Array(raw.length + 4);
        const src = buf.subarray(pad ? 1 : 0, (pad ? 1 : 0) + raw.length);
        src.set(shuffle(raw, size));
        const dst = new Uint8Array(raw.length);
        unshuffle(src, dst, size);
        expect(Buffer.from(dst).equals(Buffer.from(raw))).toBe(true);
      }
    }
  });
});

describe('unshuffleRange', () => {
  it.each([1, 2, 4, 8])('writes any run of %i-byte elements of a shuffled chunk at any place', (size) => {
    const n = 64;
    const raw = bytes(n * size, size);
    const c = shuffledChunk(shuffle(raw, size), size);
    for (const [from, count, at] of [[0, 64, 0], [4, 16, 8], [3, 10, 5], [8, 7, 0], [12, 52, 12], [0, 1, 63]] as const) {
      const dst = new Uint8Array((n + 72) * size);
      const dst32 = new Uint32Array(dst.buffer);
      unshuffleRange(c, from, count, dst, dst32, at * size);
      expect(Buffer.from(dst.subarray(at * size, (at + count) * size)).equals(Buffer.from(raw.subarray(from * size, (from + count) * size))), `${from} ${count} ${at}`).toBe(true);
      expect(dst.subarray(0, at * size).every((x) => x === 0)).toBe(true);
    }
  });
});

describe('undoFilters', () => {
  it('inflates, leaving the final unshuffle to the caller, and honours the filter mask', () => {
    const raw = bytes(4096 * 4, 7);
    const stored = deflateSync(shuffle(raw, 4));
    const r = undoFilters(stored, [{ id: FILTER_SHUFFLE }, { id: FILTER_DEFLATE }], 0, raw.length);
    expect(r.shuffled).toBe(true);
    const out = new Uint8Array(raw.length);
    unshuffle(r.bytes, out, 4);
    expect(Buffer.from(out).equals(Buffer.from(raw))).toBe(true);
    // Mask bit 0: shuffle was not applied to this chunk.
    const noShuffle = undoFilters(deflateSync(raw), [{ id: FILTER_SHUFFLE }, { id: FILTER_DEFLATE }], 1, raw.length);
    expect(noShuffle.shuffled).toBe(false);
    expect(Buffer.from(noShuffle.bytes).equals(Buffer.from(raw))).toBe(true);
  });

  it('handles deflate, optionally after a first shuffle, and nothing else', () => {
    expect(supportedPipeline([{ id: FILTER_SHUFFLE }, { id: FILTER_DEFLATE }])).toBe(true);
    expect(supportedPipeline([{ id: FILTER_DEFLATE }])).toBe(true);
    expect(supportedPipeline([{ id: FILTER_DEFLATE }, { id: FILTER_SHUFFLE }])).toBe(false);
    expect(supportedPipeline([{ id: FILTER_SHUFFLE }, { id: FILTER_DEFLATE }, { id: 3 }])).toBe(false);
  });

  it('rejects chunks whose size is not the chunk size', () => {
    expect(() => undoFilters(deflateSync(bytes(100, 1)), [{ id: FILTER_DEFLATE }], 0, 64)).toThrow();
    expect(() => undoFilters(deflateSync(bytes(60, 1)), [{ id: FILTER_DEFLATE }], 0, 64)).toThrow();
  });
});

