import { describe, expect, it } from 'vitest';
import { filterRows } from '../../src/workers/row-filter.js';
import type { ColumnBatch } from '../../src/decoders/types.js';

function grid(): ColumnBatch {
  const n = 4 * 3 * 2;
  const time = new BigInt64Array(n), lat = new Float64Array(n), lon = new Float64Array(n), v = new Float32Array(n);
  const validity = new Uint8Array(3).fill(0xff);
  validity[0] = 0b11111110; // row 0 null
  let i = 0;
  for (let t = 0; t < 2; t++) for (const y of [10, 20, 30]) for (const x of [0, 90, 180, 350]) {
    time[i] = BigInt(t * 1_000_000); lat[i] = y; lon[i] = x; v[i] = i; i++;
  }
  return { numRows: n, columns: [{ name: 'time', values: time, nullCount: 0 }, { name: 'lat', values: lat, nullCount: 0 }, { name: 'lon', values: lon, nullCount: 0 }, { name: 'v', values: v, validity, nullCount: 1 }] };
}

describe('exact row filter', () => {
  it('returns the batch untouched when every row passes', () => {
    const b = grid();
    expect(filterRows(b, { bbox: [-180, -90, 360, 90] })).toBe(b);
    expect(filterRows(b, {})).toBe(b);
  });

  it('keeps rows inside bbox (longitudes modulo 360) and time range, with validity', () => {
    const out = filterRows(grid(), { bbox: [-20, 10, 10, 20], endUs: 0 });
    expect(out.numRows).toBe(4); // lat 10,20 x lon 0,350(-10) x t=0
    expect([...(out.columns[2]!.values as Float64Array)]).toEqual([0, 350, 0, 350]);
    expect([...(out.columns[3]!.values as Float32Array)]).toEqual([0, 3, 4, 7]);
    expect(out.columns[3]!.nullCount).toBe(1);
    expect(out.columns[3]!.validity![0]! & 1).toBe(0);
  });

  it('filters by time alone', () => {
    expect(filterRows(grid(), { startUs: 1_000_000 }).numRows).toBe(12);
    expect(filterRows(grid(), { startUs: 2_000_000 }).numRows).toBe(0);
  });

  it('crosses the antimeridian (west > east) and compacts several runs', () => {
    const out = filterRows(grid(), { bbox: [170, 15, -5, 90] });
    // lon 180 and 350 (= -10) lie in 170..-5 across the seam; lat 20 and 30; both times.
    expect(out.numRows).toBe(8);
    expect([...(out.columns[2]!.values as Float64Array)]).toEqual([180, 350, 180, 350, 180, 350, 180, 350]);
    expect([...(out.columns[3]!.values as Float32Array)]).toEqual([6, 7, 10, 11, 18, 19, 22, 23]);
    expect(out.columns[3]!.nullCount).toBe(0);
    expect([...(out.columns[0]!.values as BigInt64Array)].map(Number)).toEqual([0, 0, 0, 0, 1e6, 1e6, 1e6, 1e6]);
  });
});
