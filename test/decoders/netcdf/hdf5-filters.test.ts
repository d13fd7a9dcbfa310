/**
 * The native HDF5 filter path: word-wise unshuffling equals the byte-by-byte definition for every
 * element size and alignment, and deflate + shuffle chunks round-trip through unfilterChunk.
 */
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FILTER_DEFLATE, FILTER_SHUFFLE, unfilterChunk, unshuffle } from '../../../src/decoders/netcdf/hdf5-filters.js';

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

describe('unfilterChunk', () => {
  it('inflates and unshuffles into the given buffer, honouring the filter mask', () => {
    const raw = bytes(4096 * 4, 7);
    const stored = deflateSync(shuffle(raw, 4));
    const into = new Uint8Array(raw.length);
    const out = unfilterChunk(stored, [{ id: FILTER_SHUFFLE }, { id: FILTER_DEFLATE }], 0, raw.length, 4, into);
    expect(out).toBe(into);
    expect(Buffer.from(out).equals(Buffer.from(raw))).toBe(true);
    // Mask bit 0: shuffle was not applied to this chunk.
    const noShuffle = unfilterChunk(deflateSync(raw), [{ id: FILTER_SHUFFLE }, { id: FILTER_DEFLATE }], 1, raw.length, 4);
    expect(Buffer.from(noShuffle).equals(Buffer.from(raw))).toBe(true);
  });

  it('rejects chunks whose size is not the chunk size', () => {
    expect(() => unfilterChunk(deflateSync(bytes(100, 1)), [{ id: FILTER_DEFLATE }], 0, 64, 4)).toThrow();
    expect(() => unfilterChunk(deflateSync(bytes(60, 1)), [{ id: FILTER_DEFLATE }], 0, 64, 4)).toThrow();
  });
});
