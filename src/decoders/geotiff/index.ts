/**
 * The GeoTIFF / COG decoder plugin: strips and tiles, chunky and planar, the compressions GDAL
 * files use (none, deflate, LZW, PackBits, zstd through our block reader; JPEG, LERC, WebP and odd
 * layouts through geotiff.js), predictors, complex samples (band_N_real / band_N_imag), BigTIFF and
 * both byte orders. One variable group "raster" per file with variables band_1..band_N (per-band
 * GDAL scale/offset applied; nodata and NaN become nulls), native x/y and lat/lon of pixel centres
 * (proj4) in the points layout.
 *
 * Work follows the file's blocks: rows are decoded a whole block row (or several) at a time, so
 * each strip or tile is decompressed once per read however small the batches, and batches are
 * cut from the decoded rows. A window read touches only the blocks it overlaps.
 */
import { asDecodeError, DecodeError } from '../errors.js';
import { inspectChunks } from '../inspect.js';
import { inShare, type ColumnBatch, type ColumnData, type DecodedChunk, type DecoderPlugin, type IndexRange, type ReadSelection, type WorkShare } from '../types.js';
import { validityFromNaN } from '../validity.js';
import { axisRange, DEFAULT_BATCH_BYTES } from '../window.js';
import { validityOf } from './convert.js';
import { fileInfo, MASK, type Band, type Info } from './file-info.js';
import { probePoints, projector } from './georef.js';
import { coordinateColumns } from './points.js';
import { openWindowSource } from './window-source.js';

export { crsFromKeys, epsgToProj4 } from './georef.js';

export function sniffTiff(h: Uint8Array): boolean {
  if (h.length < 4) return false;
  const ii = h[0] === 0x49 && h[1] === 0x49 && (h[2] === 42 || h[2] === 43) && h[3] === 0;
  const mm = h[0] === 0x4d && h[1] === 0x4d && h[2] === 0 && (h[3] === 42 || h[3] === 43);
  return ii || mm;
}

/**
 * Decoded values decodeAll aims to hold per row band (all bands together). Small enough that
 * glibc recycles the freed outputs (a fresh 16-64 MB array costs its page faults again: a 4000²
 * float32 decode took 50 ms at 16 MiB and 31 ms at 4 MiB per band, CPU, median of 11).
 */
const DECODE_ALL_BYTES = 4 << 20;
/**
 * Most decoded values held for one row band. A block row larger than this (very wide rasters
 * with tall tiles) is read in parts, and its blocks are then decoded once per part.
 */
const MAX_BAND_BYTES = 64 << 20;

/**
 * The row bands a window [y0, y1) is decoded in: whole block rows, at least `wantRows` rows each
 * where the memory bound allows (the first and last band may be cut by the window).
 */
export function rowBands([y0, y1]: IndexRange, blockHeight: number, rowBytes: number, wantRows: number): IndexRange[] {
  const bands: IndexRange[] = [];
  const blockRowBytes = blockHeight * rowBytes;
  if (blockRowBytes <= MAX_BAND_BYTES) {
    const k = Math.max(1, Math.min(Math.ceil(wantRows / blockHeight), Math.floor(MAX_BAND_BYTES / blockRowBytes)));
    for (let a = y0; a < y1; ) {
      const b = Math.min(y1, (Math.floor(a / blockHeight) + k) * blockHeight);
      bands.push([a, b]);
      a = b;
    }
  } else {
    const rows = Math.max(1, Math.min(wantRows, Math.floor(MAX_BAND_BYTES / rowBytes)));
    for (let a = y0; a < y1; a += rows) bands.push([a, Math.min(y1, a + rows)]);
  }
  return bands;
}

/** Bytes of decoded values per raster row of `nx` pixels for these bands (and the mask). */
function bytesPerRow(bands: Band[], nx: number, withMask: boolean): number {
  return nx * (bands.reduce((s, b) => s + (b.type === 'float64' ? 8 : 4), 0) + (withMask ? 1 : 0));
}

/** The bands a selection names, each once (a variable named twice is decoded once). */
function wantedBands(path: string, info: Info, sel: ReadSelection, withMask: boolean): Band[] {
  return [...new Set(sel.variables)]
    .filter((v) => !(withMask && v === MASK))
    .map((v) => {
      const b = info.bands.find((x) => x.name === v);
      if (!b) throw new DecodeError('BAD_SELECTION', path, `no variable ${v} (have ${info.desc.groups[0]!.variables.map((x) => x.name).join(', ')})`);
      return b;
    });
}

async function* readWindow(path: string, sel: ReadSelection): AsyncGenerator<ColumnBatch> {
  const info = await fileInfo(path);
  if (sel.group !== 'raster') throw new DecodeError('BAD_SELECTION', path, `no variable group "${sel.group}" (have raster)`);
  const withMask = info.maskImage !== null && sel.variables.includes(MASK);
  const wanted = wantedBands(path, info, sel, withMask);
  const y = axisRange(sel.y, info.height, 'y', path);
  const x = axisRange(sel.x, info.width, 'x', path);
  const nx = x[1] - x[0];
  if (nx === 0) return;
  const batchRows = Math.max(1, Math.floor((sel.maxBatchBytes ?? DEFAULT_BATCH_BYTES) / ((32 + 8 * sel.variables.length) * nx)));
  const geometry = { gt: info.gt, geographic: info.geographic, project: projector(info.crs, info.geographic, probePoints(info.width, info.height, info.gt)) };
  const src = await openWindowSource(path, info, withMask);
  try {
    for (const band of rowBands(y, info.layout?.blockHeight ?? 1, bytesPerRow(wanted, nx, withMask), batchRows)) {
      const values = await src.read(wanted, band, x);
      const mask = withMask ? await src.mask(band, x) : null;
      for (let r0 = band[0]; r0 < band[1]; r0 += batchRows) {
        const r1 = Math.min(band[1], r0 + batchRows);
        const whole = r0 === band[0] && r1 === band[1];
        const from = (r0 - band[0]) * nx;
        const to = (r1 - band[0]) * nx;
        const columns = coordinateColumns(geometry, [r0, r1], x);
        const decoded = new Map<string, ColumnData>();
        wanted.forEach((b, i) => {
          // Each batch owns its buffers (they are transferred between threads): slices, not views.
          const v = whole ? values[i]! : values[i]!.slice(from, to);
          decoded.set(b.name, { name: b.name, values: v, ...validityFromNaN(v) });
        });
        if (mask) decoded.set(MASK, { name: MASK, values: whole ? mask : mask.slice(from, to), nullCount: 0 });
        for (const v of sel.variables) columns.push(decoded.get(v)!);
        yield { numRows: to - from, columns };
      }
    }
  } catch (e) {
    throw asDecodeError(path, e, 'GeoTIFF read failed');
  } finally {
    await src.close();
  }
}

async function* decodeAll(path: string, share?: WorkShare): AsyncGenerator<DecodedChunk> {
  const info = await fileInfo(path);
  const src = await openWindowSource(path, info, false);
  try {
    const facts = info.bands.map((band) => ({ type: band.type, nodata: info.nodata, scale: band.scale, offset: band.offset }));
    const rowBytes = bytesPerRow(info.bands, info.width, false);
    let unit = 0; // work unit: one row band (whole block rows)
    for (const band of rowBands([0, info.height], info.layout?.blockHeight ?? 1, rowBytes, Math.max(1, Math.floor(DECODE_ALL_BYTES / rowBytes)))) {
      if (!inShare(unit++, share)) continue;
      // Unscaled integer bands come as their own samples (with a validity bitmap where nodata is);
      // in float bands NaN marks missing values.
      const values = await src.readNative(info.bands, band, [0, info.width]);
      for (let b = 0; b < values.length; b++) yield { field: b, name: info.bands[b]!.name, values: values[b]!, validity: validityOf(values[b]!, info.nodata), info: facts[b] };
    }
  } catch (e) {
    throw asDecodeError(path, e, 'GeoTIFF decode failed');
  } finally {
    await src.close();
  }
}

export const geotiffDecoder: DecoderPlugin = {
  format: 'geotiff',
  sniff: sniffTiff,
  describe: async (path) => (await fileInfo(path)).desc,
  read: (path, selection) => readWindow(path, selection),
  decodeAll,
  inspect: (path) => inspectChunks('geotiff', decodeAll(path)),
};
