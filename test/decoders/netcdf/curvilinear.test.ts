/**
 * Curvilinear grids (2-D latitude/longitude named by CF `coordinates`, as in satellite swaths):
 * per-cell lat/lon in the points layout, statistics equal to netCDF4-python, and a bbox query
 * (planner on row/column extents, then the exact row filter) returning exactly the cells that
 * numpy selects inside the bbox. Fixture and oracle: scripts/gen-curvilinear-fixture.py.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { filterRows } from '../../../src/workers/row-filter.js';
import { netcdfDecoder } from '../../../src/decoders/netcdf/index.js';
import type { ColumnBatch } from '../../../src/decoders/types.js';
import { plan } from '../../../src/partitioner/plan.js';
import { valueAt } from '../../support/batches.js';
import { repoRoot } from '../../support/corpus.js';

const path = join(repoRoot, 'test/fixtures/netcdf/curvilinear_swath.nc');
interface Oracle {
  variables: Array<{ decoded: { valid: number; missing: number; min: number; max: number; mean: number }; samples: Array<{ index: number; decoded: number | null; lat: number; lon: number }> }>;
  bbox: { bbox: [number, number, number, number]; cells: number; valid: number; sum: number };
  lat_range: [number, number];
}
const oracle = JSON.parse(readFileSync(`${path}.oracle.json`, 'utf8')) as Oracle;


describe('curvilinear NetCDF (2-D latitude/longitude)', () => {
  it('describes a curvilinear points group with per-row latitude extents', async () => {
    const desc = await netcdfDecoder.describe(path);
    const g = desc.groups.find((x) => x.variables.some((v) => v.name === 'sst'))!;
    expect(g.grid.kind).toBe('curvilinear');
    expect(g.coordinates.map((c) => c.name)).toEqual(['time', 'lat', 'lon']);
    expect(g.coordinates.find((c) => c.name === 'lat')!.metadata!.source).toBe('latitude');
    expect(Math.min(...g.grid.rowLat.map((r) => r[0]))).toBe(oracle.lat_range[0]);
    expect(Math.max(...g.grid.rowLat.map((r) => r[1]))).toBe(oracle.lat_range[1]);
  });

  it('inspects and reads values with each cell\'s own lat/lon, equal to netCDF4-python', async () => {
    const o = oracle.variables[0]!;
    const f = (await netcdfDecoder.inspect(path)).fields.find((x) => x.name === 'sst')!;
    expect([f.count, f.missing, f.min, f.max]).toEqual([o.decoded.valid, o.decoded.missing, o.decoded.min, o.decoded.max]);
    expect(f.mean).toBeCloseTo(o.decoded.mean, 9);
    const desc = await netcdfDecoder.describe(path);
    const g = desc.groups.find((x) => x.variables.some((v) => v.name === 'sst'))!;
    const batches: ColumnBatch[] = [];
    for await (const b of netcdfDecoder.read(path, { group: g.id, variables: ['sst'], maxBatchBytes: 2048 })) batches.push(b);
    expect(batches.length).toBeGreaterThan(2);
    for (const s of o.samples) {
      expect(valueAt(batches, 'lat', s.index)).toBe(s.lat);
      expect(valueAt(batches, 'lon', s.index)).toBe(s.lon);
      if (s.decoded === null) expect(valueAt(batches, 'sst', s.index)).toBeNull();
      else expect(valueAt(batches, 'sst', s.index)).toBeCloseTo(s.decoded, 9);
    }
  });

  it('a bbox query returns exactly the cells inside the bbox', async () => {
    const desc = await netcdfDecoder.describe(path);
    const bbox = oracle.bbox.bbox;
    const p = plan([{ key: 'swath', description: desc }], { bbox, variables: ['sst'] }, 100);
    expect(p.group.grid.kind).toBe('curvilinear');
    let cells = 0;
    let valid = 0;
    let sum = 0;
    for (const part of p.partitions) {
      for await (const raw of netcdfDecoder.read(path, { group: part.group, variables: part.variables, time: part.time, level: part.level, y: part.y, x: part.x })) {
        const b = filterRows(raw, { bbox });
        const c = b.columns.find((x) => x.name === 'sst')!;
        cells += b.numRows;
        for (let i = 0; i < b.numRows; i++) {
          if (c.validity && !(c.validity[i >> 3]! & (1 << (i & 7)))) continue;
          valid++;
          sum += Number(c.values[i]);
        }
      }
    }
    expect(cells).toBe(oracle.bbox.cells);
    expect(valid).toBe(oracle.bbox.valid);
    expect(sum).toBeCloseTo(oracle.bbox.sum, 6);
    // Planning pruned rows: fewer rows read than the whole swath.
    expect(p.totalRows).toBeLessThan(desc.groups.find((g) => g.id === p.group.id)!.grid.ny * 20 * 2);
  });
});
