/**
 * Hyperslab reads of chunked, deflate/shuffle-filtered HDF5 datasets without libhdf5: chunks are
 * located through the dataset's B-tree (hdf5-btree.ts), read with one positional read each,
 * inflated natively (hdf5-filters.ts) and copied into the C-order result. A chunk that exactly
 * covers the request (the usual 1 x ny x nx slab of a netCDF variable) is unshuffled straight
 * into the result, with no further copy. Big-endian data are swapped in place at the end.
 *
 * Anything this reader does not handle (other layouts or chunk indexes, other filters, chunks
 * missing from the index, which libhdf5 fills with the fill value) throws Hdf5FormatError, and
 * hdf5.ts reads that variable through h5wasm instead.
 */
import { btree1Chunks, type StoredChunk } from './hdf5-btree.js';
import { supportedPipeline, unfilterChunk, type Filter } from './hdf5-filters.js';
import { chunkIndex, Hdf5FormatError, LAYOUT_MESSAGE, objectHeaderMessages, type ReadAt, type Superblock } from './hdf5-format.js';

export interface ChunkedDataset {
  shape: number[];
  chunk: number[];
  elemSize: number;
  littleEndian: boolean;
  filters: Filter[];
  /** Stored chunks by their chunk-grid coordinates joined with ','. */
  chunks: Map<string, StoredChunk>;
}

/** Plans native reads of one dataset, or throws Hdf5FormatError when it is not a case handled here. */
export async function planChunked(
  read: ReadAt,
  sb: Superblock,
  fileSize: number,
  header: number,
  meta: { shape: number[]; elemSize: number; littleEndian: boolean; filters: Filter[] },
): Promise<ChunkedDataset> {
  if (!supportedPipeline(meta.filters) || meta.filters.length === 0) throw new Hdf5FormatError('filter pipeline not handled natively');
  if (![1, 2, 4, 8].includes(meta.elemSize)) throw new Hdf5FormatError(`element size ${meta.elemSize}`);
  const layout = (await objectHeaderMessages(read, sb, header)).find((m) => m.type === LAYOUT_MESSAGE);
  if (!layout) throw new Hdf5FormatError('no data layout message');
  const index = chunkIndex(layout.data, sb);
  if (index.kind !== 'btree1') throw new Hdf5FormatError(`chunk index ${index.kind} not handled natively`);
  const rank = meta.shape.length;
  if (index.chunk.length !== rank || index.chunk.some((c) => !(c > 0))) throw new Hdf5FormatError('chunk shape does not match the dataset');
  const grid = meta.shape.map((s, d) => Math.ceil(s / index.chunk[d]!));
  const maxChunks = grid.reduce((a, b) => a * b, 1);
  const chunks = new Map<string, StoredChunk>();
  for (const c of await btree1Chunks(read, sb, index.address, rank, maxChunks, fileSize)) {
    const at = c.offset.map((o, d) => o / index.chunk[d]!);
    if (at.some((x, d) => !Number.isInteger(x) || x >= grid[d]!)) throw new Hdf5FormatError('chunk offset off the chunk grid');
    if (!(c.size > 0) || sb.base + c.address + c.size > fileSize) throw new Hdf5FormatError('chunk outside the file');
    chunks.set(at.join(','), c);
  }
  return { shape: meta.shape, chunk: index.chunk, elemSize: meta.elemSize, littleEndian: meta.littleEndian, filters: meta.filters, chunks };
}

/** The hyperslab [start, start + count) as native-endian bytes in C order. */
export async function readChunked(read: ReadAt, sb: Superblock, ds: ChunkedDataset, start: number[], count: number[]): Promise<Uint8Array> {
  const { chunk, elemSize } = ds;
  const rank = chunk.length;
  const total = count.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(total * elemSize);
  if (total === 0) return out;
  const chunkElems = chunk.reduce((a, b) => a * b, 1);
  const rawSize = chunkElems * elemSize;
  const first = start.map((s, d) => Math.floor(s / chunk[d]!));
  const last = start.map((s, d) => Math.floor((s + count[d]! - 1) / chunk[d]!));
  const at = [...first];
  for (;;) {
    const c = ds.chunks.get(at.join(','));
    if (!c) throw new Hdf5FormatError('chunk not stored (fill value)');
    const stored = await read(sb.base + c.address, c.size);
    const origin = at.map((x, d) => x * chunk[d]!);
    const exact = origin.every((o, d) => o === start[d] && chunk[d] === count[d]);
    const raw = unfilterChunk(stored, ds.filters, c.filterMask, rawSize, elemSize, exact ? out : undefined);
    if (raw !== out) copyOverlap(raw, chunk, origin, out, start, count, elemSize);
    let d = rank - 1;
    for (; d >= 0; d--) {
      if (++at[d]! <= last[d]!) break;
      at[d] = first[d]!;
    }
    if (d < 0) break;
  }
  if (!ds.littleEndian && elemSize > 1) swapBytes(out, elemSize);
  return out;
}

/** Copies the part of a chunk (shape `chunk` at `origin`) inside the request into `out`, one contiguous run per row. */
function copyOverlap(raw: Uint8Array, chunk: number[], origin: number[], out: Uint8Array, start: number[], count: number[], elemSize: number): void {
  const rank = chunk.length;
  const lo = origin.map((o, d) => Math.max(o, start[d]!));
  const hi = origin.map((o, d) => Math.min(o + chunk[d]!, start[d]! + count[d]!));
  const runBytes = (hi[rank - 1]! - lo[rank - 1]!) * elemSize;
  const chunkStrides = strides(chunk);
  const outStrides = strides(count);
  const idx = [...lo];
  for (;;) {
    let src = 0;
    let dst = 0;
    for (let d = 0; d < rank; d++) {
      src += (idx[d]! - origin[d]!) * chunkStrides[d]!;
      dst += (idx[d]! - start[d]!) * outStrides[d]!;
    }
    out.set(raw.subarray(src * elemSize, src * elemSize + runBytes), dst * elemSize);
    let d = rank - 2;
    for (; d >= 0; d--) {
      if (++idx[d]! < hi[d]!) break;
      idx[d] = lo[d]!;
    }
    if (d < 0) break;
  }
}

function strides(shape: number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

function swapBytes(buf: Uint8Array, size: number): void {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (size === 2) b.swap16();
  else if (size === 4) b.swap32();
  else if (size === 8) b.swap64();
}
