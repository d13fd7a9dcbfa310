/**
 * One open GeoTIFF, read window by window: through our block reader when the layout allows it
 * (file-info.ts `direct`), otherwise through geotiff.js. Both give the same thing, each band's
 * values over the window (scaled, NaN where missing), so read() and decodeAll() do not care which.
 */
import { DecodeError } from '../errors.js';
import type { IndexRange } from '../types.js';
import { BlockReader } from './block-reader.js';
import { bandValues, nativeValues } from './convert.js';
import type { SampleArray } from './block-reader.js';
import { sampleBytes } from './layout.js';
import { readDirect } from './direct-window.js';
import { firstImage, openTiff, type Band, type Info } from './file-info.js';
import { readMask, readWithLibrary, type LibraryWindow } from './library-window.js';
import { noteByteOrder } from './codecs.js';

export interface WindowSource {
  /** Values of `bands` over rows `y` and columns `x`, row-major: scaled, NaN where missing. */
  read(bands: Band[], y: IndexRange, x: IndexRange): Promise<Array<Float32Array | Float64Array>>;
  /**
   * As `read`, but unscaled integer bands come as their raw samples (Int16Array for int16, ...)
   * when the block reader decodes the file; their nodata is left in place (see convert.ts
   * `validityOf`). Other bands are as `read` gives them.
   */
  readNative(bands: Band[], y: IndexRange, x: IndexRange): Promise<SampleArray[]>;
  /** The internal mask over the window (1 valid, 0 masked); only when opened with `withMask`. */
  mask(y: IndexRange, x: IndexRange): Promise<Uint8Array>;
  close(): Promise<void>;
}

export async function openWindowSource(path: string, info: Info, withMask: boolean): Promise<WindowSource> {
  const tiff = !info.direct || withMask ? await openTiff(path) : null;
  try {
    const img = tiff && !info.direct ? await firstImage(tiff) : null;
    const maskImg = tiff && withMask ? await tiff.getImage(info.maskImage!) : null;
    if (maskImg) noteByteOrder(maskImg);
    const reader = info.direct ? await BlockReader.open(path, info.layout!) : null;
    return {
      read: (bands, y, x) => (reader ? direct(reader, info, bands, y, x, false) : readWithLibrary(path, img!, libraryWindow(y, x), bands, info.ycbcr, info.nodata)),
      readNative: (bands, y, x) => (reader ? direct(reader, info, bands, y, x, true) : readWithLibrary(path, img!, libraryWindow(y, x), bands, info.ycbcr, info.nodata)),
      mask: (y, x) => {
        if (!maskImg) throw new DecodeError('BAD_SELECTION', path, 'no internal mask');
        return readMask(path, maskImg, libraryWindow(y, x));
      },
      close: async () => {
        tiff?.close?.();
        await reader?.close();
      },
    };
  } catch (e) {
    tiff?.close?.();
    throw e;
  }
}

function libraryWindow(y: IndexRange, x: IndexRange): LibraryWindow {
  return [x[0], y[0], x[1], y[1]];
}

function direct(reader: BlockReader, info: Info, bands: Band[], y: IndexRange, x: IndexRange, native: false): Promise<Array<Float32Array | Float64Array>>;
function direct(reader: BlockReader, info: Info, bands: Band[], y: IndexRange, x: IndexRange, native: boolean): Promise<SampleArray[]>;
async function direct(reader: BlockReader, info: Info, bands: Band[], y: IndexRange, x: IndexRange, native: boolean): Promise<SampleArray[]> {
  const n = (y[1] - y[0]) * (x[1] - x[0]);
  const l = info.layout!;
  const nodata = info.nodata === null || Number.isNaN(info.nodata) ? null : info.nodata;
  const raw = native && l.sampleFormat[0] !== 3;
  const outs = bands.map((b) => {
    const keep = raw && b.scale === 1 && b.offset === 0;
    const values = keep ? nativeValues(l.sampleFormat[0]!, sampleBytes(l), n) : bandValues(b.type, n);
    return { sample: b.sample, out: { values, width: x[1] - x[0], scale: b.scale, offset: b.offset, nodata: keep ? null : nodata } };
  });
  await readDirect(reader, l, outs, y, x);
  return outs.map((o) => o.out.values);
}
