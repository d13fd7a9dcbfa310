/**
 * Hyperslab reads of chunked, deflate/shuffle-filtered HDF5 datasets without libhdf5: chunks are
 * located through the dataset's B-tree (hdf5-btree.ts); the chunks a request needs are read
 * with one positional read per run of adjacent chunks (into a reused buffer), inflated natively
 * (hdf5-filters.ts) and unshuffled straight into their place in the C-order result, so each
 * value is written once after inflating. Big-endian data are swapped in place at the end.
 * Chunks a request needs only part of (a band of rows, a stripe boundary) are kept, unshuffled,
 * in a small per-dataset cache, so the next request of the same read does not inflate them again.
 *
 * Anything this reader does not handle (other layouts or chunk indexes, other filters, chunks
 * missing from the index, which libhdf5 fills with the fill value) throws Hdf5FormatError, and
 * hdf5.ts reads that variable through h5wasm instead.
 */
import { uninitialisedBytes } from '../cf/buffers.js';
import { btree1Chunks, type StoredChunk } from './hdf5-btree.js';
import { shuffledChunk, supportedPipeline, undoFilters, unshuffle, unshuffleRange, type Filter } from './hdf5-filters.js';
import { chunkIndex, Hdf5FormatError, LAYOUT_MESSAGE, objectHeaderMessages, type ReadAt, type Superblock } from './hdf5-format.js';

export interface ChunkedDataset {
  shape: number[];
  chunk: number[];
  elemSize: number;
  littleEndian: boolean;
  filters: Filter[];
  /** Stored chunks by their chunk-grid coordinates joined with ','. */
  chunks: Map<string, StoredChunk>;
  /** Buffer for stored chunk bytes, reused from read to read (taken while a read uses it). */
  scratch?: Uint8Array;
  /** Partly used chunks, raw (unfiltered, file byte order), by key; least recently used first. */
  cache: Map<string, Uint8Array>;
  cacheBytes: number;
  /** Chunks inflated so far (tests check that a chunk is inflated once per read). */
  inflated: number;
}

/** Raw bytes of partly used chunks kept per dataset (a backend lives for one read or decodeAll). */
const CHUNK_CACHE_BYTES = 32 << 20;

/** Largest run of adjacent stored chunks read at once. */
const MAX_READ_SPAN = 16 << 20;

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
  return { shape: meta.shape, chunk: index.chunk, elemSize: meta.elemSize, littleEndian: meta.littleEndian, filters: meta.filters, chunks, cache: new Map(), cacheBytes: 0, inflated: 0 };
}

/** The hyperslab [start, start + count) as native-endian bytes in C order (in `into` when it is large enough). */
export async function readChunked(read: ReadAt, sb: Superblock, ds: ChunkedDataset, start: number[], count: number[], into?: Uint8Array): Promise<Uint8Array> {
  const { chunk, elemSize } = ds;
  const total = count.reduce((a, b) => a * b, 1);
  // Every byte is written below (a chunk missing from the index throws), so no zero-filling.
  const out = into && into.byteLength >= total * elemSize && into.byteOffset % 4 === 0 ? into.subarray(0, total * elemSize) : uninitialisedBytes(total * elemSize);
  if (total === 0) return out;
  const out32 = new Uint32Array(out.buffer, out.byteOffset, out.byteLength >> 2);
  const rawSize = chunk.reduce((a, b) => a * b, 1) * elemSize;
  const needed: Needed[] = [];
  for (const c of chunksOf(ds, start, count)) {
    const cached = ds.cache.get(c.key);
    if (cached) {
      ds.cache.delete(c.key); // most recently used last
      ds.cache.set(c.key, cached);
      place({ bytes: cached, shuffled: false }, chunk, c.origin, out, out32, start, count, elemSize);
    } else needed.push(c);
  }
  needed.sort((a, b) => a.stored.address - b.stored.address);
  const scratch = ds.scratch;
  ds.scratch = undefined;
  let buf = scratch ?? new Uint8Array(0);
  try {
    for (let i = 0; i < needed.length; ) {
      // A run of chunks stored back to back is one read.
      let j = i + 1;
      let end = needed[i]!.stored.address + needed[i]!.stored.size;
      while (j < needed.length && needed[j]!.stored.address === end && end + needed[j]!.stored.size - needed[i]!.stored.address <= MAX_READ_SPAN) {
        end += needed[j]!.stored.size;
        j++;
      }
      const from = needed[i]!.stored.address;
      if (buf.length < end - from) buf = new Uint8Array(end - from);
      const span = await read(sb.base + from, end - from, buf);
      for (; i < j; i++) {
        const { stored, origin, key } = needed[i]!;
        const bytes = span.subarray(stored.address - from, stored.address - from + stored.size);
        let raw = undoFilters(bytes, ds.filters, stored.filterMask, rawSize);
        ds.inflated++;
        if (!usedUp(ds, origin, start, count)) raw = { bytes: keep(ds, key, raw, elemSize), shuffled: false };
        place(raw, chunk, origin, out, out32, start, count, elemSize);
      }
    }
  } finally {
    ds.scratch = buf;
  }
  if (!ds.littleEndian && elemSize > 1) swapBytes(out, elemSize);
  return out;
}

interface Needed {
  stored: StoredChunk;
  origin: number[];
  key: string;
}

/** True when the request covers every element of the chunk that lies inside the dataset. */
function usedUp(ds: ChunkedDataset, origin: number[], start: number[], count: number[]): boolean {
  return origin.every((o, d) => start[d]! <= o && Math.min(o + ds.chunk[d]!, ds.shape[d]!) <= start[d]! + count[d]!);
}

/**
 * Caches a partly used chunk as raw bytes (unshuffled), evicting the least recently used. The
 * chunk is copied: undoFilters' output and the read span are both reused buffers.
 */
function keep(ds: ChunkedDataset, key: string, raw: { bytes: Uint8Array; shuffled: boolean }, elemSize: number): Uint8Array {
  let bytes: Uint8Array;
  if (raw.shuffled) {
    bytes = new Uint8Array(raw.bytes.length);
    unshuffle(raw.bytes, bytes, elemSize);
  } else bytes = raw.bytes.slice();
  if (bytes.length > CHUNK_CACHE_BYTES) return bytes;
  for (const [k, v] of ds.cache) {
    if (ds.cacheBytes + bytes.length <= CHUNK_CACHE_BYTES) break;
    ds.cache.delete(k);
    ds.cacheBytes -= v.length;
  }
  ds.cache.set(key, bytes);
  ds.cacheBytes += bytes.length;
  return bytes;
}

/** The stored chunks that intersect the request, with their element origins and keys. */
function chunksOf(ds: ChunkedDataset, start: number[], count: number[]): Needed[] {
  const { chunk } = ds;
  const rank = chunk.length;
  const first = start.map((s, d) => Math.floor(s / chunk[d]!));
  const last = start.map((s, d) => Math.floor((s + count[d]! - 1) / chunk[d]!));
  const at = [...first];
  const out: Needed[] = [];
  for (;;) {
    const key = at.join(',');
    const stored = ds.chunks.get(key);
    if (!stored) throw new Hdf5FormatError('chunk not stored (fill value)');
    out.push({ stored, origin: at.map((x, d) => x * chunk[d]!), key });
    let d = rank - 1;
    for (; d >= 0; d--) {
      if (++at[d]! <= last[d]!) break;
      at[d] = first[d]!;
    }
    if (d < 0) return out;
  }
}

/**
 * Writes the part of a chunk (shape `chunk` at `origin`) inside the request into `out`, one
 * contiguous run per row of the overlap: unshuffled in place, or copied.
 */
function place(
  raw: { bytes: Uint8Array; shuffled: boolean },
  chunk: number[],
  origin: number[],
  out: Uint8Array,
  out32: Uint32Array,
  start: number[],
  count: number[],
  elemSize: number,
): void {
  const rank = chunk.length;
  const sh = raw.shuffled ? shuffledChunk(raw.bytes, elemSize) : null;
  const lo = origin.map((o, d) => Math.max(o, start[d]!));
  const hi = origin.map((o, d) => Math.min(o + chunk[d]!, start[d]! + count[d]!));
  const run = hi[rank - 1]! - lo[rank - 1]!;
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
    if (sh) unshuffleRange(sh, src, run, out, out32, dst * elemSize);
    else out.set(raw.bytes.subarray(src * elemSize, (src + run) * elemSize), dst * elemSize);
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
