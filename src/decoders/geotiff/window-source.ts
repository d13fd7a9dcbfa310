/**
 * One open GeoTIFF, read window by window: through our block reader when the layout allows it
 * (file-info.ts `direct`), otherwise through geotiff.js. Both give the same thing, each band's
 * values over the window (scaled, NaN where missing), so read() and decodeAll() do not care which.
 */
import { DecodeError } from '../errors.js';
import type { IndexRange } from '../types.js';
import { BlockReader } from './block-reader.js';
import { bandValues } from './convert.js';
import { readDirect } from './direct-window.js';
import { firstImage, openTiff, type Band, type Info } from './file-info.js';
import { readMask, readWithLibrary, type LibraryWindow } from './library-window.js';
import { noteByteOrder } from './codecs.js';

export interface WindowSource {
  /** Values of `bands` over rows `y` and columns `x`, row-major: scaled, NaN where missing. */
  read(bands: Band[], y: IndexRange, x: IndexRange): Promise<Array<Float32Array | Float64Array>>;
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
      read: (bands, y, x) => (reader ? direct(reader, info, bands, y, x) : readWithLibrary(path, img!, libraryWindow(y, x), bands, info.ycbcr, info.nodata)),
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

async function direct(reader: BlockReader, info: Info, bands: Band[], y: IndexRange, x: IndexRange): Promise<Array<Float32Array | Float64Array>> {
  const n = (y[1] - y[0]) * (x[1] - x[0]);
  const nodata = info.nodata === null || Number.isNaN(info.nodata) ? null : info.nodata;
  const outs = bands.map((b) => ({ sample: b.sample, out: { values: bandValues(b.type, n), width: x[1] - x[0], scale: b.scale, offset: b.offset, nodata } }));
  await readDirect(reader, info.layout!, outs, y, x);
  return outs.map((o) => o.out.values);
}
