/**
 * A window of bands through our block reader: every block the window touches is fetched (one
 * read per run of neighbouring blocks), decoded once, and each band's part of it is converted
 * straight into that band's output array. Chunky blocks serve all bands from one decode; planar
 * images decode only the planes of the bands asked for. Where nothing is left to convert, the
 * last step writes the output itself: uncompressed rows of the output's own type are read from
 * the file into it, predictor 3 assembles float samples into it (WebAssembly SIMD for float32),
 * and predictor 2 on integer samples is undone while copying. Every pixel of the window is written exactly once
 * (the outputs are not zeroed beforehand), and the bands must be distinct.
 */
import { sampleArray, type BlockReader, type Segment } from './block-reader.js';
import { CodecError } from './block-codecs.js';
import { copyBlock, copyHorizontal, samplesNeeded, type BandOutput, type BlockPart } from './convert.js';
import { blockIndex, blockRows, blockStride, sampleBytes, type RasterLayout } from './layout.js';
import { floatRowsInto } from './predictor.js';
import { simdKernel, type SimdKernel } from './predictor-simd.js';

/** Row segments gathered before they are read (the iovecs of about one readv). */
const SCATTER_BATCH = 1024;

/** A band to fill: its TIFF sample (0-based) and its output. */
export interface DirectBand {
  sample: number;
  out: BandOutput;
}

interface WantedBlock {
  plane: number;
  bx: number;
  by: number;
  index: number;
  /** Rows the block holds (the last strip may be short). */
  rows: number;
}

/** Fills each band's output with window rows [y0, y1) and columns [x0, x1). */
export async function readDirect(reader: BlockReader, l: RasterLayout, bands: DirectBand[], y: [number, number], x: [number, number]): Promise<void> {
  const [y0, y1] = y;
  const [x0, x1] = x;
  if (y1 <= y0 || x1 <= x0 || bands.length === 0) return;
  const bw = l.blockWidth;
  const bh = l.blockHeight;
  const bx0 = Math.floor(x0 / bw), bx1 = Math.ceil(x1 / bw);
  const by0 = Math.floor(y0 / bh), by1 = Math.ceil(y1 / bh);
  const planes = l.planar === 2 ? [...new Set(bands.map((b) => b.sample))] : [0];
  const wanted: WantedBlock[] = [];
  for (const plane of planes) for (let by = by0; by < by1; by++) for (let bx = bx0; bx < bx1; bx++) wanted.push({ plane, bx, by, index: blockIndex(l, plane, bx, by), rows: blockRows(l, by) });
  const partOf = (w: WantedBlock, b: DirectBand): BlockPart => {
    const r0 = Math.max(y0, w.by * bh) - w.by * bh;
    const c0 = Math.max(x0, w.bx * bw) - w.bx * bw;
    return { r0, r1: Math.min(y1, w.by * bh + w.rows) - w.by * bh, c0, c1: Math.min(x1, (w.bx + 1) * bw) - w.bx * bw, pitch: bw, stride: blockStride(l), sample: l.planar === 2 ? 0 : b.sample, outRow: w.by * bh + r0 - y0, outCol: w.bx * bw + c0 - x0 };
  };
  const bandsOf = (w: WantedBlock) => (l.planar === 2 ? bands.filter((b) => b.sample === w.plane) : bands);
  if (simdAssembles(l, bands)) {
    await assembleWithSimd(reader, l, wanted.filter((w) => l.byteCounts![w.index]! > 0), bandsOf, partOf, simdKernel()!);
    await decodeAndCopy(reader, l, wanted.filter((w) => l.byteCounts![w.index]! === 0), bandsOf, partOf);
    return;
  }
  if (readsInPlace(l, bands)) {
    await readInPlace(reader, l, wanted.filter((w) => l.byteCounts![w.index]! > 0), bandsOf, partOf);
    // Sparse blocks have no bytes to read: decoded (filled with nodata) like any other.
    await decodeAndCopy(reader, l, wanted.filter((w) => l.byteCounts![w.index]! === 0), bandsOf, partOf);
    return;
  }
  await decodeAndCopy(reader, l, wanted, bandsOf, partOf);
}

async function decodeAndCopy(reader: BlockReader, l: RasterLayout, wanted: WantedBlock[], bandsOf: (w: WantedBlock) => DirectBand[], partOf: (w: WantedBlock, b: DirectBand) => BlockPart): Promise<void> {
  if (wanted.length === 0) return;
  const raws = await reader.fetch(wanted.map((w) => w.index));
  const format = l.sampleFormat[0]!;
  const bytes = sampleBytes(l);
  const fused = assemblesInPlace(l, wanted, bandsOf);
  // Predictor 2 on single-sample integer blocks is undone while converting into the output.
  const accumulates = l.predictor === 2 && blockStride(l) === 1 && format !== 3;
  for (let i = 0; i < wanted.length; i++) {
    const w = wanted[i]!;
    if (fused && raws[i]!.bytes.length > 0) {
      assembleInto(reader.decodeUnpredicted(raws[i]!, w.rows), w, l, bandsOf(w)[0]!, partOf(w, bandsOf(w)[0]!));
      continue;
    }
    if (accumulates && raws[i]!.bytes.length > 0) {
      const b = bandsOf(w)[0]!;
      const part = partOf(w, b);
      const block = reader.decodeUnpredicted(raws[i]!, w.rows);
      const samples = block.length / bytes;
      if (samples < part.r1 * part.pitch) throw new CodecError(`block ${w.index} decodes to ${samples} samples, fewer than the ${part.r1 * part.pitch} its rows need`);
      const words = bytes === 1 ? block : bytes === 2 ? new Uint16Array(block.buffer, block.byteOffset, samples) : new Uint32Array(block.buffer, block.byteOffset, samples);
      copyHorizontal(words, format === 2, part, b.out);
      continue;
    }
    const block = sampleArray(reader.decode(raws[i]!, w.rows), format, bytes);
    for (const b of bandsOf(w)) {
      const part = partOf(w, b);
      const need = samplesNeeded(part);
      if (block.length < need) throw new CodecError(`block ${w.index} decodes to ${block.length} samples, fewer than the ${need} its pixels need`);
      copyBlock(block, part, b.out);
    }
  }
}

/** Predictor-3 float32 blocks of one sample, 16-pixel multiples wide, into float32 outputs, with WebAssembly SIMD available. */
function simdAssembles(l: RasterLayout, bands: DirectBand[]): boolean {
  if (l.predictor !== 3 || sampleBytes(l) !== 4 || blockStride(l) !== 1 || l.blockWidth % 16 !== 0) return false;
  return bands.every((b) => b.out.scale === 1 && b.out.offset === 0 && b.out.values instanceof Float32Array) && simdKernel() !== null;
}

/**
 * Each block row's blocks are assembled side by side into one region of WebAssembly memory
 * (predictor-simd.ts), which then goes to the band's output a window row at a time.
 */
async function assembleWithSimd(reader: BlockReader, l: RasterLayout, wanted: WantedBlock[], bandsOf: (w: WantedBlock) => DirectBand[], partOf: (w: WantedBlock, b: DirectBand) => BlockPart, kernel: SimdKernel): Promise<void> {
  if (wanted.length === 0) return;
  const raws = await reader.fetch(wanted.map((w) => w.index));
  const bw = l.blockWidth;
  for (let g = 0; g < wanted.length; ) {
    // One group: the blocks of one block row of one plane (wanted is plane, row, column ordered).
    const first = wanted[g]!;
    let end = g + 1;
    while (end < wanted.length && wanted[end]!.plane === first.plane && wanted[end]!.by === first.by) end++;
    const last = wanted[end - 1]!;
    const band = bandsOf(first)[0]!;
    const p = partOf(first, band);
    const rows = p.r1 - p.r0;
    const pitch = (last.bx - first.bx + 1) * bw;
    kernel.reserve(reader.blockBytes, pitch * rows * 4);
    for (let i = g; i < end; i++) {
      const w = wanted[i]!;
      const planes = reader.decodeUnpredicted(raws[i]!, w.rows);
      const need = p.r1 * bw * 4;
      if (planes.length < need) throw new CodecError(`block ${w.index} decodes to ${planes.length} bytes, fewer than the ${need} its rows need`);
      kernel.assemble(planes, bw, p.r0, p.r1, (w.bx - first.bx) * bw * 4, pitch * 4);
    }
    // The region's columns start at the first block's left edge; the window's may start later.
    const o = band.out;
    const skip = p.c0;
    const v = o.values as Float32Array;
    for (let r = 0; r < rows; r++) v.set(kernel.regionFloats(r * pitch + skip, o.width), (p.outRow + r) * o.width);
    if (o.nodata !== null) {
      const nd = o.nodata;
      for (let i = p.outRow * o.width, stop = (p.outRow + rows) * o.width; i < stop; i++) if (v[i] === nd) v[i] = NaN;
    }
    g = end;
  }
}

/**
 * Predictor-3 float blocks of one sample whose values need no conversion: the predictor writes
 * the samples straight into the band's output (no block-sized intermediate and no second copy).
 */
function assemblesInPlace(l: RasterLayout, wanted: WantedBlock[], bandsOf: (w: WantedBlock) => DirectBand[]): boolean {
  if (l.predictor !== 3 || blockStride(l) !== 1 || l.blockWidth % 4 !== 0) return false;
  const bytes = sampleBytes(l);
  return wanted.every((w) => bandsOf(w).every((b) => b.out.scale === 1 && b.out.offset === 0 && (b.out.values instanceof Float32Array || b.out.values instanceof Float64Array) && b.out.values.BYTES_PER_ELEMENT === bytes));
}

function assembleInto(planes: Uint8Array, w: WantedBlock, l: RasterLayout, b: DirectBand, p: BlockPart): void {
  const bytes = sampleBytes(l);
  const need = p.r1 * p.pitch * bytes;
  if (planes.length < need || (planes.byteOffset & 3) !== 0) throw new CodecError(`block ${w.index} decodes to ${planes.length} bytes, fewer than the ${need} its rows need`);
  const v = b.out.values;
  const words = bytes >> 2;
  const to = new Uint32Array(v.buffer, v.byteOffset, v.length * words);
  const start = p.outRow * b.out.width + p.outCol;
  floatRowsInto(planes, p.pitch, bytes, { to, start: start * words, pitch: b.out.width * words, r0: p.r0, r1: p.r1, c0: p.c0, c1: p.c1 });
  const nd = b.out.nodata;
  if (nd === null) return;
  for (let r = 0, k = start; r < p.r1 - p.r0; r++, k += b.out.width) {
    for (let i = k, end = k + p.c1 - p.c0; i < end; i++) if (v[i] === nd) v[i] = NaN;
  }
}

/**
 * Uncompressed single-sample blocks whose samples are already the output values (float32 into
 * float32, float64 into float64, host byte order, no scale): every row segment is read from the
 * file straight into its place in the output, and only nodata is replaced afterwards.
 */
function readsInPlace(l: RasterLayout, bands: DirectBand[]): boolean {
  const bytes = sampleBytes(l);
  if (l.compression !== 1 || l.predictor !== 1 || blockStride(l) !== 1 || !(l.littleEndian || bytes === 1)) return false;
  const type = sampleArray(new Uint8Array(8), l.sampleFormat[0]!, bytes).constructor;
  return bands.every((b) => b.out.scale === 1 && b.out.offset === 0 && b.out.values.constructor === type);
}

async function readInPlace(reader: BlockReader, l: RasterLayout, wanted: WantedBlock[], bandsOf: (w: WantedBlock) => DirectBand[], partOf: (w: WantedBlock, b: DirectBand) => BlockPart): Promise<void> {
  const bytes = sampleBytes(l);
  const segments: Segment[] = [];
  const touched = new Set<BandOutput>();
  for (const w of wanted) {
    const at = l.offsets![w.index]!;
    const length = l.byteCounts![w.index]!;
    for (const b of bandsOf(w)) {
      const p = partOf(w, b);
      const need = samplesNeeded(p) * bytes;
      if (length < need) throw new CodecError(`block ${w.index} holds ${length} bytes, fewer than the ${need} its pixels need`);
      const v = b.out.values;
      const u8 = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      const cols = p.c1 - p.c0;
      for (let r = p.r0, k = p.outRow * b.out.width + p.outCol; r < p.r1; r++, k += b.out.width) {
        segments.push({ at: at + (r * p.pitch + p.c0) * bytes, dest: u8.subarray(k * bytes, (k + cols) * bytes) });
      }
      touched.add(b.out);
    }
    // Read as we go, about one readv's worth at a time: a 4000² tiled raster has 64k row segments,
    // and holding them all until one scatter made each pass end in a mark-compact GC.
    if (segments.length >= SCATTER_BATCH) {
      await reader.scatter(segments);
      segments.length = 0;
    }
  }
  await reader.scatter(segments);
  for (const o of touched) {
    const nd = o.nodata;
    if (nd === null) continue;
    const v = o.values;
    for (let i = 0; i < v.length; i++) if (v[i] === nd) v[i] = NaN;
  }
}
