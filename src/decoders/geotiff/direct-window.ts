/**
 * A window of bands through our block reader: every block the window touches is fetched (one
 * read per run of neighbouring blocks), decoded once, and each band's part of it is converted
 * straight into that band's output array. Chunky blocks serve all bands from one decode; planar
 * images decode only the planes of the bands asked for.
 */
import { sampleArray, type BlockReader } from './block-reader.js';
import { CodecError } from './block-codecs.js';
import { copyBlock, samplesNeeded, type BandOutput, type BlockPart } from './convert.js';
import { blockIndex, blockRows, blockStride, sampleBytes, type RasterLayout } from './layout.js';

/** A band to fill: its TIFF sample (0-based) and its output. */
export interface DirectBand {
  sample: number;
  out: BandOutput;
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
  const wanted: Array<{ plane: number; bx: number; by: number }> = [];
  for (const plane of planes) for (let by = by0; by < by1; by++) for (let bx = bx0; bx < bx1; bx++) wanted.push({ plane, bx, by });
  const raws = await reader.fetch(wanted.map((w) => blockIndex(l, w.plane, w.bx, w.by)));
  const format = l.sampleFormat[0]!;
  const bytes = sampleBytes(l);
  const stride = blockStride(l);
  for (let i = 0; i < wanted.length; i++) {
    const { plane, bx, by } = wanted[i]!;
    const rows = blockRows(l, by);
    const block = sampleArray(reader.decode(raws[i]!, rows), format, bytes);
    const r0 = Math.max(y0, by * bh) - by * bh;
    const r1 = Math.min(y1, by * bh + rows) - by * bh;
    const c0 = Math.max(x0, bx * bw) - bx * bw;
    const c1 = Math.min(x1, (bx + 1) * bw) - bx * bw;
    for (const b of bands) {
      if (l.planar === 2 && b.sample !== plane) continue;
      const part: BlockPart = { r0, r1, c0, c1, pitch: bw, stride, sample: l.planar === 2 ? 0 : b.sample, outRow: by * bh + r0 - y0, outCol: bx * bw + c0 - x0 };
      const need = samplesNeeded(part);
      if (block.length < need) throw new CodecError(`block ${raws[i]!.index} decodes to ${block.length} samples, fewer than the ${need} its pixels need`);
      copyBlock(block, part, b.out);
    }
  }
}
