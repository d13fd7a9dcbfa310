/**
 * Reads follow the file's blocks: a read cut into many small batches still decompresses each
 * strip or tile once (issue 8: 52-row batches on 256-row tiles decoded every tile ~5.7 times),
 * and the row bands it decodes are whole block rows unless one block row would exceed the memory bound.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BlockReader } from '../../../src/decoders/geotiff/block-reader.js';
import { geotiffDecoder, rowBands } from '../../../src/decoders/geotiff/index.js';
import { repoRoot } from '../../support/corpus.js';

const fixtures = join(repoRoot, 'test/decoders/geotiff/fixtures');
const proto = BlockReader.prototype;
const originals = { decode: proto.decode, decodeUnpredicted: proto.decodeUnpredicted };
afterEach(() => Object.assign(proto, originals));

/** Counts block decodes (decode calls decodeUnpredicted itself, so only outermost calls count). */
function countDecodes(): { blocks: Set<number>; calls: number } {
  const seen = { blocks: new Set<number>(), calls: 0 };
  let depth = 0;
  for (const name of ['decode', 'decodeUnpredicted'] as const) {
    const original = originals[name];
    proto[name] = function (this: BlockReader, raw, rows) {
      if (depth === 0) {
        seen.calls++;
        seen.blocks.add(raw.index);
      }
      depth++;
      try {
        return original.call(this, raw, rows);
      } finally {
        depth--;
      }
    };
  }
  return seen;
}

describe('row bands', () => {
  it.each(['f32_tiled_lzw_pred2.tif', 'i16_tiled_deflate_pred2_planar3.tif', 'f32_strips_deflate_pred3_chunky3.tif', 'f32_tiled_zstd_pred3_nodata.tif'])('%s: a read in 1-row batches decodes each block once', async (name) => {
    const path = join(fixtures, name);
    const desc = await geotiffDecoder.describe(path);
    const vars = desc.groups[0]!.variables.map((v) => v.name);
    const seen = countDecodes();
    let batches = 0;
    for await (const _ of geotiffDecoder.read(path, { group: 'raster', variables: vars, maxBatchBytes: 1 })) batches++;
    expect(batches).toBe(45); // one row per batch
    expect(seen.calls).toBe(seen.blocks.size);
  });

  it('decodeAll decodes each block once', async () => {
    const seen = countDecodes();
    for await (const _ of geotiffDecoder.decodeAll(join(fixtures, 'u8_tiled_lzw_pred2_chunky4.tif'))) void _;
    expect(seen.calls).toBe(15); // 5 x 3 tiles of 16 x 16
    expect(seen.blocks.size).toBe(15);
  });

  it('are whole block rows, cut only by the window', () => {
    expect(rowBands([3, 41], 16, 100, 3)).toEqual([[3, 16], [16, 32], [32, 41]]);
    expect(rowBands([0, 45], 16, 100, 20)).toEqual([[0, 32], [32, 45]]);
    expect(rowBands([0, 10], 1, 100, 4)).toEqual([[0, 4], [4, 8], [8, 10]]);
  });

  it('split a block row only when one would exceed the memory bound', () => {
    // 256-row blocks of 1 MiB rows: 256 MiB per block row, over the 64 MiB bound.
    const bands = rowBands([0, 512], 256, 1 << 20, 10);
    expect(bands[0]).toEqual([0, 10]);
    expect(bands.every(([a, b]) => b - a <= 64)).toBe(true);
  });
});

describe('selections', () => {
  it('a variable named twice is decoded once and given twice', async () => {
    const path = join(fixtures, 'f32_tiled_zstd_pred3_nodata.tif');
    const once: number[] = [];
    for await (const b of geotiffDecoder.read(path, { group: 'raster', variables: ['band_1'], y: [10, 20] })) once.push(...(b.columns.at(-1)!.values as Float32Array));
    const twice: number[][] = [[], []];
    for await (const b of geotiffDecoder.read(path, { group: 'raster', variables: ['band_1', 'band_1'], y: [10, 20] })) {
      twice[0]!.push(...(b.columns.at(-2)!.values as Float32Array));
      twice[1]!.push(...(b.columns.at(-1)!.values as Float32Array));
    }
    expect(twice[0]).toEqual(once);
    expect(twice[1]).toEqual(once);
  });
});
