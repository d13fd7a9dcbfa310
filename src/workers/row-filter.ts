/**
 * Exact row filtering by bbox, time, level and ensemble member, run in the decode worker right after decoding so the
 * event loop never touches rows. Partitions are planned on whole rows/columns of the grid, so a
 * window may hold cells just outside the query; this drops them so that what a client gets
 * equals the query, whatever the grid. Batches that pass whole are returned untouched (no copy);
 * others are compacted run by run (kept rows come in runs along x), with typed-array copies.
 */
import type { BBox } from '../catalog/types.js';
import type { ColumnBatch, ColumnData, ColumnValues } from '../decoders/types.js';
import { lonOverlaps } from '../geo/longitude.js';

export interface RowFilter {
  bbox?: BBox;
  startUs?: number;
  endUs?: number;
  /** Values of the `level` column to keep: a closed range or a sorted list. */
  levels?: { min?: number; max?: number } | number[];
  /** Values of the `number` (ensemble member) column to keep. */
  numbers?: number[];
}

export function hasFilter(f: RowFilter): boolean {
  return f.bbox !== undefined || f.startUs !== undefined || f.endUs !== undefined || f.levels !== undefined || f.numbers !== undefined;
}

/**
 * The batch with only the named columns, in the batch's order (no copy). Pruning happens after
 * the exact row filter, which may need coordinates the client did not ask for; an empty list
 * keeps the row count with no columns (a count needs nothing else).
 */
export function projectBatch(batch: ColumnBatch, keep: ReadonlySet<string>): ColumnBatch {
  return { numRows: batch.numRows, columns: batch.columns.filter((c) => keep.has(c.name)) };
}

export function filterRows(batch: ColumnBatch, f: RowFilter): ColumnBatch {
  if (!hasFilter(f) || batch.numRows === 0) return batch;
  const col = (name: string): ColumnValues | undefined => batch.columns.find((c) => c.name === name)?.values;
  const lat = f.bbox ? (col('lat') as Float64Array | undefined) : undefined;
  const lon = f.bbox ? (col('lon') as Float64Array | undefined) : undefined;
  const time = col('time') as BigInt64Array | undefined;
  // Microsecond times fit in 53 bits: compare the two 32-bit halves as one exact double, no BigInt.
  const t32 = time && (f.startUs !== undefined || f.endUs !== undefined) ? new Int32Array(time.buffer, time.byteOffset, time.length * 2) : undefined;
  const level = f.levels ? (col('level') as Float64Array | undefined) : undefined;
  const levelList = Array.isArray(f.levels) ? new Set(f.levels) : undefined;
  const levelMin = f.levels && !Array.isArray(f.levels) ? (f.levels.min ?? -Infinity) : -Infinity;
  const levelMax = f.levels && !Array.isArray(f.levels) ? (f.levels.max ?? Infinity) : Infinity;
  const numberCol = f.numbers ? batch.columns.find((c) => c.name === 'number') : undefined;
  const numbers = f.numbers ? new Set(f.numbers) : undefined;
  const start = f.startUs ?? -Infinity;
  const end = f.endUs ?? Infinity;
  const [west, south, east, north] = f.bbox ?? [0, 0, 0, 0];
  const n = batch.numRows;
  const runs: number[] = []; // [start, end) pairs of kept rows
  let kept = 0;
  let runStart = -1;
  for (let i = 0; i < n; i++) {
    let ok = true;
    if (lat && lon) {
      const y = lat[i]!;
      const x = lon[i]!;
      ok = y >= south && y <= north && lonOverlaps(x, x, west, east);
    }
    if (ok && t32) {
      const t = t32[2 * i + 1]! * 4294967296 + (t32[2 * i]! >>> 0);
      ok = t >= start && t <= end;
    }
    if (ok && level) {
      const v = level[i]!;
      ok = levelList ? levelList.has(v) : v >= levelMin && v <= levelMax;
    }
    if (ok && numbers) {
      // A row without a member (null) matches no requested member.
      ok = !!numberCol && (!numberCol.validity || numberCol.nullCount === 0 || (numberCol.validity[i >> 3]! & (1 << (i & 7))) !== 0) && numbers.has(numberCol.values[i] as number);
    }
    if (ok) {
      kept++;
      if (runStart < 0) runStart = i;
    } else if (runStart >= 0) {
      runs.push(runStart, i);
      runStart = -1;
    }
  }
  if (runStart >= 0) runs.push(runStart, n);
  if (kept === n) return batch;
  return { numRows: kept, columns: batch.columns.map((c) => compact(c, runs, kept, n)) };
}

function compact(c: ColumnData, runs: number[], kept: number, rows: number): ColumnData {
  const per = c.values.length / rows; // list columns hold several values per row
  const Ctor = c.values.constructor as new (n: number) => ColumnValues;
  const out = new Ctor(kept * per);
  let j = 0;
  for (let r = 0; r < runs.length; r += 2) {
    const a = runs[r]!;
    const b = runs[r + 1]!;
    (out as Float64Array).set((c.values as Float64Array).subarray(a * per, b * per), j * per);
    j += b - a;
  }
  if (!c.validity || c.nullCount === 0) return { name: c.name, values: out, nullCount: 0 };
  const validity = new Uint8Array((kept + 7) >> 3);
  let valid = 0;
  j = 0;
  for (let r = 0; r < runs.length; r += 2) {
    for (let i = runs[r]!; i < runs[r + 1]!; i++, j++) {
      if (c.validity[i >> 3]! & (1 << (i & 7))) {
        validity[j >> 3]! |= 1 << (j & 7);
        valid++;
      }
    }
  }
  return { name: c.name, values: out, validity, nullCount: kept - valid };
}
