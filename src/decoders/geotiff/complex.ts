/**
 * Complex samples (TIFF SampleFormat 5 = complex integer, 6 = complex float: CInt16, CInt32,
 * CFloat32, CFloat64), which geotiff.js's readRasters refuses. Sentinel-1 SLC products are CInt16.
 * Strips or tiles are fetched and decompressed through geotiff.js (so every compression it knows
 * works), and each pixel's real and imaginary parts are read here. A window touches only the
 * strips or tiles it overlaps.
 */
import { getDecoder, type BaseDecoder, type GeoTIFFImage } from 'geotiff';
import { directory, numbersTag, numberTag, source } from './tiff-adapter.js';

export interface ComplexPart {
  real: Float64Array;
  imag: Float64Array;
}

/**
 * One strip or tile, decompressed (geotiff.js's getTileOrStrip would also "normalize" it, which
 * fails for complex formats, so the fetch and decode are done here).
 */
async function chunk(img: GeoTIFFImage, index: number, decoder: BaseDecoder, bytes: number): Promise<ArrayBufferLike> {
  const offsets = img.isTiled ? 'TileOffsets' : 'StripOffsets';
  const counts = img.isTiled ? 'TileByteCounts' : 'StripByteCounts';
  const offset = Number(await directory(img).loadValueIndexed(offsets, index));
  const length = Number(await directory(img).loadValueIndexed(counts, index));
  if (length === 0) return new ArrayBuffer(bytes); // a sparse chunk: all zeros
  const [raw] = await source(img).fetch([{ offset, length }]);
  return decoder.decode(raw!);
}

export function isComplexFormat(format: number): boolean {
  return format === 5 || format === 6;
}

/** Reads band `band` (0-based) of a complex raster over window [x0, y0, x1, y1) in row-major order. */
export async function readComplexWindow(img: GeoTIFFImage, window: readonly [number, number, number, number], band: number): Promise<ComplexPart> {
  const [x0, y0, x1, y1] = window;
  const bitsAll = numbersTag(img, 'BitsPerSample') ?? [8];
  const formats = numbersTag(img, 'SampleFormat') ?? [1];
  const format = formats[band] ?? formats[0]!;
  const bits = bitsAll[band] ?? bitsAll[0]!;
  const predictor = numberTag(img, 'Predictor', 1);
  if (predictor !== 1) throw new Error(`complex samples with predictor ${predictor} are not supported`);
  if (!isComplexFormat(format) || ![32, 64, 128].includes(bits)) throw new Error(`SampleFormat ${format} with ${bits} bits is not a complex type`);
  const partBytes = bits / 16;
  const planar = img.planarConfiguration;
  const spp = img.getSamplesPerPixel();
  const bytesOf = (s: number) => (bitsAll[s] ?? bitsAll[0]!) / 8;
  // Chunky layout: a pixel's samples follow each other; planar: one plane per sample.
  const pixelBytes = planar === 2 ? bytesOf(band) : Array.from({ length: spp }, (_, s) => bytesOf(s)).reduce((a, b) => a + b, 0);
  const bandOffset = planar === 2 ? 0 : Array.from({ length: band }, (_, s) => bytesOf(s)).reduce((a, b) => a + b, 0);
  const tw = img.getTileWidth();
  const th = img.getTileHeight();
  const decoder = await getDecoder(numberTag(img, 'Compression', 1), {
    tileWidth: tw,
    tileHeight: th,
    predictor,
    bitsPerSample: bitsAll,
    planarConfiguration: planar,
    samplesPerPixel: spp,
  });
  const le = img.littleEndian;
  const read = (v: DataView, p: number): number => {
    if (format === 5) return partBytes === 2 ? v.getInt16(p, le) : v.getInt32(p, le);
    return partBytes === 4 ? v.getFloat32(p, le) : v.getFloat64(p, le);
  };
  const width = x1 - x0;
  const real = new Float64Array(width * (y1 - y0));
  const imag = new Float64Array(real.length);
  for (let ty = Math.floor(y0 / th); ty * th < y1; ty++) {
    for (let tx = Math.floor(x0 / tw); tx * tw < x1; tx++) {
      const across = Math.ceil(img.getWidth() / tw);
      const down = Math.ceil(img.getHeight() / th);
      const index = (planar === 2 ? band * across * down : 0) + ty * across + tx;
      const data = await chunk(img, index, decoder, tw * th * pixelBytes);
      const view = new DataView(data as ArrayBuffer);
      const rows = [Math.max(y0, ty * th), Math.min(y1, (ty + 1) * th)] as const;
      const cols = [Math.max(x0, tx * tw), Math.min(x1, (tx + 1) * tw)] as const;
      for (let y = rows[0]; y < rows[1]; y++) {
        for (let x = cols[0]; x < cols[1]; x++) {
          const p = ((y - ty * th) * tw + (x - tx * tw)) * pixelBytes + bandOffset;
          if (p + 2 * partBytes > view.byteLength) throw new Error(`tile (${tx}, ${ty}) holds ${view.byteLength} bytes, too few for its pixels`);
          const k = (y - y0) * width + (x - x0);
          real[k] = read(view, p);
          imag[k] = read(view, p + partBytes);
        }
      }
    }
  }
  return { real, imag };
}
