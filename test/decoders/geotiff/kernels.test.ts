/**
 * The WebAssembly kernels against their TypeScript twins: predictor 3 on float32 rows (SIMD) must
 * give floatRowsInto's words bit for bit, and the WebAssembly LZW decoder must give decodeLzw's
 * bytes on real tiles and fail where it fails on damaged ones (mutated tiles, cut streams).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CodecError, decodeLzw } from '../../../src/decoders/geotiff/block-codecs.js';
import { BlockReader } from '../../../src/decoders/geotiff/block-reader.js';
import { fileInfo } from '../../../src/decoders/geotiff/file-info.js';
import { wasmLzw } from '../../../src/decoders/geotiff/lzw-wasm.js';
import { floatRowsInto, undoFloatingPoint } from '../../../src/decoders/geotiff/predictor.js';
import { simdKernel } from '../../../src/decoders/geotiff/predictor-simd.js';
import { corpusDir, repoRoot } from '../../support/corpus.js';

/** Deterministic bytes (xorshift). */
function random(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s & 255;
  }
  return out;
}

/** Predictor 3 undone as Technote 3 states it: accumulate a row's bytes, then byte k of sample i is plane (bytes-1-k)'s byte i (little-endian host). */
function reference(planes: Uint8Array, n: number, rows: number, bytes: number): Uint8Array {
  const out = new Uint8Array(planes.length);
  const rowBytes = n * bytes;
  for (let r = 0; r < rows; r++) {
    const acc = new Uint8Array(rowBytes);
    let s = 0;
    for (let i = 0; i < rowBytes; i++) acc[i] = s = (s + planes[r * rowBytes + i]!) & 255;
    for (let i = 0; i < n; i++) for (let k = 0; k < bytes; k++) out[r * rowBytes + i * bytes + k] = acc[(bytes - 1 - k) * n + i]!;
  }
  return out;
}

describe('predictor 3, TypeScript', () => {
  it.each([
    [4, 16],
    [4, 1024],
    [4, 2048],
    [8, 16],
    [8, 1100],
    [8, 2048],
  ])('%i-byte samples, rows of %i', (bytes, n) => {
    const rows = 3;
    const planes = random(rows * n * bytes, n + bytes);
    const want = reference(planes, n, rows, bytes);
    const got = new Uint32Array((rows * n * bytes) / 4);
    if (n % 4 === 0) {
      floatRowsInto(planes, n, bytes, { to: got, start: 0, pitch: (n * bytes) / 4, r0: 0, r1: rows, c0: 0, c1: n });
      expect(new Uint8Array(got.buffer)).toEqual(want);
    }
    const inPlace = planes.slice();
    undoFloatingPoint(inPlace, n, rows, 1, bytes);
    expect(inPlace).toEqual(want);
  });
});

describe('predictor 3, SIMD', () => {
  const kernel = simdKernel();
  it.skipIf(!kernel).each([16, 48, 256, 1024])('rows of %i samples equal the TypeScript assembly', (n) => {
    const rows = 7;
    const planes = random(rows * n * 4, n);
    const want = new Uint32Array(rows * n);
    floatRowsInto(planes, n, 4, { to: want, start: 0, pitch: n, r0: 0, r1: rows, c0: 0, c1: n });
    // Assembled at an offset inside a wider region, then two rows from the middle.
    const pitch = n + 32;
    kernel!.reserve(planes.length, pitch * rows * 4);
    kernel!.assemble(planes, n, 0, rows, 16 * 4, pitch * 4);
    for (let r = 0; r < rows; r++) expect(new Uint32Array(kernel!.regionFloats(r * pitch + 16, n).slice().buffer)).toEqual(want.subarray(r * n, (r + 1) * n));
    kernel!.assemble(planes, n, 2, 4, 0, pitch * 4);
    expect(new Uint32Array(kernel!.regionFloats(pitch, n).slice().buffer)).toEqual(want.subarray(3 * n, 4 * n));
  });
});

function lzwTiles(): Array<{ name: string; tiles: Uint8Array[]; max: number }> {
  const files = [join(repoRoot, 'test/decoders/geotiff/fixtures/f32_tiled_lzw_pred2.tif'), join(repoRoot, 'test/decoders/geotiff/fixtures/u8_tiled_lzw_pred2_chunky4.tif'), join(repoRoot, 'test/fixtures/geotiff/bigendian_int16_lzw_predictor2.tif')];
  const c = corpusDir();
  if (c) files.push(join(c, 'geotiff/rgb_lzw.tif'), join(c, 'geotiff/test_rpcs.tif'), join(c, 'geotiff/cog_nodata_nan.tif'));
  return files.map((f) => ({ name: f, tiles: [] as Uint8Array[], max: 0 }));
}

async function load(entry: { name: string; tiles: Uint8Array[]; max: number }): Promise<void> {
  const info = await fileInfo(entry.name);
  const r = await BlockReader.open(entry.name, info.layout!);
  try {
    const n = Math.min(6, info.layout!.offsets!.length);
    entry.tiles = (await r.fetch(Array.from({ length: n }, (_, i) => i))).map((x) => x.bytes.slice());
    entry.max = r.blockBytes;
  } finally {
    await r.close();
  }
}

/** Output bytes, or 'error' (both decoders must agree on which). */
function outcome(f: () => Uint8Array): Uint8Array | 'error' {
  try {
    return f().slice();
  } catch (e) {
    expect(e).toBeInstanceOf(CodecError);
    return 'error';
  }
}

describe('LZW, WebAssembly', () => {
  const lzw = wasmLzw();
  it.skipIf(!lzw).each(lzwTiles())('$name: same bytes as the TypeScript decoder, and the same failures on damaged tiles', async (entry) => {
    await load(entry);
    expect(entry.tiles.length).toBeGreaterThan(0);
    let k = 0;
    for (const tile of entry.tiles) {
      expect(Buffer.from(lzw!.decode(tile, entry.max)).equals(Buffer.from(decodeLzw(tile, entry.max)))).toBe(true);
      for (let m = 0; m < 12; m++) {
        const bad = tile.slice(0, m % 4 === 0 ? Math.floor(tile.length * (m / 24)) : tile.length);
        const noise = random(4, ++k);
        if (m % 4 !== 0) for (let j = 0; j < 4; j++) bad[(noise[j]! * 7919 + m * 31) % bad.length] ^= noise[j]! | 1;
        const a = outcome(() => lzw!.decode(bad, entry.max));
        const b = outcome(() => decodeLzw(bad, entry.max));
        const same = a === 'error' || b === 'error' ? a === b : Buffer.from(a).equals(Buffer.from(b));
        expect(same, `${entry.name} tile ${k} mutation ${m}: ${a === 'error' ? a : a.length} vs ${b === 'error' ? b : b.length}`).toBe(true);
      }
    }
  });
});
