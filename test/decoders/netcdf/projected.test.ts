/**
 * Projected NetCDF grids (1-D x/y coordinates with a CF grid_mapping or a GDAL WKT): per-cell
 * latitude/longitude equal to GDAL/PROJ through GDAL's netCDF driver
 * (scripts/gen-netcdf-projected-oracle.py), native x/y kept, and a bbox query that keeps only
 * cells inside it. Covers UTM (WKT), geostationary scan angles and polar stereographic in km.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { filterRows } from '../../../src/workers/row-filter.js';
import { netcdfDecoder } from '../../../src/decoders/netcdf/index.js';
import type { ColumnBatch } from '../../../src/decoders/types.js';
import { plan } from '../../../src/partitioner/plan.js';
import { valueAt } from '../../support/batches.js';
import { corpusDir, repoRoot } from '../../support/corpus.js';

interface Point { row: number; col: number; lat: number; lon: number }
const oracle = JSON.parse(readFileSync(join(repoRoot, 'test/fixtures/netcdf/projected-latlon.oracle.json'), 'utf8')) as { files: Record<string, { variable: string; points: Point[] }> };

function locate(name: string): string | null {
  const fixture = join(repoRoot, 'test/fixtures/netcdf', name);
  if (existsSync(fixture)) return fixture;
  const dir = corpusDir();
  return dir ? join(dir, 'netcdf', name) : null;
}

async function firstStep(path: string, variable: string): Promise<{ batches: ColumnBatch[]; nx: number; group: string }> {
  const desc = await netcdfDecoder.describe(path);
  const g = desc.groups.find((x) => x.variables.some((v) => v.name === variable))!;
  expect(g.grid.kind).toBe('projected');
  expect(g.coordinates.map((c) => c.name)).toEqual([...(g.times.length ? ['time'] : []), 'lat', 'lon', 'x', 'y']);
  const batches: ColumnBatch[] = [];
  for await (const b of netcdfDecoder.read(path, { group: g.id, variables: [variable], time: g.times.length ? [0, 1] : undefined })) batches.push(b);
  return { batches, nx: g.grid.nx, group: g.id };
}


describe.each(Object.entries(oracle.files))('projected NetCDF %s', (name, o) => {
  it('gives GDAL/PROJ latitude/longitude for each sample cell', async () => {
    const path = locate(name);
    if (!path) return;
    const { batches, nx } = await firstStep(path, o.variable);
    for (const p of o.points) {
      const k = p.row * nx + p.col;
      // GDAL places cells from a regular geotransform fitted to the (float32) coordinates: 1e-5 degrees is about a metre.
      expect(Math.abs(valueAt(batches, 'lat', k)! - p.lat), `${name} lat at ${p.row},${p.col}`).toBeLessThan(1e-5);
      if (Math.abs(p.lat) > 89.9) continue; // longitude is arbitrary at the pole
      const dlon = Math.abs(((valueAt(batches, 'lon', k)! - p.lon + 540) % 360) - 180);
      expect(dlon, `${name} lon at ${p.row},${p.col}`).toBeLessThan(1e-5);
    }
  });
});

it('a bbox query on a polar stereographic grid returns exactly the cells inside it', async () => {
  const path = join(repoRoot, 'test/fixtures/netcdf/polar_stereographic.nc');
  const desc = await netcdfDecoder.describe(path);
  const { batches } = await firstStep(path, 'siconc');
  const bbox: [number, number, number, number] = [-60, 75, -20, 85];
  let expected = 0;
  for (const b of batches) {
    const lat = b.columns.find((c) => c.name === 'lat')!.values as Float64Array;
    const lon = b.columns.find((c) => c.name === 'lon')!.values as Float64Array;
    for (let i = 0; i < b.numRows; i++) if (lat[i]! >= 75 && lat[i]! <= 85 && lon[i]! >= -60 && lon[i]! <= -20) expected++;
  }
  expect(expected).toBeGreaterThan(10);
  const g = desc.groups.find((x) => x.variables.some((v) => v.name === 'siconc'))!;
  const p = plan([{ key: 'arctic', description: desc }], { bbox, variables: ['siconc'], endUs: g.times[0] }, 1_000_000);
  let got = 0;
  for (const part of p.partitions) {
    for await (const raw of netcdfDecoder.read(path, { group: part.group, variables: part.variables, time: part.time, level: part.level, y: part.y, x: part.x })) got += filterRows(raw, { bbox }).numRows;
  }
  expect(got).toBe(expected);
  expect(p.totalRows).toBeLessThan(24 * 30);
});
