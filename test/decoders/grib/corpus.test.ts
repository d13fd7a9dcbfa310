/**
 * Every GRIB file of the reference corpus (or, without it, the fixtures) against ecCodes: per
 * field short name, valid time, level, ensemble member, count/missing/min/max/mean of the decoded
 * values, and the five sample values with their latitude/longitude from ecCodes' geo-iterator.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../../src/decoders/errors.js';
import { geometry, pointLatLon } from '../../../src/decoders/grib/grids.js';
import { gribDecoder } from '../../../src/decoders/grib/index.js';
import type { GridDef } from '../../../src/decoders/grib/model.js';
import { indexFile } from '../../../src/decoders/grib/scan.js';
import { FileSource } from '../../../src/decoders/grib/source.js';
import { decodeField } from '../../../src/decoders/grib/unpack.js';
import { corpusFiles, readOracle, repoRoot } from '../../support/corpus.js';

interface OracleField {
  shortName: string;
  number: number | null;
  time: { valid_iso: string };
  level: { typeOfLevel: string; level: number };
  grid: { gridType: string };
  values: { count: number; missing: number; min?: number; max?: number; mean?: number; samples: Array<{ index: number; lat?: number; lon?: number; value: number | string }> };
}
interface Oracle { fields: OracleField[] }

const fixtureDir = join(repoRoot, 'test/fixtures/grib');
const fixture = (name: string) => ({ name, path: join(fixtureDir, name), oracle: join(fixtureDir, `${name}.oracle.json`) });
/** Made by scripts/gen-grib1-second-order-fixtures.sh (ecCodes repacking; no corpus file uses GRIB1 second-order packing). */
const GENERATED = ['era5_second_order.grib', 'second_order_bitmap_reduced.grib'];
const files = corpusFiles('grib').length
  ? [...corpusFiles('grib'), ...GENERATED.map(fixture)]
  : readdirSync(fixtureDir).filter((f) => !f.endsWith('.json')).sort().map(fixture);

/** Grids the issue asks us to refuse clearly (ecCodes itself decodes their values). */
const UNSUPPORTED = new Map([
  ['test_icon.grib', /unstructured grid \(template 3\.101\)/],
  ['spherical_harmonics.grib', /spherical harmonics/],
]);

/**
 * Fields whose oracle ecCodes itself gets wrong, compared instead with the field they were repacked
 * from (same file). ecCodes 2.28's grib_get_data prints fill values (9999) as data for boustrophedonic
 * second-order fields with a bitmap, while its own `values` statistics (grib_get max/min/numberOfMissing)
 * agree with the source field; the test also checks the decoded arrays are identical.
 */
const SAME_AS: Record<string, Record<number, number>> = { 'second_order_bitmap_reduced.grib': { 2: 0, 3: 1 } };

const rel = (a: number, b: number, tol = 1e-12) => a === b || Math.abs(a - b) <= tol * Math.max(Math.abs(a), Math.abs(b), 1e-300);

describe.each(files)('GRIB $name', ({ name, path, oracle: oraclePath }) => {
  const oracle = readOracle<Oracle>(oraclePath);

  if (UNSUPPORTED.has(name)) {
    it('refuses the grid with a clear unsupported error naming the template', async () => {
      const err = await gribDecoder.inspect(path).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DecodeError);
      expect((err as DecodeError).code).toBe('UNSUPPORTED');
      expect((err as DecodeError).message).toMatch(UNSUPPORTED.get(name)!);
      expect((err as DecodeError).message).toContain(path);
      expect((await gribDecoder.describe(path)).attributes['wekeo.skipped_fields']).toMatch(UNSUPPORTED.get(name)!);
    });
    return;
  }

  it('inspect equals ecCodes for every field, in file order', async () => {
    const report = await gribDecoder.inspect(path);
    expect(report.fields.length).toBe(oracle.fields.length);
    report.fields.forEach((f, i) => {
      const o = oracle.fields[SAME_AS[name]?.[i] ?? i]!;
      const where = `field ${i + 1} (${o.shortName})`;
      if (o.shortName === 'unknown') expect(f.name, where).toMatch(/^param_/);
      else expect(f.name, where).toBe(o.shortName);
      // ecCodes keeps validity times to the minute (hhmm).
      expect(String(f.time).slice(0, 16), where).toBe(o.time.valid_iso.slice(0, 16));
      expect(f.levelType, where).toBe(o.level.typeOfLevel);
      // ecCodes reads the scaled value of a negative potential-vorticity surface as unsigned.
      if (o.level.typeOfLevel !== 'potentialVorticity') expect(f.level, where).toBe(o.level.level);
      if (o.number !== null) expect(f.number, where).toBe(o.number);
      expect(f.count + f.missing, where).toBe(o.values.count);
      expect(f.missing, where).toBe(o.values.missing);
      if (f.count === 0) return;
      expect(rel(f.min!, o.values.min!), `${where} min ${f.min} vs ${o.values.min}`).toBe(true);
      expect(rel(f.max!, o.values.max!), `${where} max ${f.max} vs ${o.values.max}`).toBe(true);
      expect(rel(f.mean!, o.values.mean!, 1e-9), `${where} mean ${f.mean} vs ${o.values.mean}`).toBe(true);
    });
  });

  it('decodes the sample values at their latitude/longitude', async () => {
    const src = await FileSource.open(path);
    try {
      const fields = await indexFile(src);
      // Every field of small files; for big files the first, middle and last.
      const picks = fields.length <= 12 ? fields.map((_, i) => i) : [0, fields.length >> 1, fields.length - 1];
      for (const i of picks) {
        const f = fields[i]!;
        const same = SAME_AS[name]?.[i];
        const o = oracle.fields[same ?? i]!;
        const { values } = await decodeField(src, f);
        if (same !== undefined) expect(Array.from(values)).toEqual(Array.from((await decodeField(src, fields[same]!)).values));
        const geo = geometry(f.grid as GridDef);
        const inverse = new Map<number, number>();
        geo.order?.forEach((m, k) => inverse.set(m, k));
        for (const s of o.values.samples) {
          const v = values[s.index]!;
          if (typeof s.value === 'string' || s.value === null) expect(Number.isNaN(v), `field ${i + 1} sample ${s.index} missing`).toBe(true);
          else expect(Math.fround(v), `field ${i + 1} sample ${s.index}`).toBe(Math.fround(s.value));
          if (s.lat === undefined || s.lat === null) continue;
          const k = geo.order ? inverse.get(s.index)! : s.index;
          const [lat, lon] = pointLatLon(geo, k);
          expect(Math.abs(lat - s.lat), `field ${i + 1} sample ${s.index} lat ${lat} vs ${s.lat}`).toBeLessThan(1e-4);
          const dlon = Math.abs(((lon - s.lon! + 540) % 360) - 180);
          expect(dlon, `field ${i + 1} sample ${s.index} lon ${lon} vs ${s.lon}`).toBeLessThan(1e-4);
        }
      }
    } finally {
      await src.close();
    }
  });

  it('reads every group into rows whose values equal the decoded fields', async () => {
    const desc = await gribDecoder.describe(path);
    for (const g of desc.groups.slice(0, 3)) {
      let rows = 0;
      let valid = 0;
      const first = g.variables[0]!.name;
      for await (const b of gribDecoder.read(path, { group: g.id, variables: [first], time: [0, Math.min(2, Math.max(1, g.times.length))] })) {
        rows += b.numRows;
        const c = b.columns.find((x) => x.name === first)!;
        valid += b.numRows - c.nullCount;
        expect(b.columns.map((x) => x.name).slice(0, 3)).toEqual(['time', 'lat', 'lon']);
      }
      const slabs = Math.min(2, Math.max(1, g.times.length)) * Math.max(1, g.levels.length);
      expect(rows).toBe(slabs * g.grid.ny * g.grid.nx);
      expect(valid).toBeGreaterThan(0);
    }
  });
});
