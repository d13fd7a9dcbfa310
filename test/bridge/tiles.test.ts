import { describe, expect, it } from 'vitest';
import { schemaFor, toRecordBatch } from '../../src/arrow/batch.js';
import { TileAssembler, tileColumns } from '../../src/bridge/tiles.js';
import type { ColumnBatch, ColumnSpec } from '../../src/decoders/types.js';

const points: ColumnSpec[] = [
  { name: 'time', type: 'timestamp_us', nullable: false },
  { name: 'lat', type: 'float64', nullable: false },
  { name: 'lon', type: 'float64', nullable: false },
  { name: 'v', type: 'float32', nullable: true },
];

/** A 2-step window of 5 rows x 3 columns, v = 100*t + 10*y + x, cell (t=1,y=4,x=2) missing. */
function window(): ColumnBatch {
  const n = 2 * 5 * 3;
  const time = new BigInt64Array(n), lat = new Float64Array(n), lon = new Float64Array(n), v = new Float32Array(n);
  const validity = new Uint8Array(4).fill(0xff);
  let i = 0;
  for (let t = 0; t < 2; t++) for (let y = 0; y < 5; y++) for (let x = 0; x < 3; x++, i++) {
    time[i] = BigInt(t); lat[i] = 50 - y; lon[i] = x * 10; v[i] = 100 * t + 10 * y + x;
  }
  validity[29 >> 3]! &= ~(1 << (29 & 7));
  return { numRows: n, columns: [{ name: 'time', values: time, nullCount: 0 }, { name: 'lat', values: lat, nullCount: 0 }, { name: 'lon', values: lon, nullCount: 0 }, { name: 'v', values: v, validity, nullCount: 1 }] };
}

describe('tiles layout', () => {
  it('reshapes a window into NaN-padded chips with bounds, across batch boundaries', () => {
    const asm = new TileAssembler(points, ['v'], { h: 2, w: 2 }, [0, 5], [0, 3]);
    const w = window();
    // Feed in two uneven pieces to cross the slab boundary mid-batch.
    const cut = (s: number, e: number): ColumnBatch => ({ numRows: e - s, columns: w.columns.map((c) => ({ ...c, values: c.values.subarray(s, e), validity: c.validity && s === 0 ? c.validity : undefined, nullCount: s === 0 ? 0 : c.nullCount })) });
    const out = [...asm.push(cut(0, 7)), ...asm.push({ ...w, numRows: 23, columns: w.columns.map((c) => ({ ...c, values: c.values.subarray(7), validity: undefined, nullCount: 0 })) })];
    asm.finish();
    expect(out).toHaveLength(2);
    const [t0] = out;
    expect(t0!.numRows).toBe(6); // ceil(5/2) * ceil(3/2)
    const cols = Object.fromEntries(t0!.columns.map((c) => [c.name, c.values]));
    expect([...(cols.tile_y as Int32Array)]).toEqual([0, 0, 2, 2, 4, 4]);
    expect([...(cols.tile_x as Int32Array)]).toEqual([0, 2, 0, 2, 0, 2]);
    expect([...(cols.lat_max as Float64Array)]).toEqual([50, 50, 48, 48, 46, 46]);
    expect([...(cols.lon_min as Float64Array)]).toEqual([0, 20, 0, 20, 0, 20]);
    const v = cols.v as Float32Array;
    expect([...v.subarray(0, 4)]).toEqual([0, 1, 10, 11]);
    expect([...v.subarray(4, 8)]).toEqual([2, NaN, 12, NaN]); // right edge padded
    expect([...v.subarray(20, 24)]).toEqual([42, NaN, NaN, NaN]); // bottom-right corner
    const schema = schemaFor(tileColumns(points, ['v'], { h: 2, w: 2 }));
    const rb = toRecordBatch(schema, t0!);
    expect(String(rb.schema.fields.at(-1)!.type)).toBe('FixedSizeList[4]<Float32>');
    expect(rb.numRows).toBe(6);
  });

  it('refuses a window that ends mid-slab', () => {
    const asm = new TileAssembler(points, ['v'], { h: 2, w: 2 }, [0, 5], [0, 3]);
    const w = window();
    [...asm.push({ numRows: 4, columns: w.columns.map((c) => ({ name: c.name, values: c.values.subarray(0, 4), nullCount: 0 })) })];
    expect(() => asm.finish()).toThrow(/ended after 4 of 15/);
  });
});
