/**
 * Row order and the array layout: batches of any size concatenate to the same rows in C order
 * over (time, level, y, x); array groups (no lat/lon axes) carry one coordinate column per
 * dimension and read windows that equal slices of the whole.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { netcdfDecoder } from '../../../src/decoders/netcdf/index.js';
import type { ColumnBatch, ReadSelection } from '../../../src/decoders/types.js';
import { repoRoot } from '../../support/corpus.js';

const levels = join(repoRoot, 'samples/era5-pressure-levels/test4.nc');
const groups = join(repoRoot, 'test/fixtures/netcdf/ref_groups.h5');
const classic = join(repoRoot, 'test/fixtures/netcdf/ref_nctest_classic.nc');
const planet = join(repoRoot, 'test/fixtures/netcdf/PLANET_SCOPE_3D.nc');

async function columns(path: string, sel: ReadSelection): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for await (const b of netcdfDecoder.read(path, sel) as AsyncIterable<ColumnBatch>) {
    for (const c of b.columns) {
      const vals = Array.from(c.values as ArrayLike<number | bigint>, (v, i) => (c.validity && !(c.validity[i >> 3]! & (1 << (i & 7))) ? NaN : Number(v)));
      const dst = (out[c.name] ??= []);
      for (const v of vals) dst.push(v);
    }
  }
  return out;
}

describe('points layout', () => {
  it('gives the same rows in the same order whatever the batch size (levels split into y bands)', async () => {
    const desc = await netcdfDecoder.describe(levels);
    const g = desc.groups.find((x) => x.levels.length > 1)!;
    expect(g).toBeDefined();
    const sel = { group: g.id, variables: g.variables.map((v) => v.name) };
    const whole = await columns(levels, sel);
    const small = await columns(levels, { ...sel, maxBatchBytes: 64 * g.grid.nx });
    expect(small).toEqual(whole);
    // C order: level changes slower than latitude.
    const lv = whole.level!;
    const firstChange = lv.findIndex((v) => v !== lv[0]);
    expect(firstChange).toBe(g.grid.ny * g.grid.nx);
  });
});

describe('array layout', () => {
  it('names sub-group variables by path and numbers phony dimensions like netCDF-C', async () => {
    const desc = await netcdfDecoder.describe(groups);
    const names = desc.groups.flatMap((g) => g.variables.map((v) => v.name)).sort();
    expect(names).toEqual(['MyGroup/Group_A/dset2', 'MyGroup/dset1']);
    const g = desc.groups.find((x) => x.variables[0]!.name === 'MyGroup/dset1')!;
    expect(g.grid.kind).toBe('array');
    // A 3 x 3 dataset gets two distinct phony dimensions of length 3.
    expect(g.coordinates.map((c) => c.name)).toEqual(['MyGroup/phony_dim_2', 'MyGroup/phony_dim_3']);
    expect(g.coordinates.every((c) => c.type === 'int32' && c.metadata?.role === 'index')).toBe(true);
  });

  it('emits index columns that unravel the flat C order', async () => {
    const desc = await netcdfDecoder.describe(classic);
    const g = desc.groups.find((x) => x.variables.some((v) => v.name === 'floatvar'))!;
    expect(g.coordinates.map((c) => c.name)).toEqual(['w', 'x', 'y', 'z']);
    expect([g.grid.ny, g.grid.nx]).toEqual([7, 5 * 6 * 4]);
    const cols = await columns(classic, { group: g.id, variables: ['floatvar'] });
    expect(cols.floatvar!.length).toBe(7 * 5 * 6 * 4);
    const i = 3 * 120 + 2 * 24 + 5 * 4 + 1;
    expect([cols.w![i], cols.x![i], cols.y![i], cols.z![i]]).toEqual([3, 2, 5, 1]);
  });

  it('reads y and x windows equal to slices of the whole', async () => {
    const desc = await netcdfDecoder.describe(classic);
    const g = desc.groups.find((x) => x.variables.some((v) => v.name === 'shortvar'))!;
    const whole = await columns(classic, { group: g.id, variables: ['shortvar'] });
    const part = await columns(classic, { group: g.id, variables: ['shortvar'], y: [2, 5], x: [10, 30] });
    const expected: number[] = [];
    for (let r = 2; r < 5; r++) for (let c = 10; c < 30; c++) expected.push(whole.shortvar![r * 120 + c]!);
    expect(part.shortvar).toEqual(expected);
    expect(part.y!.length).toBe(60);
  });

  it('gives a grid with 1-D x/y and a grid mapping per-cell lat/lon, keeping native x/y and the time axis', async () => {
    const desc = await netcdfDecoder.describe(planet);
    const g = desc.groups.find((x) => x.variables.some((v) => v.name === 'blue'))!;
    expect(g.grid.kind).toBe('projected');
    expect(g.coordinates.map((c) => c.name)).toEqual(['time', 'lat', 'lon', 'x', 'y']);
    expect(g.times.length).toBe(2);
    const cols = await columns(planet, { group: g.id, variables: ['blue'], time: [1, 2] });
    expect(cols.blue!.length).toBe(100);
    expect(new Set(cols.time).size).toBe(1);
    expect(cols.x!.slice(0, 10).every((v, i, a) => i === 0 || v > a[i - 1]!)).toBe(true);
    expect(cols.lat!.every((v) => v > -17.33 && v < -17.32)).toBe(true);
  });

  it('keeps coordinate-less arrays out of any bbox (no lat/lon extents)', async () => {
    const desc = await netcdfDecoder.describe(classic);
    const g = desc.groups.find((x) => x.variables.some((v) => v.name === 'floatvar'))!;
    expect(g.grid.rowLat).toEqual([]);
    expect(g.coordinates.some((c) => c.name === 'lat')).toBe(false);
  });
});

describe('model calendars', () => {
  const path = join(repoRoot, 'test/fixtures/netcdf/calendar_360_day.nc');

  it('maps 360_day dates to increasing timestamps and keeps the original values as time_value', async () => {
    const desc = await netcdfDecoder.describe(path);
    const g = desc.groups.find((x) => x.variables.some((v) => v.name === 'tas'))!;
    expect(g.coordinates.map((c) => c.name)).toEqual(['time', 'time_value', 'lat', 'lon']);
    expect(g.coordinates[1]!.metadata).toMatchObject({ units: 'days since 2000-01-01 00:00:00', calendar: '360_day' });
    const cols = await columns(path, { group: g.id, variables: ['tas'] });
    const perStep = 3 * 4;
    expect([0, 1, 2, 3].map((t) => cols.time_value![t * perStep])).toEqual([0, 59, 59.5, 359]);
    const t = [0, 1, 2, 3].map((k) => cols.time![k * perStep]!);
    expect(t.every((v, i) => i === 0 || v > t[i - 1]!)).toBe(true);
    // February 30 (day 59 of a 360-day year) falls on the same fraction of the real year 2000.
    expect(new Date(t[1]! / 1000).toISOString().slice(0, 10)).toBe(new Date(Date.UTC(2000, 0, 1) + (59 / 360) * 366 * 86_400_000).toISOString().slice(0, 10));
  });
});
