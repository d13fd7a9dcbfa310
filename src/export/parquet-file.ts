/**
 * One Parquet file written as Arrow batches arrive, through parquet-wasm's streaming writer
 * (transformParquetStream): each batch crosses into wasm as Arrow IPC, the writer flushes a row
 * group every `rowGroupRows` rows, and the bytes stream to disk. write() resolves only when the
 * writer has taken the batch, so at most one batch per open file waits in memory.
 */
import { createWriteStream } from 'node:fs';
import { Writable } from 'node:stream';
import { RecordBatch as ArrowBatch, Table as ArrowTable, tableToIPC } from 'apache-arrow';
import * as pw from 'parquet-wasm';

export type Compression = 'zstd' | 'snappy';

export interface ParquetFileOptions {
  compression: Compression;
  /** Rows per row group (a row group is buffered in wasm memory until full). */
  rowGroupRows: number;
}

export const DEFAULT_ROW_GROUP_ROWS = 256 * 1024;

export class ParquetFileWriter {
  rows = 0;
  bytes = 0;
  private readonly waiting: Array<{ batch: pw.RecordBatch; taken: () => void }> = [];
  private wake: (() => void) | null = null;
  private ended = false;
  private failed: unknown = null;
  private readonly done: Promise<void>;

  private constructor(
    readonly path: string,
    output: Promise<ReadableStream<Uint8Array>>,
  ) {
    const file = createWriteStream(path);
    const sink = Writable.toWeb(file) as WritableStream<Uint8Array>;
    const count = new TransformStream<Uint8Array, Uint8Array>({
      transform: (chunk, c) => {
        this.bytes += chunk.byteLength;
        c.enqueue(chunk);
      },
    });
    this.done = output
      .then((s) => s.pipeThrough(count).pipeTo(sink))
      .catch((e: unknown) => {
        this.failed = e;
        file.destroy();
        for (const w of this.waiting.splice(0)) w.batch.free(), w.taken();
        throw e;
      });
    this.done.catch(() => undefined); // surfaced by write()/close()
  }

  static open(path: string, opts: ParquetFileOptions): ParquetFileWriter {
    let writer: ParquetFileWriter;
    const input = new ReadableStream<pw.RecordBatch>(
      {
        pull: async (c) => {
          for (;;) {
            const next = writer.waiting.shift();
            if (next) {
              c.enqueue(next.batch);
              next.taken();
              return;
            }
            if (writer.ended) return c.close();
            await new Promise<void>((r) => (writer.wake = r));
          }
        },
      },
      { highWaterMark: 0 },
    );
    const props = new pw.WriterPropertiesBuilder()
      .setCompression(opts.compression === 'zstd' ? pw.Compression.ZSTD : pw.Compression.SNAPPY)
      .setMaxRowGroupSize(opts.rowGroupRows)
      // Gridded floats rarely repeat: dictionary pages cost time and then fall back anyway.
      .setDictionaryEnabled(false)
      .setCreatedBy('wekeo-bridge export (parquet-wasm)')
      .build();
    writer = new ParquetFileWriter(path, pw.transformParquetStream(input, props) as Promise<ReadableStream<Uint8Array>>);
    return writer;
  }

  /** Hands one batch to the writer; resolves once the writer has taken it. */
  async write(batch: ArrowBatch): Promise<void> {
    if (this.failed) throw this.failed;
    if (batch.numRows === 0) return;
    const t = pw.Table.fromIPCStream(tableToIPC(new ArrowTable([batch]), 'stream'));
    const wasm = t.recordBatch(0)!;
    t.free();
    this.rows += batch.numRows;
    await new Promise<void>((taken) => {
      this.waiting.push({ batch: wasm, taken });
      this.wake?.();
      this.wake = null;
    });
    if (this.failed) throw this.failed;
  }

  /** Flushes the last row group and the footer; resolves when the file is complete on disk. */
  async close(): Promise<void> {
    this.ended = true;
    this.wake?.();
    this.wake = null;
    await this.done;
  }
}
