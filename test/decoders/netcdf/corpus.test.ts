/**
 * Every NetCDF file of the reference corpus (or, without it, the embedded samples) decoded by our
 * plugin and compared with netCDF-C / netCDF4-python: per-variable count, missing, min, max, mean
 * (after mask-and-scale), sample values at flat C-order indices, and decoded time coordinates.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { netcdfDecoder } from '../../../src/decoders/netcdf/index.js';
import type { ColumnBatch, FileDescription } from '../../../src/decoders/types.js';
import { corpusFiles, readOracle, repoRoot } from '../../support/corpus.js';

interface OracleVar {
  name: string;
  dimensions: string[];
  shape: number[];
  attributes: Record<string, unknown>;
  decoded?: { dtype: string; missing: number; valid: number; min?: number; max?: number; mean?: number };
  samples?: Array<{ index: number; decoded: number | string | null; time_iso?: string }>;
}
interface Oracle { variables: OracleVar[] }

const SAMPLES = [
  ['cmems_mod_glo_phy-cur_anfc_0.083deg_P1D-m_2024-01_1deg_5day.nc', 'samples/cmems-currents'],
  ['test4.nc', 'samples/era5-pressure-levels'],
  ['air.nc', 'samples/ncep-air'],
] as const;

const files = corpusFiles('netcdf').length
  ? corpusFiles('netcdf')
  : SAMPLES.map(([name, dir]) => ({ name, path: join(repoRoot, dir, name), oracle: join(repoRoot, 'test/fixtures/netcdf', `${name}.oracle.json`) }));

/**
 * Files without any variable on a regular 1-D latitude/longitude grid: the walking skeleton
 * decodes regular grids only. Their variables must be reported as skipped, with the reason.
 * (Curvilinear swaths, projected x/y rasters and coordinate-less arrays come with issue #3.)
 */
const NO_REGULAR_GRID = new Set([
  '20171025_2056.Cloud_Top_Height.nc', // GOES-16 fixed-grid x/y (scan angles), no lat/lon axes
  'PLANET_SCOPE_3D.nc', // projected x/y
  'basin_mask.nc', // lat/lon named without CF units
  'issue672.nc', // dimensions without coordinate variables
  'nctest_netcdf4_classic.nc', // netCDF test arrays, no geographic axes
  'ref_groups.h5', // data in sub-groups, no geographic axes
  'ref_nc_test_netcdf4_4_0.nc', // netCDF test arrays
  'ref_nctest_64bit_offset.nc', // netCDF test arrays
  'ref_nctest_classic.nc', // netCDF test arrays
  'ref_szip.h5', // single szip test array, no geographic axes
  'ref_test_360_day_1900.nc', // a time axis only
  'sentinel_2_L1C_geographic.nc', // x/y coordinates
]);

function close(a: number, b: number): boolean {
  return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

function oracleNumber(v: number | string | null): number | null {
  if (v === null || v === '--' || v === 'masked') return null;
  if (typeof v === 'string') return v === 'NaN' ? NaN : Number(v);
  return v;
}

async function readAll(path: string, group: string, variables: string[]): Promise<ColumnBatch[]> {
  const out: ColumnBatch[] = [];
  for await (const b of netcdfDecoder.read(path, { group, variables })) out.push(b);
  return out;
}

function valueAt(batches: ColumnBatch[], column: string, row: number): number | null {
  for (const b of batches) {
    if (row < b.numRows) {
      const c = b.columns.find((x) => x.name === column)!;
      if (c.validity && !(c.validity[row >> 3]! & (1 << (row & 7)))) return null;
      return Number(c.values[row]);
    }
    row -= b.numRows;
  }
  throw new Error(`row out of range for ${column}`);
}

describe.each(files)('NetCDF $name', ({ name, path, oracle: oraclePath }) => {
  const oracle = readOracle<Oracle>(oraclePath);
  let desc: FileDescription;

  it('describes and inspects equal to netCDF4-python mask-and-scale', async () => {
    desc = await netcdfDecoder.describe(path);
    const report = await netcdfDecoder.inspect(path);
    if (NO_REGULAR_GRID.has(name)) {
      expect(desc.groups).toEqual([]);
      return;
    }
    expect(desc.groups.length).toBeGreaterThan(0);
    expect(report.fields.length).toBe(desc.groups.reduce((s, g) => s + g.variables.length, 0));
    for (const f of report.fields) {
      const o = oracle.variables.find((v) => v.name === f.name)!.decoded!;
      expect({ name: f.name, count: f.count, missing: f.missing }).toEqual({ name: f.name, count: o.valid, missing: o.missing });
      if (o.valid === 0) continue;
      expect(f.min, `${f.name} min`).toBe(o.min);
      expect(f.max, `${f.name} max`).toBe(o.max);
      expect(close(f.mean!, o.mean!), `${f.name} mean ${f.mean} vs ${o.mean}`).toBe(true);
    }
  });

  it('reads rows whose values at the oracle sample indices equal the decoded samples', async () => {
    desc ??= await netcdfDecoder.describe(path);
    for (const g of desc.groups) {
      const batches = await readAll(path, g.id, g.variables.map((v) => v.name));
      const rows = batches.reduce((s, b) => s + b.numRows, 0);
      expect(rows).toBe(Math.max(1, g.times.length) * Math.max(1, g.levels.length) * g.grid.ny * g.grid.nx);
      for (const v of g.variables) {
        const ov = oracle.variables.find((x) => x.name === v.name)!;
        for (const s of ov.samples ?? []) {
          const expected = oracleNumber(s.decoded);
          const got = valueAt(batches, v.name, s.index);
          if (expected === null || Number.isNaN(expected)) expect(got, `${v.name}[${s.index}]`).toBeNull();
          else expect(close(got!, expected), `${v.name}[${s.index}] ${got} vs ${expected}`).toBe(true);
        }
      }
    }
  });

  it('decodes the time axis to the same instants as cftime', () => {
    for (const g of desc?.groups ?? []) {
      const tv = g.metadata?.['time.variable'];
      if (!tv) continue;
      const ov = oracle.variables.find((x) => x.name === tv)!;
      const units = String(ov.attributes.units ?? '');
      // cftime 1.6.2 ignores a one-digit-hour UTC offset ("-9:00"); CF says it is part of the reference time.
      const offsetIgnoredByOracle = /\s[+-]\d:\d\d$/.test(units);
      for (const s of ov.samples ?? []) {
        if (!s.time_iso) continue;
        const ours = new Date(g.times[ov.shape.length ? s.index : 0]! / 1000).toISOString().replace(/\.000Z$/, '');
        if (offsetIgnoredByOracle) expect(ours).not.toBe(s.time_iso);
        else expect(ours).toBe(s.time_iso.replace(/\.\d+$/, ''));
      }
    }
  });
});
