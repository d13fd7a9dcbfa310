/**
 * Window reads of array-layout groups (no lat/lon axes): per time step, bands of y rows, each
 * row all of x (C order over the remaining dimensions), with one coordinate column per dimension.
 */
import { cfPacking, decodeCf } from '../cf/packing.js';
import type { NcArray } from '../cf/variable.js';
import { asDecodeError } from '../errors.js';
import type { ColumnBatch, ColumnData, IndexRange, ReadSelection } from '../types.js';
import { axisRange, DEFAULT_BATCH_BYTES } from '../window.js';
import type { ArrayLayout, Grouping } from './layout.js';
import { openBackend } from './open.js';
import { breathe } from '../pread.js';
import { timeColumns } from './time-columns.js';

export async function* readArrayWindow(path: string, g: Grouping & { layout: ArrayLayout }, sel: ReadSelection): AsyncGenerator<ColumnBatch> {
  const { group, layout } = g;
  const nt = layout.hasTime ? group.times.length : 1;
  const t = axisRange(sel.time, nt, 'time', path);
  const y = axisRange(sel.y, group.grid.ny, 'y', path);
  const x = axisRange(sel.x, group.grid.nx, 'x', path);
  const nxAll = group.grid.nx;
  const nx = x[1] - x[0];
  const cols = layout.dimColumns;
  const rowBytes = 8 + 8 * cols.length + sel.variables.reduce((s, n) => s + (group.variables.find((v) => v.name === n)!.type === 'float32' ? 4 : 8), 0);
  const bandRows = Math.max(1, Math.floor((sel.maxBatchBytes ?? DEFAULT_BATCH_BYTES) / rowBytes / Math.max(1, nxAll)));
  // Strides of the flattened x dimensions, to unravel a flat x index into per-dimension indices.
  const xCols = cols.slice(1);
  const xStrides = xCols.map((_, i) => xCols.slice(i + 1).reduce((p, c) => p * c.size, 1));
  const b = await openBackend(path);
  try {
    const vars = sel.variables.map((n) => b.variables.find((v) => v.name === n)!);
    const packings = vars.map((v) => cfPacking(v));
    for (let ti = t[0]; ti < t[1]; ti++) {
      for (let y0 = y[0]; y0 < y[1]; y0 += bandRows) {
        const y1 = Math.min(y[1], y0 + bandRows);
        const ny = y1 - y0;
        const rows = ny * nx;
        const columns: ColumnData[] = [];
        if (group.times.length > 0) columns.push(...timeColumns(g, layout.hasTime ? ti : 0, rows));
        cols.forEach((c, ci) => {
          const out = c.values ? new Float64Array(rows) : new Int32Array(rows);
          let k = 0;
          for (let yi = y0; yi < y1; yi++) {
            for (let xi = x[0]; xi < x[1]; xi++, k++) {
              const idx = ci === 0 ? yi : Math.floor(xi / xStrides[ci - 1]!) % c.size;
              out[k] = c.values ? c.values[idx]! : idx;
            }
          }
          columns.push({ name: c.name, values: out, nullCount: 0 });
        });
        for (let k = 0; k < vars.length; k++) {
          const v = vars[k]!;
          const start = v.dims.map(() => 0);
          const count = [...v.shape];
          let d = 0;
          if (layout.hasTime) (start[d] = ti), (count[d++] = 1);
          if (d < v.dims.length) (start[d] = y0), (count[d] = ny);
          let raw: NcArray = await b.read(v.name, start, count);
          if (nx !== nxAll) raw = takeColumns(raw, ny, nxAll, x);
          const dec = decodeCf(raw, packings[k]!);
          columns.push({ name: v.name, values: dec.values, validity: dec.validity, nullCount: dec.nullCount });
        }
        yield { numRows: rows, columns };
        await breathe();
      }
    }
  } catch (e) {
    throw asDecodeError(path, e, 'read failed');
  } finally {
    await b.close();
  }
}

/** The [x0, x1) part of each of `ny` rows of `nxAll` values. */
function takeColumns(raw: NcArray, ny: number, nxAll: number, x: IndexRange): NcArray {
  const nx = x[1] - x[0];
  const Ctor = raw.constructor as new (n: number) => NcArray;
  const out = new Ctor(ny * nx);
  for (let r = 0; r < ny; r++) (out as Float64Array).set((raw as Float64Array).subarray(r * nxAll + x[0], r * nxAll + x[1]), r * nx);
  return out;
}
