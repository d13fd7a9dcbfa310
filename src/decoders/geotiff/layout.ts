/**
 * How a GeoTIFF's pixels are stored: the block grid (tiles, or strips as full-width blocks),
 * chunky or planar samples, sample types, compression, predictor, byte order and where each
 * block's bytes are. `directReason` says whether our own block reader handles the image (the
 * common layouts and codecs) or why geotiff.js must (JPEG, LERC, WebP, sub-byte or 16-bit float
 * samples, complex types, ...): every file still decodes, the common ones without geotiff.js.
 */
import type { GeoTIFFImage } from 'geotiff';
import { loadNumbers, numbersTag, numberTag } from './tiff-adapter.js';

export interface RasterLayout {
  width: number;
  height: number;
  /** Block (tile, or strip) size in pixels; a strip is `width` wide and RowsPerStrip high. */
  blockWidth: number;
  blockHeight: number;
  blocksAcross: number;
  blocksDown: number;
  tiled: boolean;
  /** 1 = chunky (a pixel's samples together), 2 = planar (one block grid per sample). */
  planar: 1 | 2;
  samplesPerPixel: number;
  bitsPerSample: number[];
  /** TIFF SampleFormat per sample: 1 unsigned, 2 signed, 3 float, 5/6 complex. */
  sampleFormat: number[];
  compression: number;
  predictor: number;
  littleEndian: boolean;
  /** Byte offset and length of each block (planar: sample-major), null when the tags are missing. */
  offsets: Float64Array | null;
  byteCounts: Float64Array | null;
  /** GDAL nodata value (GDAL_NODATA tag), null when none. */
  nodata: number | null;
}

/** Compressions our block reader decodes: none, LZW, deflate (both codes), PackBits, zstd. */
const DIRECT_COMPRESSIONS = new Set([1, 5, 8, 32946, 32773, 50000]);

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export async function rasterLayout(img: GeoTIFFImage): Promise<RasterLayout> {
  const width = img.getWidth();
  const height = img.getHeight();
  const blockWidth = img.getTileWidth();
  const blockHeight = img.getTileHeight();
  const samplesPerPixel = img.getSamplesPerPixel();
  const bits = numbersTag(img, 'BitsPerSample') ?? [1];
  const formats = numbersTag(img, 'SampleFormat') ?? [1];
  const tiled = img.isTiled;
  return {
    width,
    height,
    blockWidth,
    blockHeight,
    blocksAcross: Math.ceil(width / blockWidth),
    blocksDown: Math.ceil(height / blockHeight),
    tiled,
    planar: img.planarConfiguration,
    samplesPerPixel,
    bitsPerSample: Array.from({ length: samplesPerPixel }, (_, s) => bits[s] ?? bits[0]!),
    sampleFormat: Array.from({ length: samplesPerPixel }, (_, s) => formats[s] ?? formats[0]!),
    compression: numberTag(img, 'Compression', 1),
    predictor: numberTag(img, 'Predictor', 1),
    littleEndian: img.littleEndian,
    offsets: (await loadNumbers(img, tiled ? 'TileOffsets' : 'StripOffsets')) ?? null,
    byteCounts: (await loadNumbers(img, tiled ? 'TileByteCounts' : 'StripByteCounts')) ?? null,
    nodata: img.getGDALNoData(),
  };
}

/** Why the block reader cannot decode this image, or null when it can. */
export function directReason(l: RasterLayout): string | null {
  if (!HOST_LITTLE_ENDIAN) return 'big-endian host';
  if (!DIRECT_COMPRESSIONS.has(l.compression)) return `compression ${l.compression}`;
  const bits = l.bitsPerSample[0]!;
  if (l.bitsPerSample.some((b) => b !== bits)) return 'samples of different sizes';
  const format = l.sampleFormat[0]!;
  if (l.sampleFormat.some((f) => f !== format)) return 'samples of different formats';
  const typed = ((format === 1 || format === 2) && (bits === 8 || bits === 16 || bits === 32)) || (format === 3 && (bits === 32 || bits === 64));
  if (!typed) return `SampleFormat ${format} with ${bits} bits`;
  if (l.predictor === 2 && bits > 32) return 'predictor 2 on 64-bit samples';
  if (l.predictor === 3 && format !== 3) return 'predictor 3 on integer samples';
  if (l.predictor !== 1 && l.predictor !== 2 && l.predictor !== 3) return `predictor ${l.predictor}`;
  const blocks = l.blocksAcross * l.blocksDown * (l.planar === 2 ? l.samplesPerPixel : 1);
  if (!l.offsets || !l.byteCounts || l.offsets.length < blocks || l.byteCounts.length < blocks) return 'incomplete block offsets or byte counts';
  return null;
}

/** Bytes of one sample. */
export function sampleBytes(l: RasterLayout): number {
  return l.bitsPerSample[0]! >> 3;
}

/** Samples per pixel within one block: all of them (chunky) or one (planar). */
export function blockStride(l: RasterLayout): number {
  return l.planar === 2 ? 1 : l.samplesPerPixel;
}

/** Rows of block row `by` that lie in the image (only the last strip of a stripped image is short). */
export function blockRows(l: RasterLayout, by: number): number {
  return l.tiled ? l.blockHeight : Math.min(l.blockHeight, l.height - by * l.blockHeight);
}

/** Index of block (bx, by) of `plane` (0 for chunky data) in the offset tables. */
export function blockIndex(l: RasterLayout, plane: number, bx: number, by: number): number {
  return plane * l.blocksAcross * l.blocksDown + by * l.blocksAcross + bx;
}
