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
  group?: string;
  dimensions: string[];
  shape: number[];
  attributes: Record<string, unknown>;
  decoded?: { dtype: string | null; missing: number; valid: number; min?: number | string; max?: number | string; mean?: number };
  samples?: Array<{ index: number; decoded: number | string | null; time_iso?: string }>;
}
interface Oracle { variables: OracleVar[] }

const SAMPLES = [
  ['cmems_mod_glo_phy-cur_anfc_0.083deg_P1D-m_2024-01_1deg_5day.nc', 'samples/cmems-currents'],
  ['test4.nc', 'samples/era5-pressure-levels'],
  ['air.nc', 'samples/ncep-air'],
] as const;

/** Fixtures with their data in test/fixtures/netcdf (array layout, groups, classic types). */
const FIXTURES = ['ref_groups.h5', 'ref_nctest_classic.nc', 'PLANET_SCOPE_3D.nc'];

const fixtureDir = join(repoRoot, 'test/fixtures/netcdf');
const files = corpusFiles('netcdf').length
  ? corpusFiles('netcdf')
  : [
      ...SAMPLES.map(([name, dir]) => ({ name, path: join(repoRoot, dir, name), oracle: join(fixtureDir, `${name}.oracle.json`) })),
      ...FIXTURES.map((name) => ({ name, path: join(fixtureDir, name), oracle: join(fixtureDir, `${name}.oracle.json`) })),
    ];

/** Our name of an oracle variable: sub-group variables are named by their path. */
function ourName(v: OracleVar): string {
  return v.group && v.group !== '/' ? `${v.group.slice(1)}/${v.name}` : v.name;
}

/** A coordinate variable (1-D, named like its dimension) becomes a coordinate column, not a field. */
function isCoordinate(v: OracleVar): boolean {
  return v.dimensions.length === 1 && v.dimensions[0] === v.name;
}

/** Epoch microseconds as cftime prints them: YYYY-MM-DDTHH:MM:SS.ffffff. */
function isoMicros(us: number): string {
  const ms = Math.floor(us / 1000);
  const micro = ((us % 1_000_000) + 1_000_000) % 1_000_000;
  return `${new Date(ms).toISOString().slice(0, 19)}.${String(micro).padStart(6, '0')}`;
}

function close(a: number, b: number): boolean {
  return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

function oracleNumber(v: number | string | null): number | null {
  if (v === null || v === '--' || v === 'masked') return null;
  if (typeof v === 'string') return v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : Number(v);
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

  it('describes and inspects every variable equal to netCDF4-python mask-and-scale', async () => {
    desc = await netcdfDecoder.describe(path);
    const report = await netcdfDecoder.inspect(path);
    expect(report.fields.length).toBe(desc.groups.reduce((s, g) => s + g.variables.length, 0));
    const skipped = desc.attributes['wekeo.skipped_variables'] ?? '';
    // Every variable is accounted for: a field, a coordinate column, or text (netCDF char data, not numbers).
    for (const ov of oracle.variables) {
      const name = ourName(ov);
      const field = report.fields.find((f) => f.name === name);
      if (field || isCoordinate(ov)) continue;
      expect(ov.decoded?.dtype ?? null, `${name} is neither a field nor a coordinate nor text`).toBeNull();
      expect(skipped, `${name} is text`).toContain(`${name}(text)`);
    }
    for (const f of report.fields) {
      const o = oracle.variables.find((v) => ourName(v) === f.name)!.decoded!;
      expect({ name: f.name, count: f.count, missing: f.missing }).toEqual({ name: f.name, count: o.valid, missing: o.missing });
      if (o.valid === 0) continue;
      expect(f.min, `${f.name} min`).toBe(oracleNumber(o.min!));
      expect(f.max, `${f.name} max`).toBe(oracleNumber(o.max!));
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
        const ov = oracle.variables.find((x) => ourName(x) === v.name)!;
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
      const ov = oracle.variables.find((x) => ourName(x) === tv)!;
      const units = String(ov.attributes.units ?? '');
      // cftime 1.6.2 ignores a one-digit-hour UTC offset ("-9:00"); CF says it is part of the reference time.
      const offsetIgnoredByOracle = /\s[+-]\d:\d\d$/.test(units);
      for (const s of ov.samples ?? []) {
        if (!s.time_iso) continue;
        const ours = isoMicros(g.times[ov.shape.length ? s.index : 0]!);
        const theirs = /\.\d+$/.test(s.time_iso) ? s.time_iso.padEnd(26, '0') : `${s.time_iso}.000000`;
        if (offsetIgnoredByOracle) expect(ours).not.toBe(theirs);
        else expect(ours).toBe(theirs);
      }
    }
  });
});
