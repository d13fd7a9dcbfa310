/**
 * Exact row filtering by bbox and time. Partitions are planned on whole rows/columns of the grid,
 * so a window may hold cells just outside the query; this drops them so that what a client gets
 * equals the query, whatever the grid. Batches that pass whole are returned untouched (no copy).
 */
import type { BBox } from '../catalog/types.js';
import type { ColumnBatch, ColumnData, ColumnValues } from '../decoders/types.js';
import { lonOverlaps } from '../partitioner/plan.js';

export interface RowFilter {
  bbox?: BBox;
  startUs?: number;
  endUs?: number;
}

export function hasFilter(f: RowFilter): boolean {
  return f.bbox !== undefined || f.startUs !== undefined || f.endUs !== undefined;
}

export function filterRows(batch: ColumnBatch, f: RowFilter): ColumnBatch {
  if (!hasFilter(f) || batch.numRows === 0) return batch;
  const col = (name: string): ColumnValues | undefined => batch.columns.find((c) => c.name === name)?.values;
  const lat = col('lat') as Float64Array | undefined;
  const lon = col('lon') as Float64Array | undefined;
  const time = col('time') as BigInt64Array | undefined;
  const n = batch.numRows;
  const keep = new Uint8Array(n);
  let kept = 0;
  const start = f.startUs !== undefined ? BigInt(Math.round(f.startUs)) : undefined;
  const end = f.endUs !== undefined ? BigInt(Math.round(f.endUs)) : undefined;
  for (let i = 0; i < n; i++) {
    let ok = true;
    if (f.bbox && lat && lon) {
      const y = lat[i]!;
      const x = lon[i]!;
      ok = y >= f.bbox[1] && y <= f.bbox[3] && lonOverlaps(x, x, f.bbox[0], f.bbox[2]);
    }
    if (ok && time) {
      const t = time[i]!;
      if ((start !== undefined && t < start) || (end !== undefined && t > end)) ok = false;
    }
    if (ok) {
      keep[i] = 1;
      kept++;
    }
  }
  if (kept === n) return batch;
  return { numRows: kept, columns: batch.columns.map((c) => compact(c, keep, kept)) };
}

function compact(c: ColumnData, keep: Uint8Array, kept: number): ColumnData {
  const Ctor = c.values.constructor as new (n: number) => ColumnValues;
  const out = new Ctor(kept);
  const src = c.values;
  const validity = c.validity && c.nullCount > 0 ? new Uint8Array((kept + 7) >> 3) : undefined;
  let j = 0;
  let valid = 0;
  for (let i = 0; i < keep.length; i++) {
    if (!keep[i]) continue;
    (out as unknown as { [k: number]: number | bigint })[j] = (src as unknown as { [k: number]: number | bigint })[i]!;
    if (validity && c.validity![i >> 3]! & (1 << (i & 7))) {
      validity[j >> 3]! |= 1 << (j & 7);
      valid++;
    }
    j++;
  }
  if (!validity) return { name: c.name, values: out, nullCount: 0 };
  return { name: c.name, values: out, validity, nullCount: kept - valid };
}
