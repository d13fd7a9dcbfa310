/**
 * A window of bands through geotiff.js, for what our block reader does not decode (JPEG with the
 * YCbCr to RGB conversion GDAL applies, LERC, WebP, sub-byte and 16-bit float samples, 64-bit
 * integers, complex samples via complex.ts) and for internal masks (1-bit). Output follows the
 * same convention as the block reader's: scaled values, NaN where missing.
 */
import type { GeoTIFFImage } from 'geotiff';
import { DecodeError } from '../errors.js';
import { bandValues } from './convert.js';
import { readComplexWindow, type ComplexPart } from './complex.js';
import type { Band } from './file-info.js';
import { readBands } from './tiff-adapter.js';

type Raster = ArrayLike<number>;

/** Window as geotiff.js takes it: [x0, y0, x1, y1]. */
export type LibraryWindow = [number, number, number, number];

async function rasters(path: string, img: GeoTIFFImage, window: LibraryWindow, samples: number[], ycbcr: boolean): Promise<Raster[]> {
  try {
    const r = await readBands(img, window, samples, ycbcr);
    return samples.map((_, i) => r[i]!);
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    if (/createImageBitmap|webp|not supported|Unknown compression|unsupported/i.test(msg)) throw new DecodeError('UNSUPPORTED', path, `pixel data: ${msg}`);
    throw new DecodeError('CORRUPT', path, `pixel data: ${msg}`);
  }
}

/** Values of each requested band over `window`: scaled, NaN where the band (or a complex sample's real part) is nodata or NaN. */
export async function readWithLibrary(path: string, img: GeoTIFFImage, window: LibraryWindow, wanted: Band[], ycbcr: boolean, nodata: number | null): Promise<Array<Float32Array | Float64Array>> {
  const plain = [...new Set(wanted.filter((b) => !b.part).map((b) => b.sample))];
  const read = plain.length ? await rasters(path, img, window, ycbcr ? [0, 1, 2] : plain, ycbcr) : [];
  const complex = new Map<number, ComplexPart>();
  for (const b of wanted) {
    if (!b.part || complex.has(b.sample)) continue;
    try {
      complex.set(b.sample, await readComplexWindow(img, window, b.sample));
    } catch (e) {
      throw new DecodeError('CORRUPT', path, `pixel data (complex band ${b.sample + 1}): ${(e as Error).message}`);
    }
  }
  return wanted.map((b) => {
    if (b.part) {
      const c = complex.get(b.sample)!;
      return scaled(b.part === 'real' ? c.real : c.imag, b, nodata, c.real);
    }
    const r = read[ycbcr ? b.sample : plain.indexOf(b.sample)]!;
    return scaled(r, b, nodata, r);
  });
}

/** Scales a band; a pixel is missing (NaN) where `mask` (the band itself, or a complex sample's real part) is nodata or NaN. */
function scaled(raw: Raster, b: Band, nodata: number | null, mask: Raster): Float32Array | Float64Array {
  const n = raw.length;
  const out = bandValues(b.type, n);
  const identity = b.scale === 1 && b.offset === 0;
  for (let i = 0; i < n; i++) {
    const v = raw[i]!;
    const m = mask[i]!;
    out[i] = v !== v || m !== m || m === nodata ? NaN : identity ? v : v * b.scale + b.offset;
  }
  return out;
}

/** A GDAL internal mask over `window`: 1 where valid, 0 where masked. */
export async function readMask(path: string, img: GeoTIFFImage, window: LibraryWindow): Promise<Uint8Array> {
  const [m] = await rasters(path, img, window, [0], false);
  const valid = new Uint8Array(m!.length);
  for (let k = 0; k < valid.length; k++) valid[k] = m![k] ? 1 : 0;
  return valid;
}
