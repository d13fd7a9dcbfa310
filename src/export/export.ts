/**
 * Writes a planned query as hive-partitioned Parquet (`time_bucket=2024-01/part-00000.parquet`,
 * plus `lat_band=...` for large grids), atomically: files are written under a hidden temporary
 * directory inside `out`, renamed to their final names only when all are complete, and the
 * `_SUCCESS` marker comes last, so an interrupted export leaves no half-written file under a
 * final name. Memory stays bounded: batches are written as they arrive, at most `maxOpenFiles`
 * files are open (each buffering one row group), and a file closed early is continued as the
 * next part number when its key comes back.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import type { PlannedExport } from './batch-source.js';
import { DEFAULT_ROW_GROUP_ROWS, ParquetFileWriter, type Compression } from './parquet-file.js';
import { keyRuns, type PartitionBy } from './partition-keys.js';
import { ExportProgress, type ProgressSink } from './progress.js';

export interface ExportOptions {
  out: string;
  partitionBy?: PartitionBy;
  compression?: Compression;
  /** Latitude band width in degrees for the `lat_band` key; 0 for none; default: automatic. */
  latBand?: number;
  rowGroupRows?: number;
  maxOpenFiles?: number;
  progress?: ProgressSink | null;
  signal?: AbortSignal;
}

export interface ExportResult {
  rows: number;
  /** Final paths relative to `out`. */
  files: string[];
  parquetBytes: number;
  /** Arrow bytes read (what a Flight read would transfer), for throughput figures. */
  arrowBytes: number;
  seconds: number;
  latBand: number;
}

/** Bad export arguments or an unusable output folder: a message for the user, no trace. */
export class ExportError extends Error {
  override readonly name = 'ExportError';
}

/** Above this many planned rows a lat/lon grid also gets a `lat_band` key (30° bands). */
export const AUTO_LAT_BAND_ROWS = 20_000_000;
export const AUTO_LAT_BAND_DEGREES = 30;
const TMP_PREFIX = '.wekeo-export-';

export async function exportParquet(plan: PlannedExport, opts: ExportOptions): Promise<ExportResult> {
  const t0 = Date.now();
  const out = opts.out;
  try {
    await prepareOut(out);
  } catch (e) {
    await plan.close();
    throw e;
  }
  const tmp = join(out, `${TMP_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp);
  const hasLat = plan.schema.fields.some((f) => f.name === 'lat' || f.name === 'lat_min');
  const latBand = !hasLat ? 0 : (opts.latBand ?? (plan.rows > AUTO_LAT_BAND_ROWS ? AUTO_LAT_BAND_DEGREES : 0));
  const fileOpts = { compression: opts.compression ?? 'zstd', rowGroupRows: opts.rowGroupRows ?? DEFAULT_ROW_GROUP_ROWS };
  // Each time step of a grid visits every latitude band: keep one file open per band (plus a
  // few), or every step would close and reopen them and leave hundreds of small parts.
  const maxOpen = Math.max(1, opts.maxOpenFiles ?? (latBand > 0 ? 4 + Math.ceil(180 / latBand) + 1 : 4));
  const progress = new ExportProgress(opts.progress ?? null, plan.rows);

  const open = new Map<string, ParquetFileWriter>(); // insertion order = least recently used first
  const parts = new Map<string, number>();
  const written: string[] = [];
  let closedBytes = 0;
  let rows = 0;
  let arrowBytes = 0;
  const closeWriter = async (dir: string) => {
    const w = open.get(dir)!;
    open.delete(dir);
    await w.close();
    closedBytes += w.bytes;
  };
  const writerFor = async (dir: string): Promise<ParquetFileWriter> => {
    const w = open.get(dir);
    if (w) {
      open.delete(dir);
      open.set(dir, w);
      return w;
    }
    if (open.size >= maxOpen) await closeWriter(open.keys().next().value!);
    const part = parts.get(dir) ?? 0;
    parts.set(dir, part + 1);
    const rel = join(dir, `part-${String(part).padStart(5, '0')}.parquet`);
    await mkdir(join(tmp, dir), { recursive: true });
    const nw = ParquetFileWriter.open(join(tmp, rel), fileOpts);
    open.set(dir, nw);
    written.push(rel);
    return nw;
  };

  try {
    for await (const batch of plan.batches()) {
      opts.signal?.throwIfAborted();
      arrowBytes += batchBytes(batch);
      for (const run of keyRuns(batch, { partitionBy: opts.partitionBy ?? 'month', latBand })) {
        const w = await writerFor(run.dir);
        await w.write(run.offset === 0 && run.length === batch.numRows ? batch : batch.slice(run.offset, run.offset + run.length));
      }
      rows += batch.numRows;
      let openBytes = 0;
      for (const w of open.values()) openBytes += w.bytes;
      progress.update(rows, closedBytes + openBytes);
    }
    opts.signal?.throwIfAborted();
    while (open.size) await closeWriter(open.keys().next().value!);
    progress.finish(rows, closedBytes);
    // Every file is complete: give them their final names, then the marker.
    for (const rel of written) {
      await mkdir(dirname(join(out, rel)), { recursive: true });
      await rename(join(tmp, rel), join(out, rel));
    }
    await rm(tmp, { recursive: true, force: true });
    const seconds = (Date.now() - t0) / 1000;
    await writeFile(join(out, '_SUCCESS'), `${JSON.stringify({ rows, files: written.length, parquetBytes: closedBytes, seconds, latBand })}\n`);
    return { rows, files: written, parquetBytes: closedBytes, arrowBytes, seconds, latBand };
  } catch (e) {
    await Promise.allSettled([...open.values()].map((w) => w.close()));
    await rm(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    await plan.close();
  }
}

/** `out` must be new or empty, but for temporary folders of exports whose process is gone. */
export async function prepareOut(out: string): Promise<void> {
  await mkdir(out, { recursive: true }).catch((e: NodeJS.ErrnoException) => {
    throw new ExportError(`cannot create --out ${out}: ${e.code ?? e.message}`);
  });
  const entries = await readdir(out).catch((e: NodeJS.ErrnoException) => {
    throw new ExportError(`cannot read --out ${out}: ${e.code ?? e.message}`);
  });
  const others: string[] = [];
  for (const name of entries) {
    const m = name.startsWith(TMP_PREFIX) ? /^\.wekeo-export-(\d+)-/.exec(name) : null;
    if (m && !alive(Number(m[1]))) await rm(join(out, name), { recursive: true, force: true });
    else others.push(name);
  }
  if (others.length) throw new ExportError(`--out ${out} is not empty (${others.slice(0, 3).join(', ')}${others.length > 3 ? ', ...' : ''}): choose a new folder or remove it first`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function batchBytes(b: RecordBatch): number {
  let n = 0;
  for (const c of b.data.children) n += c.byteLength;
  return n;
}
