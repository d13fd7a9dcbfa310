/**
 * Positional reads of a file with a read-ahead window, so walking thousands of small GRIB
 * section headers costs a few large reads instead of one syscall per header; data sections are
 * read into one reused, zero-padded buffer for the decode kernels. Reads are synchronous
 * (../pread.ts, as for NetCDF and GeoTIFF: decoders run in decode workers, and the thread-pool
 * round trip of an async read was ~30% idle time of a GRIB1 simple-packing decodeAll on a loaded
 * machine); `breathe()` on each read keeps the worker's event loop turning.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { notReadable } from '../file-state.js';
import { breathe, preadFully } from '../pread.js';
import { bytesUninitialized, float64Uninitialized } from './memory.js';
import { PAD } from './packed.js';

const WINDOW = 1 << 20;

export class FileSource {
  private winStart = 0;
  private win = new Uint8Array(0);
  /** Where readPadded puts data sections, reused from one field to the next. */
  private scratch: Uint8Array = new Uint8Array(0);
  private workArray: Float64Array = new Float64Array(0);

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    readonly size: number,
  ) {}

  static async open(path: string): Promise<FileSource> {
    const fh = await open(path, 'r').catch((e: unknown) => {
      throw notReadable(path, e);
    });
    const size = (await fh.stat()).size;
    return new FileSource(path, fh, size);
  }

  /** Bytes [offset, offset+length), clipped at the end of the file (check the length you get). */
  async read(offset: number, length: number): Promise<Uint8Array> {
    const end = Math.min(this.size, offset + length);
    if (offset >= this.winStart && end <= this.winStart + this.win.length) {
      return this.win.subarray(offset - this.winStart, end - this.winStart);
    }
    await breathe();
    if (end - offset > WINDOW / 2) {
      // Large reads (data sections) bypass the window.
      const buf = new Uint8Array(Math.max(0, end - offset));
      return buf.subarray(0, preadFully(this.fh.fd, buf, 0, buf.length, offset));
    }
    const len = Math.min(WINDOW, this.size - offset);
    const buf = new Uint8Array(Math.max(0, len));
    const bytesRead = preadFully(this.fh.fd, buf, 0, buf.length, offset);
    this.win = buf.subarray(0, bytesRead);
    this.winStart = offset;
    return this.win.subarray(0, Math.max(0, end - offset));
  }

  /**
   * Bytes [offset, offset+length) (clipped at the end of the file: check the length you get),
   * followed by PAD zero bytes for the decode kernels' word-wise reads. They live in a scratch
   * buffer that the next readPadded call on this source overwrites (one allocation per file
   * instead of one per field, which the garbage collector has to free): decode one field at a
   * time per source and keep nothing that points into it.
   */
  async readPadded(offset: number, length: number): Promise<Uint8Array> {
    const have = Math.max(0, Math.min(this.size, offset + length) - offset);
    if (this.scratch.length < have + PAD) this.scratch = bytesUninitialized(have + PAD + (have >>> 3));
    const buf = this.scratch;
    let got = have;
    if (offset >= this.winStart && offset + have <= this.winStart + this.win.length) {
      buf.set(this.win.subarray(offset - this.winStart, offset - this.winStart + have));
    } else if (have > 0) {
      await breathe();
      got = preadFully(this.fh.fd, buf, 0, have, offset);
    }
    buf.fill(0, got, got + PAD);
    return buf.subarray(0, got);
  }

  /**
   * A float64 work array of at least n elements for a kernel's intermediate integers, reused
   * from one field to the next (contents undefined; overwritten by the next field's decode).
   */
  work(n: number): Float64Array {
    if (this.workArray.length < n) this.workArray = float64Uninitialized(n);
    return this.workArray;
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}
