/**
 * The block reader (our own strip/tile decoding) on every layout it takes, against the values GDAL
 * wrote: fixtures/generate.py writes small files with rasterio in each sample type, tiles and
 * strips (short last strip), chunky and planar, predictors 2 and 3, both byte orders, nodata,
 * scale/offset and a sparse tile, from a formula recomputed here. Then, on every corpus file the
 * block reader takes, its output must equal geotiff.js's value for value (the path it replaced),
 * and batched window reads must equal the whole-raster decode.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileInfo, type Info } from '../../../src/decoders/geotiff/file-info.js';
import { geotiffDecoder } from '../../../src/decoders/geotiff/index.js';
import { openWindowSource } from '../../../src/decoders/geotiff/window-source.js';
import { corpusDir, repoRoot } from '../../support/corpus.js';

interface Manifest {
  width: number;
  height: number;
  files: Record<string, { dtype: string; bands: number; nodata: number | 'NaN' | null; scale: number; offset: number; sparse_block: [number, number] | null }>;
}

const dir = join(repoRoot, 'test/decoders/geotiff/fixtures');
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
const { width: W, height: H } = manifest;

/** The pattern of generate.py's `value()`, stored in `dtype`. */
function raw(dtype: string, band: number, r: number, c: number): number {
  const base = (r * 37 + c * 11 + band * 101) % 200;
  if (dtype.startsWith('float')) return base - 100 + (r % 4) * 0.25 - (c % 8) * 0.125;
  if (dtype.startsWith('int')) return base - 100;
  if (dtype === 'uint8') return base + band * 7;
  if (dtype === 'uint16') return base + 1000 * band + 30000;
  return base + 3_000_000_000;
}

function expected(name: string, band: number, r: number, c: number): number {
  const f = manifest.files[name]!;
  const v = raw(f.dtype, band, r, c);
  // generate.py writes nodata where (r * c) % 17 == 3; the pattern may also hit the nodata value itself.
  const missing = (f.nodata !== null && ((r * c) % 17 === 3 || v === f.nodata)) || (f.sparse_block !== null && Math.floor(r / 16) === f.sparse_block[1] && Math.floor(c / 16) === f.sparse_block[0]);
  if (missing) return NaN;
  return f.scale === 1 && f.offset === 0 ? v : v * f.scale + f.offset;
}

/** Same value, NaN equal to NaN (both mark missing). */
function same(a: number, b: number): boolean {
  return a === b || (a !== a && b !== b);
}

function firstMismatch(got: ArrayLike<number>, want: (k: number) => number): string | null {
  for (let k = 0; k < got.length; k++) if (!same(got[k]!, want(k))) return `at ${k}: got ${got[k]}, want ${want(k)}`;
  return null;
}

describe.each(Object.keys(manifest.files))('block reader on GDAL-written %s', (name) => {
  const path = join(dir, name);

  it('is decoded by the block reader, every value as GDAL wrote it (decodeAll)', async () => {
    const info = await fileInfo(path);
    expect(info.direct).toBe(true);
    const f = manifest.files[name]!;
    const bands = new Map<number, number[]>();
    for await (const c of geotiffDecoder.decodeAll(path)) {
      // Unscaled integer bands keep their sample type (missing values in a validity bitmap); float bands use NaN.
      const native = f.dtype.startsWith('int') || f.dtype.startsWith('uint');
      expect(c.values.constructor.name).toBe(native && f.scale === 1 && f.offset === 0 ? `${f.dtype[0]!.toUpperCase()}${f.dtype.slice(1)}Array` : info.bands[c.field]!.type === 'float64' ? 'Float64Array' : 'Float32Array');
      if (!native) expect(c.validity).toBeUndefined();
      const all = bands.get(c.field) ?? [];
      c.values.forEach((v, k) => all.push(c.validity && !((c.validity[k >> 3]! >> (k & 7)) & 1) ? NaN : v));
      bands.set(c.field, all);
    }
    expect(bands.size).toBe(manifest.files[name]!.bands);
    for (const [b, values] of bands) {
      expect(values.length).toBe(W * H);
      expect(firstMismatch(values, (k) => expected(name, b, Math.floor(k / W), k % W)), `band ${b + 1}`).toBeNull();
    }
  });

  it('gives the same values, validity and row order through batched window reads', async () => {
    const info = await fileInfo(path);
    const vars = info.bands.map((b) => b.name);
    const y: [number, number] = [3, 41];
    const x: [number, number] = [5, 66];
    const nx = x[1] - x[0];
    let row = 0;
    let batches = 0;
    // About 3 rows per batch, so each 16-row block row serves several batches.
    for await (const b of geotiffDecoder.read(path, { group: 'raster', variables: vars, y, x, maxBatchBytes: 3 * nx * (32 + 8 * vars.length) })) {
      batches++;
      expect(b.numRows % nx).toBe(0);
      vars.forEach((v, i) => {
        const col = b.columns.find((c) => c.name === v)!;
        expect(col.values.length).toBe(b.numRows);
        const want = (k: number) => expected(name, i, y[0] + row + Math.floor(k / nx), x[0] + (k % nx));
        expect(firstMismatch(col.values as Float32Array, want), `${v} from row ${row}`).toBeNull();
        let nulls = 0;
        for (let k = 0; k < b.numRows; k++) {
          const valid = col.validity ? (col.validity[k >> 3]! >> (k & 7)) & 1 : 1;
          expect(valid, `${v} validity at ${k}`).toBe(Number.isNaN(want(k)) ? 0 : 1);
          nulls += 1 - valid;
        }
        expect(col.nullCount).toBe(nulls);
      });
      row += b.numRows / nx;
    }
    expect(row).toBe(y[1] - y[0]);
    expect(batches).toBeGreaterThan(10);
  });
});

function corpusTiffs(): string[] {
  const dirs = [join(repoRoot, 'test/fixtures/geotiff')];
  const c = corpusDir();
  if (c) dirs.push(join(c, 'geotiff'));
  return dirs.flatMap((d) => readdirSync(d).filter((f) => !f.endsWith('.json')).map((f) => join(d, f)));
}

async function wholeRaster(path: string, info: Info): Promise<Array<Float32Array | Float64Array>> {
  const src = await openWindowSource(path, info, false);
  try {
    return await src.read(info.bands, [0, info.height], [0, info.width]);
  } finally {
    await src.close();
  }
}

describe('block reader against geotiff.js on the corpus', () => {
  it.each(corpusTiffs())('%s: equal value for value', async (path) => {
    const info = await fileInfo(path);
    if (!info.direct) return; // geotiff.js decodes this one anyway
    const ours = await wholeRaster(path, info);
    const theirs = await wholeRaster(path, { ...info, direct: false });
    ours.forEach((v, b) => {
      expect(v.constructor).toBe(theirs[b]!.constructor);
      expect(firstMismatch(v, (k) => theirs[b]![k]!), `${info.bands[b]!.name}`).toBeNull();
    });
  });
});

describe('big-endian predictor 3', () => {
  it('reads a file GDAL 3.6 wrote (planes reversed) as current GDAL does', async () => {
    // rasterio 1.4 / GDAL 3.10 `read(1)` of test/fixtures/geotiff/bigendian_float_predictor3.tif.
    const gdal = [-2.8904213239235923e20, -5.21748969015375e-17, 6.905458702346266e-41, 2.0765151788313865e-32, 5.650593548971908e-20, -360508783853568.0];
    const got: number[] = [];
    for await (const c of geotiffDecoder.decodeAll(join(repoRoot, 'test/fixtures/geotiff/bigendian_float_predictor3.tif'))) got.push(...c.values);
    expect(got).toEqual(gdal);
  });
});
