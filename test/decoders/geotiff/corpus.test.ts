/**
 * Every GeoTIFF of the reference corpus (or, without it, the fixtures) against GDAL: per band
 * count, missing (nodata or NaN), min, max and mean of the scaled values, and the five pixel
 * samples with their georeferenced pixel-centre coordinates. Lossy JPEG files are compared
 * within the codec's error (two JPEG decoders differ by a level or two per pixel).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../../src/decoders/errors.js';
import { geotiffDecoder } from '../../../src/decoders/geotiff/index.js';
import type { ColumnBatch } from '../../../src/decoders/types.js';
import { corpusFiles, readOracle, repoRoot } from '../../support/corpus.js';

interface OracleBand {
  type: string;
  scale: number | null;
  offset: number | null;
  noDataValue: number | string | null;
  values: { count: number; missing: number; min?: number; max?: number; mean?: number; imag?: { min: number; max: number; mean: number } };
}
interface Oracle {
  size: [number, number];
  image_structure: Record<string, string>;
  bands: OracleBand[];
  samples: Array<{ col: number; row: number; values: Array<number | string | null | number[]>; x_center?: number; y_center?: number }>;
}

const fixtureDir = join(repoRoot, 'test/fixtures/geotiff');
/**
 * Written by scripts/gen-geotiff-fixtures.sh (GDAL) for variants no corpus file has. The big-endian
 * predictor-3 fixture written by GDAL 3.6 is not among them: 3.6 reversed its byte planes, current
 * GDAL reads it as noise, and so do we (block-reader.test.ts checks it against GDAL 3.10's values,
 * and a big-endian predictor-3 file GDAL 3.10 writes against the values written).
 */
const GENERATED = ['zstd_predictor3.tif', 'bigendian_int16_lzw_predictor2.tif', 'cint16_small.tif'];
/** Fixtures with no GDAL oracle of their own (checked by block-reader.test.ts instead, see above). */
const NO_ORACLE = new Set(['bigendian_float_predictor3.tif']);
const ORACLE_OF: Record<string, string> = {};
const fixture = (name: string) => ({ name, path: join(fixtureDir, name), oracle: join(fixtureDir, `${ORACLE_OF[name] ?? name}.oracle.json`) });
const files = corpusFiles('geotiff').length
  ? [...corpusFiles('geotiff'), ...GENERATED.map(fixture)]
  : readdirSync(fixtureDir).filter((f) => !f.endsWith('.json') && !NO_ORACLE.has(f)).sort().map(fixture);

/** Deliberate exclusions (also listed in the README's format table). */
// Complex bands (CInt16 ...) are two variables, band_N_real and band_N_imag; GDAL's statistics are
// those of the real part, its nodata test too; the oracle adds the imaginary part's min/max/mean.
const names = (bands: OracleBand[]): string[] => bands.flatMap((b, i) => (b.type.startsWith('C') ? [`band_${i + 1}_real`, `band_${i + 1}_imag`] : [`band_${i + 1}`]));

const UNSUPPORTED = new Map<string, RegExp>();

describe.each(files)('GeoTIFF $name', ({ name, path, oracle: oraclePath }) => {
  const o = readOracle<Oracle>(oraclePath);
  // WebP decodes with libwebp, as GDAL does, so it must match exactly; two JPEG decoders need not.
  const lossy = /JPEG/i.test(o.image_structure.COMPRESSION ?? '');

  if (UNSUPPORTED.has(name)) {
    it('is refused with a clear unsupported error', async () => {
      const err = await geotiffDecoder.inspect(path).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DecodeError);
      expect((err as DecodeError).code).toBe('UNSUPPORTED');
      expect((err as Error).message).toMatch(UNSUPPORTED.get(name)!);
    });
    return;
  }

  it(`band statistics equal GDAL${lossy ? ' within the JPEG codec error' : ''}`, async () => {
    const r = await geotiffDecoder.inspect(path);
    expect(r.fields.map((f) => f.name)).toEqual(names(o.bands));
    r.fields.forEach((f) => {
      const i = Number(/^band_(\d+)/.exec(f.name)![1]) - 1;
      const b = o.bands[i]!;
      const s = b.scale ?? 1;
      const off = b.offset ?? 0;
      const v = f.name.endsWith('_imag') ? { ...b.values, ...b.values.imag! } : b.values;
      const total = v.count;
      if (lossy) {
        expect(Math.abs(f.missing - v.missing), `${f.name} missing`).toBeLessThanOrEqual(total * 0.005);
        expect(Math.abs(f.mean! - (v.mean! * s + off)), `${f.name} mean`).toBeLessThan(0.5);
        expect(Math.abs(f.min! - v.min!)).toBeLessThanOrEqual(2);
        expect(Math.abs(f.max! - v.max!)).toBeLessThanOrEqual(2);
        return;
      }
      expect({ count: f.count, missing: f.missing }).toEqual({ count: total - v.missing, missing: v.missing });
      if (f.count === 0) return;
      expect(f.min).toBeCloseTo(v.min! * s + off, 9);
      expect(f.max).toBeCloseTo(v.max! * s + off, 9);
      expect(Math.abs(f.mean! - (v.mean! * s + off))).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(v.mean! * s + off)));
    });
  });

  it('reads sample pixels with their pixel-centre coordinates', async () => {
    const desc = await geotiffDecoder.describe(path);
    const g = desc.groups[0]!;
    const vars = g.variables.map((v) => v.name);
    for (const s of o.samples) {
      const batches: ColumnBatch[] = [];
      for await (const b of geotiffDecoder.read(path, { group: 'raster', variables: vars, y: [s.row, s.row + 1], x: [s.col, s.col + 1] })) batches.push(b);
      const b = batches[0]!;
      expect(b.numRows).toBe(1);
      const col = (n: string) => b.columns.find((c) => c.name === n);
      if (s.x_center !== undefined && col('x')) {
        expect(col('x')!.values[0]).toBeCloseTo(s.x_center, 3);
        expect(col('y')!.values[0]).toBeCloseTo(s.y_center!, 3);
      } else if (s.x_center !== undefined) {
        expect(col('lon')!.values[0]).toBeCloseTo(s.x_center, 6);
        expect(col('lat')!.values[0]).toBeCloseTo(s.y_center!, 6);
      }
      s.values.forEach((sample, i) => {
        const band = o.bands[i]!;
        if (Array.isArray(sample)) {
          // Complex: [re, im]; missing when the real part is nodata (GDAL).
          const [re, im] = sample;
          const real = col(`band_${i + 1}_real`)!;
          const imag = col(`band_${i + 1}_imag`)!;
          if (re === band.noDataValue) return expect(real.validity && !(real.validity[0]! & 1)).toBe(true);
          expect([Number(real.values[0]), Number(imag.values[0])]).toEqual([re, im]);
          return;
        }
        const raw = sample;
        const c = col(`band_${i + 1}`)!;
        const isNull = c.validity && !(c.validity[0]! & 1);
        const nd = band.noDataValue === 'NaN' ? NaN : band.noDataValue;
        const noData = raw === null || raw === 'NaN' || (typeof raw === 'number' && (Number.isNaN(raw) || raw === nd));
        if (noData) return expect(isNull).toBe(true);
        if (isNull) return expect(lossy).toBe(true); // JPEG can turn a nodata 0 into 1 and back
        const want = (raw as number) * (band.scale ?? 1) + (band.offset ?? 0);
        expect(Math.abs(Number(c.values[0]) - want), `${name} band ${i + 1} at ${s.col},${s.row}`).toBeLessThanOrEqual(lossy ? 12 : 1e-6 * Math.max(1, Math.abs(want)));
      });
    }
  });
});
