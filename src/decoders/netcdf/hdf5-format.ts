/**
 * The few HDF5 file structures needed to find a dataset's chunks without libhdf5: the superblock
 * (address sizes, base address), a dataset's object header messages (version 1 and 2, with
 * continuation blocks) and its data layout message. Everything else (types, shapes, filters,
 * attributes) still comes from h5wasm. Any structure outside what is handled here throws
 * `Hdf5FormatError`, and the caller falls back to h5wasm, so an unusual file costs speed, never
 * correctness. Layout follows the HDF5 File Format Specification (version 3.0).
 */

export class Hdf5FormatError extends Error {
  override readonly name = 'Hdf5FormatError';
}

/** Positional reads of the file: exactly `length` bytes (into the start of `into` when given) or throw. */
export type ReadAt = (position: number, length: number, into?: Uint8Array) => Promise<Uint8Array>;

export interface Superblock {
  offsetSize: number;
  lengthSize: number;
  /** Absolute position that file addresses are relative to. */
  base: number;
}

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
/** All-ones: the "undefined address" of HDF5. */
export const UNDEFINED = -1;
/** Object header messages we read are small; a larger one means a damaged or exotic file. */
const MAX_HEADER_BLOCK = 1 << 20;
const MAX_CONTINUATIONS = 64;

/** Little-endian unsigned integer of 1-8 bytes; all-ones reads as UNDEFINED; > 2^53 throws. */
export function uint(b: Uint8Array, pos: number, size: number): number {
  if (pos + size > b.length) throw new Hdf5FormatError(`field at ${pos} runs past its block`);
  let ones = true;
  let v = 0;
  for (let i = size - 1; i >= 0; i--) {
    const x = b[pos + i]!;
    if (x !== 0xff) ones = false;
    v = v * 256 + x;
  }
  if (ones && size >= 4) return UNDEFINED;
  if (v > Number.MAX_SAFE_INTEGER) throw new Hdf5FormatError(`value at ${pos} too large`);
  return v;
}

export async function readSuperblock(read: ReadAt, fileSize: number): Promise<Superblock> {
  for (let at = 0; at + 48 <= fileSize; at = at === 0 ? 512 : at * 2) {
    const b = await read(at, 48);
    if (!SIGNATURE.every((x, i) => b[i] === x)) continue;
    const version = b[8]!;
    if (version === 0 || version === 1) {
      const offsetSize = b[13]!;
      const lengthSize = b[14]!;
      const baseAt = version === 0 ? 24 : 28;
      return checked({ offsetSize, lengthSize, base: at + uint(b, baseAt, offsetSize) });
    }
    if (version === 2 || version === 3) return checked({ offsetSize: b[9]!, lengthSize: b[10]!, base: at + uint(b, 12, b[9]!) });
    throw new Hdf5FormatError(`superblock version ${version}`);
  }
  throw new Hdf5FormatError('no HDF5 superblock');
}

function checked(sb: Superblock): Superblock {
  if (sb.offsetSize !== 8 || sb.lengthSize !== 8) throw new Hdf5FormatError(`address sizes ${sb.offsetSize}/${sb.lengthSize}`);
  return sb;
}

export interface Message {
  type: number;
  data: Uint8Array;
}

/** The messages of the object header at `address` (relative to the base), following continuations. */
export async function objectHeaderMessages(read: ReadAt, sb: Superblock, address: number): Promise<Message[]> {
  const first = await read(sb.base + address, 16);
  const out: Message[] = [];
  const blocks: Array<[number, number]> = [];
  if (first[0] === 0x4f && first[1] === 0x48 && first[2] === 0x44 && first[3] === 0x52) {
    // Version 2: "OHDR", version, flags, [times], [attribute phase change], chunk #0 size.
    const flags = first[5]!;
    let pos = 6 + (flags & 0x20 ? 16 : 0) + (flags & 0x10 ? 4 : 0);
    const sizeBytes = 1 << (flags & 3);
    const head = await read(sb.base + address, pos + sizeBytes);
    const size = uint(head, pos, sizeBytes);
    pos += sizeBytes;
    await v2Messages(read, sb, sb.base + address + pos, size, flags, out, blocks);
    for (let i = 0; i < blocks.length; i++) {
      if (i >= MAX_CONTINUATIONS) throw new Hdf5FormatError('too many header continuations');
      const [at, len] = blocks[i]!;
      const sig = await read(sb.base + at, 4);
      if (!(sig[0] === 0x4f && sig[1] === 0x43 && sig[2] === 0x48 && sig[3] === 0x4b)) throw new Hdf5FormatError('continuation block without OCHK');
      await v2Messages(read, sb, sb.base + at + 4, len - 8, flags, out, blocks);
    }
    return out;
  }
  if (first[0] !== 1) throw new Hdf5FormatError(`object header version ${first[0]}`);
  // Version 1: version, reserved, message count (2), reference count (4), header size (4), padding to 16.
  const size = uint(first, 8, 4);
  await v1Messages(read, sb.base + address + 16, size, out, blocks);
  for (let i = 0; i < blocks.length; i++) {
    if (i >= MAX_CONTINUATIONS) throw new Hdf5FormatError('too many header continuations');
    const [at, len] = blocks[i]!;
    await v1Messages(read, sb.base + at, len, out, blocks);
  }
  return out;
}

const CONTINUATION = 0x10;

async function v1Messages(read: ReadAt, at: number, size: number, out: Message[], blocks: Array<[number, number]>): Promise<void> {
  if (size > MAX_HEADER_BLOCK) throw new Hdf5FormatError('object header block too large');
  const b = await read(at, size);
  for (let pos = 0; pos + 8 <= size; ) {
    const type = uint(b, pos, 2);
    const len = uint(b, pos + 2, 2);
    if (pos + 8 + len > size) throw new Hdf5FormatError('message runs past its header block');
    const data = b.subarray(pos + 8, pos + 8 + len);
    if (type === CONTINUATION) blocks.push([uint(data, 0, 8), uint(data, 8, 8)]);
    else out.push({ type, data });
    pos += 8 + len;
  }
}

async function v2Messages(read: ReadAt, sb: Superblock, at: number, size: number, flags: number, out: Message[], blocks: Array<[number, number]>): Promise<void> {
  if (size > MAX_HEADER_BLOCK || size < 0) throw new Hdf5FormatError('object header block too large');
  const b = await read(at, size);
  const headerLen = flags & 0x04 ? 6 : 4;
  for (let pos = 0; pos + headerLen <= size; ) {
    const type = b[pos]!;
    const len = uint(b, pos + 1, 2);
    if (pos + headerLen + len > size) throw new Hdf5FormatError('message runs past its header block');
    const data = b.subarray(pos + headerLen, pos + headerLen + len);
    if (type === CONTINUATION) blocks.push([uint(data, 0, sb.offsetSize), uint(data, sb.offsetSize, sb.lengthSize)]);
    else out.push({ type, data });
    pos += headerLen + len;
  }
}

export const LAYOUT_MESSAGE = 0x08;

/** Where a chunked dataset's chunk index is, and the chunk shape (without the element-size entry). */
export type ChunkIndex =
  | { kind: 'btree1'; address: number; chunk: number[] }
  | { kind: 'single'; address: number; chunk: number[]; filteredSize: number; filterMask: number }
  | { kind: 'fixed-array'; address: number; chunk: number[]; version: number }
  | { kind: 'extensible-array'; address: number; chunk: number[]; version: number }
  | { kind: 'btree2'; address: number; chunk: number[]; version: number };

/** The chunk index of a chunked dataset's layout message; throws for other layouts. */
export function chunkIndex(msg: Uint8Array, sb: Superblock): ChunkIndex {
  const version = msg[0]!;
  const cls = msg[1]!;
  if (cls !== 2) throw new Hdf5FormatError(`layout class ${cls} is not chunked`);
  if (version === 3) {
    const dims = msg[2]!;
    const address = uint(msg, 3, sb.offsetSize);
    const chunk: number[] = [];
    for (let i = 0; i < dims - 1; i++) chunk.push(uint(msg, 3 + sb.offsetSize + 4 * i, 4));
    return { kind: 'btree1', address, chunk };
  }
  if (version !== 4 && version !== 5) throw new Hdf5FormatError(`layout message version ${version}`);
  const dims = msg[3]!;
  const enc = msg[4]!;
  const chunk: number[] = [];
  let pos = 5;
  for (let i = 0; i < dims; i++, pos += enc) chunk.push(uint(msg, pos, enc));
  chunk.pop(); // the element size
  const type = msg[pos++]!;
  if (type === 1) {
    const filtered = (msg[2]! & 2) !== 0;
    const filteredSize = filtered ? uint(msg, pos, sb.lengthSize) : 0;
    const filterMask = filtered ? uint(msg, pos + sb.lengthSize, 4) : 0;
    if (filtered) pos += sb.lengthSize + 4;
    return { kind: 'single', address: uint(msg, pos, sb.offsetSize), chunk, filteredSize, filterMask };
  }
  if (type === 3) return { kind: 'fixed-array', address: uint(msg, pos + 1, sb.offsetSize), chunk, version };
  if (type === 4) return { kind: 'extensible-array', address: uint(msg, pos + 5, sb.offsetSize), chunk, version };
  if (type === 5) return { kind: 'btree2', address: uint(msg, pos + 6, sb.offsetSize), chunk, version };
  throw new Hdf5FormatError(`chunk index type ${type}`);
}
