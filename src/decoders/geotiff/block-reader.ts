/**
 * Our own strip/tile reader for the common layouts (see layout.ts `directReason`): block bytes are
 * read straight from the file (neighbouring blocks in one read), decompressed with the same bounded
 * codecs we register with geotiff.js, brought to host byte order and un-predicted in place. A
 * decoded block is handed out once and converted into the output arrays by the caller; nothing is
 * cached, so a caller that wants each block decoded once asks for whole block rows.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { inflateBound, inflateView } from '../codecs/inflate.js';
import { zstdFrames, type ZstdFrames } from '../codecs/zstd.js';
import { CodecError, decodeLzw, decodePackBits, LZW_SLACK } from './block-codecs.js';
import { blockStride, sampleBytes, type RasterLayout } from './layout.js';
import { wasmLzw } from './lzw-wasm.js';
import { swapBytes, undoFloatingPoint, undoHorizontal } from './predictor.js';
import { breathe, preadFully, preadvFully } from '../pread.js';

/** Neighbouring blocks closer than this are fetched in one read (the gap is read and dropped). */
const MERGE_GAP = 64 * 1024;
/** Largest single read. */
const MAX_READ = 64 * 1024 * 1024;
/** Buffers per readv call (IOV_MAX on Linux; libuv reads only that many per call). */
const MAX_IOVECS = 1024;
/** Where the bytes between scattered segments of one readv go. */
const junk = Buffer.allocUnsafeSlow(MERGE_GAP);

/** File bytes [at, at + dest.length) to be read straight into `dest`. */
export interface Segment {
  at: number;
  dest: Uint8Array;
}

/** A block's compressed bytes, as read from the file. */
export interface RawBlock {
  index: number;
  bytes: Uint8Array;
}

export class BlockReader {
  /** Bytes a full block decodes to; a damaged stream claiming more is an error. */
  readonly blockBytes: number;
  private readonly rowSamples: number;
  private scratch = new Uint8Array(0);
  private readonly readBuffers: Buffer[] = [];

  private constructor(
    private readonly fh: FileHandle,
    private readonly l: RasterLayout,
    private readonly zstd: ZstdFrames | null,
  ) {
    this.rowSamples = l.blockWidth * blockStride(l);
    this.blockBytes = this.rowSamples * l.blockHeight * sampleBytes(l);
  }

  static async open(path: string, l: RasterLayout): Promise<BlockReader> {
    const z = l.compression === 50000 ? await zstdFrames() : null;
    return new BlockReader(await open(path, 'r'), l, z);
  }

  async close(): Promise<void> {
    await this.fh.close();
  }

  /**
   * Compressed bytes of the given blocks, in the order asked; runs of nearby blocks share one
   * read. The read buffers are reused by the next fetch: use the blocks before asking again.
   */
  async fetch(indices: number[]): Promise<RawBlock[]> {
    let reads = 0;
    const offsets = this.l.offsets!;
    const counts = this.l.byteCounts!;
    const out = new Array<RawBlock>(indices.length);
    const order: Array<{ index: number; i: number; at: number; len: number }> = [];
    indices.forEach((index, i) => {
      const len = counts[index]!;
      if (len === 0) out[i] = { index, bytes: new Uint8Array(0) };
      else order.push({ index, i, at: offsets[index]!, len });
    });
    order.sort((a, b) => a.at - b.at);
    for (let k = 0; k < order.length; ) {
      const first = order[k]!;
      let end = first.at + first.len;
      let m = k + 1;
      for (; m < order.length; m++) {
        const o = order[m]!;
        if (o.at - end > MERGE_GAP || Math.max(end, o.at + o.len) - first.at > MAX_READ) break;
        end = Math.max(end, o.at + o.len);
      }
      const span = end - first.at;
      let buf = this.readBuffers[reads];
      if (!buf || buf.length < span) buf = this.readBuffers[reads] = Buffer.allocUnsafeSlow(span);
      reads++;
      // Synchronous, as the NetCDF readers (pread.ts says why); breathe() keeps the worker's heartbeat.
      await breathe();
      const bytesRead = preadFully(this.fh.fd, buf, 0, span, first.at);
      for (let j = k; j < m; j++) {
        const o = order[j]!;
        const from = o.at - first.at;
        if (from + o.len > bytesRead) throw new CodecError(`block ${o.index}: ${o.len} bytes at offset ${o.at} run past the end of the file`);
        out[o.i] = { index: o.index, bytes: new Uint8Array(buf.buffer, buf.byteOffset + from, o.len) };
      }
      k = m;
    }
    return out;
  }

  /**
   * Reads each segment's file bytes straight into its destination (the kernel copies from the
   * page cache into the output arrays: no intermediate buffer). Segments close together in the
   * file share one readv, the bytes between them going to a scratch buffer.
   */
  async scatter(segments: Segment[]): Promise<void> {
    // Blocks come in file order in GDAL files; sort only when they do not.
    let sorted = true;
    for (let i = 1; i < segments.length && sorted; i++) sorted = segments[i - 1]!.at <= segments[i]!.at;
    if (!sorted) segments.sort((a, b) => a.at - b.at);
    for (let k = 0; k < segments.length; ) {
      const start = segments[k]!.at;
      const iov: Uint8Array[] = [];
      let end = start;
      for (; k < segments.length && iov.length < MAX_IOVECS - 1; k++) {
        const s = segments[k]!;
        if (s.at < end || s.at - end > MERGE_GAP || s.at + s.dest.length - start > MAX_READ) {
          if (iov.length > 0) break;
        }
        if (s.at > end && iov.length > 0) iov.push(junk.subarray(0, s.at - end));
        iov.push(s.dest);
        end = s.at + s.dest.length;
      }
      const want = end - start;
      await breathe();
      const got = preadvFully(this.fh.fd, iov, start);
      if (got !== want) throw new CodecError(`${want} bytes at offset ${start} run past the end of the file`);
    }
  }

  /**
   * The block's samples in host byte order with the predictor undone, as bytes aligned for the
   * sample type. The result may share memory with the next decode's: use it before asking again.
   * A sparse block (byte count 0) is all nodata (or 0 without nodata), as GDAL reads it.
   */
  decode(raw: RawBlock, rows: number): Uint8Array {
    const l = this.l;
    const block = this.decodeUnpredicted(raw, rows);
    if (raw.bytes.length === 0 || l.predictor === 1) return block;
    const bytes = sampleBytes(l);
    const fullRows = Math.min(l.blockHeight, Math.floor(block.length / (this.rowSamples * bytes)));
    if (l.predictor === 3) undoFloatingPoint(block, this.rowSamples, fullRows, blockStride(l), bytes);
    else {
      const n = fullRows * this.rowSamples;
      const view = bytes === 1 ? block.subarray(0, n) : bytes === 2 ? new Uint16Array(block.buffer, block.byteOffset, n) : new Uint32Array(block.buffer, block.byteOffset, n);
      undoHorizontal(view, this.rowSamples, fullRows, blockStride(l));
    }
    return block;
  }

  /**
   * As `decode`, but with the predictor still to undo (samples in host byte order for predictor 2,
   * byte planes for predictor 3), for callers that undo it while writing their output
   * (convert.ts `copyHorizontal`, predictor.ts `floatRowsInto`).
   */
  decodeUnpredicted(raw: RawBlock, rows: number): Uint8Array {
    const l = this.l;
    const bytes = sampleBytes(l);
    if (raw.bytes.length === 0) return this.sparse(rows);
    let block: Uint8Array;
    try {
      block = this.decompress(raw.bytes);
    } catch (e) {
      throw new CodecError(`block ${raw.index}: ${(e as Error).message}`);
    }
    if (block.byteOffset % bytes !== 0) block = block.slice();
    // Predictor-3 planes are not samples: they are in the same order in either byte order.
    if (!l.littleEndian && bytes > 1 && l.predictor !== 3) swapBytes(block, bytes);
    return block;
  }

  private decompress(input: Uint8Array): Uint8Array {
    const max = this.blockBytes;
    switch (this.l.compression) {
      case 1:
        return input;
      case 5: {
        const wasm = wasmLzw();
        return wasm ? wasm.decode(input, max) : decodeLzw(input, max, this.scratchOf(max + LZW_SLACK));
      }
      case 8:
      case 32946: {
        // A view of the inflater's memory (valid until the next block, as the scratch buffer is).
        return inflateView(input, Math.min(max, inflateBound(input.length)));
      }
      case 32773:
        return decodePackBits(input, max, this.scratchOf(max));
      case 50000: {
        return this.zstd!.decode(input, max);
      }
      default:
        throw new CodecError(`compression ${this.l.compression} is not handled by the block reader`);
    }
  }

  private scratchOf(n: number): Uint8Array {
    if (this.scratch.length < n) this.scratch = new Uint8Array(n);
    return this.scratch;
  }

  private sparse(rows: number): Uint8Array {
    const l = this.l;
    const bytes = sampleBytes(l);
    const block = new Uint8Array(this.rowSamples * rows * bytes);
    const fill = l.nodata ?? 0;
    if (fill !== 0) sampleArray(block, l.sampleFormat[0]!, bytes).fill(fill);
    return block;
  }
}

export type SampleArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

/** A typed view of host-order sample bytes (aligned, as `decode` returns them). */
export function sampleArray(block: Uint8Array, format: number, bytes: number): SampleArray {
  const { buffer, byteOffset } = block;
  const n = Math.floor(block.length / bytes);
  if (format === 3) return bytes === 4 ? new Float32Array(buffer, byteOffset, n) : new Float64Array(buffer, byteOffset, n);
  if (format === 2) return bytes === 1 ? new Int8Array(buffer, byteOffset, n) : bytes === 2 ? new Int16Array(buffer, byteOffset, n) : new Int32Array(buffer, byteOffset, n);
  return bytes === 1 ? new Uint8Array(buffer, byteOffset, n) : bytes === 2 ? new Uint16Array(buffer, byteOffset, n) : new Uint32Array(buffer, byteOffset, n);
}
