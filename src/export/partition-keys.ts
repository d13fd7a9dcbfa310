/**
 * Hive partition keys of exported rows: `time_bucket` from the `time` column (day, month or
 * year, UTC) and, for large grids, `lat_band` (the lower edge, in degrees, of a band of
 * latitudes, from `lat` or, in the tiles layout, `lat_min`). A batch is cut into runs of rows
 * sharing one key, which stay zero-copy slices of the batch.
 */
import type { RecordBatch } from 'apache-arrow';

export type PartitionBy = 'day' | 'month' | 'year';

export interface KeyOptions {
  partitionBy: PartitionBy;
  /** Width of latitude bands in degrees; 0 for no band key. */
  latBand: number;
}

export interface KeyRun {
  /** Relative directory, e.g. `time_bucket=2024-01/lat_band=30`. */
  dir: string;
  offset: number;
  length: number;
}

const US_PER_DAY = 86_400_000_000n;

function bucketOfDay(day: number, by: PartitionBy): string {
  const iso = new Date(day * 86_400_000).toISOString();
  return by === 'day' ? iso.slice(0, 10) : by === 'month' ? iso.slice(0, 7) : iso.slice(0, 4);
}

/** Runs of consecutive rows with the same partition directory. */
export function keyRuns(batch: RecordBatch, opts: KeyOptions): KeyRun[] {
  const n = batch.numRows;
  if (n === 0) return [];
  const time = batch.getChild('time');
  const latName = batch.schema.fields.some((f) => f.name === 'lat') ? 'lat' : batch.schema.fields.some((f) => f.name === 'lat_min') ? 'lat_min' : null;
  const lat = opts.latBand > 0 && latName ? batch.getChild(latName) : null;
  // A record batch's column is one Data chunk whose values are already sliced to the batch.
  const times = time ? (time.data[0]!.values as BigInt64Array) : null;
  const lats = lat ? (lat.data[0]!.values as Float64Array) : null;
  const timeNulls = time?.nullCount ?? 0;
  const latNulls = lat?.nullCount ?? 0;

  const runs: KeyRun[] = [];
  let prevDay: bigint | null | undefined;
  let prevT: bigint | null | undefined;
  let day: bigint | null = null;
  let prevBand: number | null | undefined;
  let bucket = '';
  for (let i = 0; i < n; i++) {
    const t = times && (timeNulls === 0 || time!.isValid(i)) ? times[i]! : null;
    // Rows come grouped by time: the (BigInt) day is computed only when the time changes.
    if (t !== prevT) {
      prevT = t;
      day = t === null ? null : t >= 0n ? t / US_PER_DAY : (t - US_PER_DAY + 1n) / US_PER_DAY;
    }
    const l = lats && (latNulls === 0 || lat!.isValid(i)) ? lats[i]! : null;
    const band = l === null || Number.isNaN(l) ? null : Math.floor(l / opts.latBand) * opts.latBand;
    if (i > 0 && day === prevDay && band === prevBand) continue;
    if (day !== prevDay) bucket = day === null ? '__HIVE_DEFAULT_PARTITION__' : bucketOfDay(Number(day), opts.partitionBy);
    prevDay = day;
    prevBand = band;
    const dir = (times ? `time_bucket=${bucket}` : '') + (lats ? `${times ? '/' : ''}lat_band=${band === null ? '__HIVE_DEFAULT_PARTITION__' : band}` : '');
    const last = runs[runs.length - 1];
    if (last && last.dir === dir) continue; // a new day in the same month/year bucket
    if (last) last.length = i - last.offset;
    runs.push({ dir: dir || '.', offset: i, length: 0 });
  }
  runs[runs.length - 1]!.length = n - runs[runs.length - 1]!.offset;
  return runs;
}
