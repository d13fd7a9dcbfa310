/**
 * The chunks of a dataset from its version-1 B-tree (the chunk index of every data layout
 * message version 3, which netCDF-C writes by default): for each stored chunk, its position in
 * the dataset, file address, stored size and filter mask. Node counts, depth and addresses are
 * bounded, so a damaged tree fails with Hdf5FormatError (and the caller falls back to h5wasm)
 * instead of looping or allocating without limit.
 */
import { Hdf5FormatError, uint, UNDEFINED, type ReadAt, type Superblock } from './hdf5-format.js';

export interface StoredChunk {
  /** Element offsets of the chunk's first element, one per dimension. */
  offset: number[];
  /** File address (relative to the base). */
  address: number;
  /** Stored (filtered) size in bytes. */
  size: number;
  /** Bit i set: filter i of the pipeline was not applied to this chunk. */
  filterMask: number;
}

const MAX_DEPTH = 32;
const MAX_ENTRIES = 1 << 16;

/** Every stored chunk of the tree at `address`; `rank` is the dataset's number of dimensions. */
export async function btree1Chunks(read: ReadAt, sb: Superblock, address: number, rank: number, maxChunks: number, fileSize: number): Promise<StoredChunk[]> {
  const out: StoredChunk[] = [];
  if (address === UNDEFINED) return out; // nothing written yet
  const keySize = 8 + 8 * (rank + 1);
  const seen = new Set<number>();
  const visit = async (at: number, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH || seen.has(at)) throw new Hdf5FormatError('chunk B-tree has a cycle or is too deep');
    seen.add(at);
    if (at < 0 || sb.base + at + 24 > fileSize) throw new Hdf5FormatError(`chunk B-tree node at ${at} outside the file`);
    const head = await read(sb.base + at, 24);
    if (!(head[0] === 0x54 && head[1] === 0x52 && head[2] === 0x45 && head[3] === 0x45)) throw new Hdf5FormatError('chunk B-tree node without TREE signature');
    if (head[4] !== 1) throw new Hdf5FormatError(`B-tree node type ${head[4]} is not a chunk index`);
    const level = head[5]!;
    const entries = uint(head, 6, 2);
    if (entries > MAX_ENTRIES) throw new Hdf5FormatError('chunk B-tree node too large');
    const len = entries * (keySize + sb.offsetSize) + keySize;
    if (sb.base + at + 24 + len > fileSize) throw new Hdf5FormatError('chunk B-tree node runs past the end of the file');
    const body = await read(sb.base + at + 24, len);
    for (let e = 0; e < entries; e++) {
      const k = e * (keySize + sb.offsetSize);
      const child = uint(body, k + keySize, sb.offsetSize);
      if (level > 0) {
        await visit(child, depth + 1);
        continue;
      }
      const offset: number[] = [];
      for (let d = 0; d < rank; d++) offset.push(uint(body, k + 8 + 8 * d, 8));
      out.push({ offset, address: child, size: uint(body, k, 4), filterMask: uint(body, k + 4, 4) });
      if (out.length > maxChunks) throw new Hdf5FormatError('more chunks than the dataset can hold');
    }
  };
  await visit(address, 0);
  return out;
}
