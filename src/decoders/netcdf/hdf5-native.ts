/**
 * The native side of HDF5Backend: one file handle for positional reads, the superblock, and a
 * plan per variable (hdf5-chunked.ts) built on first use from facts h5wasm provides (shape, type
 * size, byte order, filters, object header address). A variable the native reader declines, or
 * whose chunk data turn out damaged, is read through h5wasm from then on, so libhdf5 decides what
 * an unusual or broken file means.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { planChunked, readChunked, type ChunkedDataset } from './hdf5-chunked.js';
import type { Filter } from './hdf5-filters.js';
import { readSuperblock, type ReadAt, type Superblock } from './hdf5-format.js';
import { preadFully } from '../pread.js';

/** What h5wasm tells about a chunked numeric dataset. */
export interface DatasetFacts {
  shape: number[];
  elemSize: number;
  littleEndian: boolean;
  filters: Filter[];
  /** Object header address (relative to the superblock's base address). */
  header: number;
}

interface NativeFile {
  fh: FileHandle;
  read: ReadAt;
  sb: Superblock;
  size: number;
}

export class NativeChunks {
  private file?: Promise<NativeFile | null>;
  private readonly plans = new Map<string, Promise<ChunkedDataset | null>>();

  constructor(private readonly path: string) {}

  /** The hyperslab as native-endian bytes, or null when this variable is read through h5wasm. */
  async read(name: string, facts: () => DatasetFacts | null, start: number[], count: number[], into?: Uint8Array): Promise<Uint8Array | null> {
    const plan = await this.plan(name, facts);
    if (!plan) return null;
    const f = (await this.file)!;
    try {
      return await readChunked(f.read, f.sb, plan, start, count, into);
    } catch {
      this.plans.set(name, Promise.resolve(null));
      return null;
    }
  }

  async close(): Promise<void> {
    const f = await this.file?.catch(() => null);
    await f?.fh.close();
  }

  private plan(name: string, facts: () => DatasetFacts | null): Promise<ChunkedDataset | null> {
    let p = this.plans.get(name);
    if (!p) {
      p = (async () => {
        const f = await (this.file ??= openNative(this.path));
        const d = f ? facts() : null;
        return f && d ? planChunked(f.read, f.sb, f.size, d.header, d) : null;
      })().catch(() => null);
      this.plans.set(name, p);
    }
    return p;
  }
}

/** A handle for positional reads and the superblock, or null when the file is not one the native reader handles. */
async function openNative(path: string): Promise<NativeFile | null> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, 'r');
    const size = (await fh.stat()).size;
    const handle = fh;
    const read: ReadAt = async (position, length, into) => {
      if (position < 0 || length < 0 || position + length > size) throw new RangeError(`read of ${length} bytes at ${position} outside the file`);
      const b = into ? into.subarray(0, length) : new Uint8Array(length);
      const bytesRead = preadFully(handle.fd, b, 0, length, position);
      if (bytesRead !== length) throw new RangeError(`short read at ${position}`);
      return b;
    };
    return { fh, read, sb: await readSuperblock(read, size), size };
  } catch {
    await fh?.close();
    return null;
  }
}
