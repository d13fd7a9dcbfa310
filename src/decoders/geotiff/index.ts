/**
 * The GeoTIFF / COG decoder plugin (geotiff.js): strips and tiles, chunky and planar, the
 * compressions geotiff.js decodes (none, deflate via node:zlib, LZW, PackBits, JPEG, zstd, LERC,
 * WebP via libwebp) with predictors, complex samples (band_N_real / band_N_imag), BigTIFF and both byte orders. One variable group "raster" per file with variables
 * band_1..band_N (per-band GDAL scale/offset applied; nodata and NaN become nulls), native x/y and
 * lat/lon of pixel centres (proj4) in the points layout. Window reads go through readRasters
 * with a window, so only the tiles or strips a partition needs are read.
 */
import { stat } from 'node:fs/promises';
import { fromFile, type GeoTIFF, type GeoTIFFImage } from 'geotiff';
import proj4 from 'proj4';
import { asDecodeError, DecodeError } from '../errors.js';
import { inspectChunks } from '../inspect.js';
import { noteByteOrder, registerTiffCodecs } from './codecs.js';
import { isComplexFormat, readComplexWindow, type ComplexPart } from './complex.js';
import { checkTiffStructure } from './structure.js';
import type { ColumnBatch, ColumnData, ColumnSpec, DecodedChunk, DecoderPlugin, FileDescription, IndexRange, ReadSelection } from '../types.js';

const DEFAULT_BATCH_BYTES = 8 * 1024 * 1024;

// Our codecs replace some of geotiff.js's: registered before this module serves any file.
await registerTiffCodecs();

export function sniffTiff(h: Uint8Array): boolean {
  if (h.length < 4) return false;
  const ii = h[0] === 0x49 && h[1] === 0x49 && (h[2] === 42 || h[2] === 43) && h[3] === 0;
  const mm = h[0] === 0x4d && h[1] === 0x4d && h[2] === 0 && (h[3] === 42 || h[3] === 43);
  return ii || mm;
}

interface Band {
  /** Variable name: band_N, or band_N_real / band_N_imag for complex samples. */
  name: string;
  /** 0-based TIFF sample (band) index. */
  sample: number;
  /** Which part of a complex sample this variable holds. */
  part?: 'real' | 'imag';
  scale: number;
  offset: number;
  type: 'float32' | 'float64';
}

interface Info {
  desc: FileDescription;
  /** JPEG-compressed YCbCr pixels are converted to RGB, as GDAL presents them. */
  ycbcr: boolean;
  width: number;
  height: number;
  bands: Band[];
  /** Image index of the full-resolution internal mask (GDAL per-dataset mask), or null. */
  maskImage: number | null;
  nodata: number | null;
  /** GDAL geotransform of pixel corners: x = gt0 + col*gt1 + row*gt2, y = gt3 + col*gt4 + row*gt5. */
  gt: number[];
  /** proj4 definition of the CRS, 'longlat' for geographic, null when unknown. */
  crs: string | null;
  geographic: boolean;
}

/** Well-known EPSG codes as proj4 definitions; user-defined CRSs come from the GeoKeys. */
export function epsgToProj4(code: number): string | null {
  if (code === 4326 || code === 4258 || code === 4269 || code === 4979) return '+proj=longlat +datum=WGS84 +no_defs';
  if (code === 3857 || code === 900913) return '+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +no_defs';
  if (code >= 32601 && code <= 32660) return `+proj=utm +zone=${code - 32600} +datum=WGS84 +units=m +no_defs`;
  if (code >= 32701 && code <= 32760) return `+proj=utm +zone=${code - 32700} +south +datum=WGS84 +units=m +no_defs`;
  if (code >= 25828 && code <= 25838) return `+proj=utm +zone=${code - 25800} +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs`;
  if (code >= 26901 && code <= 26923) return `+proj=utm +zone=${code - 26900} +datum=NAD83 +units=m +no_defs`;
  if (code === 3035) return '+proj=laea +lat_0=52 +lon_0=10 +x_0=4321000 +y_0=3210000 +ellps=GRS80 +units=m +no_defs';
  return null;
}

type Keys = Partial<Record<string, unknown>>;

function ellipsoid(k: Keys): string {
  const a = Number(k.GeogSemiMajorAxisGeoKey);
  const inv = Number(k.GeogInvFlatteningGeoKey);
  const b = Number(k.GeogSemiMinorAxisGeoKey);
  if (a > 0 && inv > 0) return `+a=${a} +rf=${inv}`;
  if (a > 0 && b > 0) return `+a=${a} +b=${b}`;
  return '+datum=WGS84';
}

/** A GeoKey that holds a real code (32767 means "user-defined", 0 or absent "not given"). */
function code(v: unknown): number {
  const n = Number(v);
  return n > 0 && n !== 32767 ? n : 0;
}

/**
 * CRS from GeoKeys: EPSG codes we know; EPSG projection codes for UTM (ProjectionGeoKey 160zz /
 * 161zz); user-defined transverse Mercator, Lambert azimuthal and, from an ESRI PE string,
 * geostationary views. Anything else gives no CRS (lat/lon null) rather than a wrong one.
 */
export function crsFromKeys(k: Keys | null): { def: string | null; geographic: boolean } {
  if (!k) return { def: null, geographic: false };
  const model = Number(k.GTModelTypeGeoKey);
  const pcs = code(k.ProjectedCSTypeGeoKey);
  if (model === 2 || (model !== 1 && !pcs && code(k.GeographicTypeGeoKey) && !k.ProjCoordTransGeoKey && !k.PCSCitationGeoKey)) {
    return { def: '+proj=longlat +datum=WGS84 +no_defs', geographic: true };
  }
  if (pcs) return { def: epsgToProj4(pcs), geographic: false };
  const projection = code(k.ProjectionGeoKey);
  if (projection >= 16001 && projection <= 16060) return { def: `+proj=utm +zone=${projection - 16000} ${ellipsoid(k)} +units=m +no_defs`, geographic: false };
  if (projection >= 16101 && projection <= 16160) return { def: `+proj=utm +zone=${projection - 16100} +south ${ellipsoid(k)} +units=m +no_defs`, geographic: false };
  const ct = Number(k.ProjCoordTransGeoKey);
  const fe = Number(k.ProjFalseEastingGeoKey ?? 0);
  const fn = Number(k.ProjFalseNorthingGeoKey ?? 0);
  if (ct === 1) {
    const lat0 = Number(k.ProjNatOriginLatGeoKey ?? 0);
    const lon0 = Number(k.ProjNatOriginLongGeoKey ?? k.ProjCenterLongGeoKey ?? 0);
    const k0 = Number(k.ProjScaleAtNatOriginGeoKey ?? 1);
    return { def: `+proj=tmerc +lat_0=${lat0} +lon_0=${lon0} +k=${k0} +x_0=${fe} +y_0=${fn} ${ellipsoid(k)} +units=m +no_defs`, geographic: false };
  }
  if (ct === 10) {
    const lat0 = Number(k.ProjCenterLatGeoKey ?? 0);
    const lon0 = Number(k.ProjCenterLongGeoKey ?? 0);
    return { def: `+proj=laea +lat_0=${lat0} +lon_0=${lon0} +x_0=${fe} +y_0=${fn} ${ellipsoid(k)} +units=m +no_defs`, geographic: false };
  }
  const pe = String(k.PCSCitationGeoKey ?? '');
  if (/PROJECTION\["Geostationary_Satellite"\]/.test(pe)) {
    const param = (name: string): number => Number(new RegExp(`PARAMETER\\["${name}",(-?[\\d.eE+-]+)\\]`).exec(pe)?.[1] ?? 0);
    return { def: `+proj=geos +lon_0=${param('Longitude_Of_Center')} +h=${param('Height')} +x_0=${param('False_Easting')} +y_0=${param('False_Northing')} ${ellipsoid(k)} +units=m +no_defs`, geographic: false };
  }
  return { def: null, geographic: false };
}

function geotransform(img: GeoTIFFImage): number[] {
  const fd = img.getFileDirectory() as unknown as { getValue(name: string): unknown };
  const mt = fd.getValue('ModelTransformation') as ArrayLike<number> | undefined;
  let gt: number[];
  if (mt && mt.length >= 8) gt = [mt[3]!, mt[0]!, mt[1]!, mt[7]!, mt[4]!, mt[5]!];
  else {
    const tie = fd.getValue('ModelTiepoint') as ArrayLike<number> | undefined;
    const scale = fd.getValue('ModelPixelScale') as ArrayLike<number> | undefined;
    if (!tie || !scale) return [0, 1, 0, 0, 0, 1]; // GDAL's default for rasters without georeferencing
    gt = [tie[3]! - tie[0]! * scale[0]!, scale[0]!, 0, tie[4]! + tie[1]! * scale[1]!, 0, -scale[1]!];
  }
  // PixelIsPoint rasters reference pixel centres: GDAL moves the origin to the pixel corner.
  const keys = img.getGeoKeys() as Keys | null;
  if (Number(keys?.GTRasterTypeGeoKey) === 2) {
    gt[0] = gt[0]! - 0.5 * gt[1]! - 0.5 * gt[2]!;
    gt[3] = gt[3]! - 0.5 * gt[4]! - 0.5 * gt[5]!;
  }
  return gt;
}

const infos = new Map<string, Promise<Info>>();

/** The variable holding a GDAL internal mask, when the file has one. */
const MASK = 'mask_valid';

/** The full-resolution mask IFD (NewSubfileType bit 4 without the reduced-resolution bit), if any. */
async function findMask(tiff: GeoTIFF, width: number, height: number, soundIfds: number): Promise<number | null> {
  // Only IFDs the structure check found sound (a damaged overview must not stall the main image);
  // masks come right after the main image or its overviews in COGs and GDAL files.
  for (let i = 1; i < soundIfds; i++) {
    const im = await tiff.getImage(i).catch(() => null);
    if (!im) return null;
    const type = Number((im.getFileDirectory() as unknown as { getValue(n: string): unknown }).getValue('NewSubfileType') ?? 0);
    if ((type & 4) !== 0 && (type & 1) === 0 && im.getWidth() === width && im.getHeight() === height) return i;
  }
  return null;
}

async function firstImage(tiff: GeoTIFF): Promise<GeoTIFFImage> {
  const img = await tiff.getImage(0);
  noteByteOrder(img as unknown as { getFileDirectory(): unknown; littleEndian: boolean });
  return img;
}

async function open(path: string): Promise<GeoTIFF> {
  try {
    return await fromFile(path);
  } catch (e) {
    throw new DecodeError('CORRUPT', path, `TIFF header: ${(e as Error).message}`);
  }
}

async function fileInfo(path: string): Promise<Info> {
  const st = await stat(path).catch((e: NodeJS.ErrnoException) => {
    throw new DecodeError(e.code === 'ENOENT' ? 'NOT_FOUND' : 'CORRUPT', path, `cannot stat (${e.code ?? e.message})`);
  });
  const key = `${path}\0${st.size}\0${st.mtimeMs}`;
  let p = infos.get(key);
  if (!p) {
    p = (async () => {
      const soundIfds = await checkTiffStructure(path);
      const tiff = await open(path);
      try {
        const img = await firstImage(tiff);
        const width = img.getWidth();
        const height = img.getHeight();
        if (!(width > 0 && height > 0) || width * height > 1 << 28) throw new DecodeError('LIMIT', path, `absurd raster size ${width} x ${height}`);
        const n = img.getSamplesPerPixel();
        if (!(Number.isInteger(n) && n >= 1 && n <= 256)) throw new DecodeError('CORRUPT', path, `${n} samples per pixel`);
        // Tag values of the wrong type (a float RowsPerStrip) would make geotiff.js loop over "strips" forever.
        const tw = img.getTileWidth();
        const th = img.getTileHeight();
        if (!(Number.isInteger(tw) && Number.isInteger(th) && tw >= 1 && th >= 1)) throw new DecodeError('CORRUPT', path, `strip/tile size ${tw} x ${th}`);
        if (tw * th * img.getBytesPerPixel() > 1 << 30) throw new DecodeError('LIMIT', path, `strips/tiles of ${tw} x ${th} pixels`);
        const fd = img.getFileDirectory() as unknown as { getValue(name: string): unknown };
        const formats = (fd.getValue('SampleFormat') as ArrayLike<number> | undefined) ?? [1];
        const bits = (fd.getValue('BitsPerSample') as ArrayLike<number> | undefined) ?? [8];
        const bands: Band[] = [];
        for (let s = 0; s < n; s++) {
          const md = ((await img.getGDALMetadata(s).catch(() => null)) ?? {}) as Record<string, string>;
          const fmt = formats[s] ?? formats[0] ?? 1;
          const b = bits[s] ?? bits[0] ?? 8;
          if (!(Number.isInteger(b) && b >= 1 && b <= 128)) throw new DecodeError('CORRUPT', path, `band ${s + 1}: ${b} bits per sample`);
          const scale = md.SCALE !== undefined ? Number(md.SCALE) : 1;
          const offset = md.OFFSET !== undefined ? Number(md.OFFSET) : 0;
          if (isComplexFormat(fmt)) {
            // Complex samples become two variables; CInt16 and CFloat32 parts fit float32 exactly.
            const type = b <= 32 || (fmt === 6 && b === 64) ? 'float32' : 'float64';
            const t = scale !== 1 || offset !== 0 ? 'float64' : type;
            bands.push({ name: `band_${s + 1}_real`, sample: s, part: 'real', scale, offset, type: t }, { name: `band_${s + 1}_imag`, sample: s, part: 'imag', scale, offset, type: t });
            continue;
          }
          // Scaled values and 32/64-bit data keep double precision; small integers fit float32 exactly.
          const wide = (fmt === 3 && b === 64) || (fmt !== 3 && b >= 32) || scale !== 1 || offset !== 0;
          bands.push({ name: `band_${s + 1}`, sample: s, scale, offset, type: wide ? 'float64' : 'float32' });
        }
        const gt = geotransform(img);
        const parsed = crsFromKeys(img.getGeoKeys() as Keys | null);
        const georeferenced = !(gt[0] === 0 && gt[1] === 1 && gt[3] === 0 && gt[5] === 1);
        // Without a geotransform (GCP or RPC rasters) x/y are pixel coordinates, as GDAL reports them.
        const crs = georeferenced ? parsed.def : null;
        const geographic = georeferenced && parsed.geographic;
        const coordinates: ColumnSpec[] = [
          { name: 'lat', type: 'float64', nullable: true, metadata: { units: 'degrees_north', description: 'pixel centre' } },
          { name: 'lon', type: 'float64', nullable: true, metadata: { units: 'degrees_east', description: 'pixel centre' } },
        ];
        if (!geographic) coordinates.push({ name: 'x', type: 'float64', nullable: false, metadata: { description: 'native CRS x of the pixel centre' } }, { name: 'y', type: 'float64', nullable: false, metadata: { description: 'native CRS y of the pixel centre' } });
        const { rowLat, colLon } = extents(width, height, gt, crs, geographic);
        const desc: FileDescription = {
          path,
          format: 'geotiff',
          sizeBytes: st.size,
          groups: [
            {
              id: 'raster',
              variables: bands.map((b) => ({
                name: b.name,
                type: b.type,
                attributes: { scale: String(b.scale), offset: String(b.offset), nodata: String(img.getGDALNoData()), ...(b.part ? { complex_part: b.part, missing_when: 'real part equals nodata (GDAL)' } : {}) },
              })),
              coordinates,
              times: [],
              levels: [],
              grid: { kind: geographic && gt[2] === 0 && gt[4] === 0 ? 'regular' : 'projected', ny: height, nx: width, rowLat, colLon, crs: crs ?? undefined },
              metadata: { geotransform: gt.join(','), crs: crs ?? 'unknown (lat/lon are null)' },
            },
          ],
          attributes: { width: String(width), height: String(height), bands: String(n) },
        };
        const ycbcr = Number(fd.getValue('PhotometricInterpretation')) === 6 && n === 3;
        const maskImage = await findMask(tiff, width, height, soundIfds);
        if (maskImage !== null) {
          desc.groups[0]!.variables.push({ name: MASK, type: 'uint8', attributes: { description: 'GDAL internal mask: 1 = valid pixel, 0 = masked (band values are not nulled by it, as in GDAL statistics)' } });
        }
        return { desc, width, height, bands, maskImage, nodata: img.getGDALNoData(), gt, crs, geographic, ycbcr };
      } finally {
        tiff.close?.();
      }
    })().catch((e: unknown) => {
      throw asDecodeError(path, e, 'GeoTIFF header');
    });
    infos.set(key, p);
    p.catch(() => infos.delete(key));
    while (infos.size > 64) infos.delete(infos.keys().next().value!);
  }
  return p;
}

function project(crs: string | null, geographic: boolean): ((x: number, y: number) => [number, number]) | null {
  if (!crs) return null;
  if (geographic) return (x, y) => [x, y];
  const p = proj4(crs, 'EPSG:4326');
  return (x, y) => p.forward([x, y]) as [number, number];
}

/** Per-row latitude and per-column longitude extents that bound every pixel (sampled along edges). */
function extents(w: number, h: number, gt: number[], crs: string | null, geographic: boolean): { rowLat: Array<[number, number]>; colLon: Array<[number, number]> } {
  const f = project(crs, geographic);
  if (!f) return { rowLat: Array.from({ length: h }, () => [-90, 90]), colLon: Array.from({ length: w }, () => [-180, 180]) };
  const at = (c: number, r: number) => f(gt[0]! + c * gt[1]! + r * gt[2]!, gt[3]! + c * gt[4]! + r * gt[5]!);
  const steps = 16;
  const rowLat: Array<[number, number]> = [];
  for (let r = 0; r < h; r++) {
    let lo = Infinity, hi = -Infinity;
    for (let k = 0; k <= steps; k++) {
      for (const rr of [r, r + 1]) {
        const [, la] = at((w * k) / steps, rr);
        if (la < lo) lo = la;
        if (la > hi) hi = la;
      }
    }
    rowLat.push([lo, hi]);
  }
  const colLon: Array<[number, number]> = [];
  for (let c = 0; c < w; c++) {
    let lo = Infinity, hi = -Infinity;
    for (let k = 0; k <= steps; k++) {
      for (const cc of [c, c + 1]) {
        const [lo2] = at(cc, (h * k) / steps);
        if (lo2 < lo) lo = lo2;
        if (lo2 > hi) hi = lo2;
      }
    }
    colLon.push([lo, hi]);
  }
  return { rowLat, colLon };
}

function clamp(r: IndexRange | undefined, n: number, what: string, path: string): IndexRange {
  const [a, b] = r ?? [0, n];
  if (!(Number.isInteger(a) && Number.isInteger(b) && a >= 0 && b <= n && a <= b)) throw new DecodeError('BAD_SELECTION', path, `${what} range [${a}, ${b}) outside [0, ${n})`);
  return [a, b];
}

type Raster = ArrayLike<number>;

/** Raw values of each requested band over a window, with the real part of complex samples (nodata is tested on it). */
async function bandData(path: string, img: GeoTIFFImage, window: number[], wanted: Band[], ycbcr: boolean): Promise<Array<{ raw: Raster; mask: Raster }>> {
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
      return { raw: b.part === 'real' ? c.real : c.imag, mask: c.real };
    }
    const r = read[ycbcr ? b.sample : plain.indexOf(b.sample)]!;
    return { raw: r, mask: r };
  });
}

async function rasters(path: string, img: GeoTIFFImage, window: number[], samples: number[], ycbcr = false): Promise<Raster[]> {
  try {
    const r = (ycbcr ? await img.readRGB({ window, interleave: false }) : await img.readRasters({ window, samples, interleave: false })) as unknown as Raster[];
    return samples.map((_, i) => r[i]!);
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    if (/createImageBitmap|webp|not supported|Unknown compression|unsupported/i.test(msg)) throw new DecodeError('UNSUPPORTED', path, `pixel data: ${msg}`);
    throw new DecodeError('CORRUPT', path, `pixel data: ${msg}`);
  }
}

async function* readWindow(path: string, sel: ReadSelection): AsyncGenerator<ColumnBatch> {
  const info = await fileInfo(path);
  if (sel.group !== 'raster') throw new DecodeError('BAD_SELECTION', path, `no variable group "${sel.group}" (have raster)`);
  const withMask = info.maskImage !== null && sel.variables.includes(MASK);
  const wanted = sel.variables.filter((v) => !(withMask && v === MASK)).map((v) => {
    const b = info.bands.find((x) => x.name === v);
    if (!b) throw new DecodeError('BAD_SELECTION', path, `no variable ${v} (have ${info.desc.groups[0]!.variables.map((x) => x.name).join(', ')})`);
    return b;
  });
  const y = clamp(sel.y, info.height, 'y', path);
  const x = clamp(sel.x, info.width, 'x', path);
  const nx = x[1] - x[0];
  const band = Math.max(1, Math.floor((sel.maxBatchBytes ?? DEFAULT_BATCH_BYTES) / ((32 + 8 * sel.variables.length) * nx)));
  const f = project(info.crs, info.geographic);
  const gt = info.gt;
  const tiff = await open(path);
  try {
    const img = await firstImage(tiff);
    const maskImg = withMask ? await tiff.getImage(info.maskImage!) : null;
    if (maskImg) noteByteOrder(maskImg as unknown as { getFileDirectory(): unknown; littleEndian: boolean });
    for (let y0 = y[0]; y0 < y[1]; y0 += band) {
      const y1 = Math.min(y[1], y0 + band);
      const rows = (y1 - y0) * nx;
      const data = await bandData(path, img, [x[0], y0, x[1], y1], wanted, info.ycbcr);
      const lat = new Float64Array(rows);
      const lon = new Float64Array(rows);
      const xs = new Float64Array(rows);
      const ys = new Float64Array(rows);
      for (let r = y0, k = 0; r < y1; r++) {
        for (let c = x[0]; c < x[1]; c++, k++) {
          const px = gt[0]! + (c + 0.5) * gt[1]! + (r + 0.5) * gt[2]!;
          const py = gt[3]! + (c + 0.5) * gt[4]! + (r + 0.5) * gt[5]!;
          xs[k] = px;
          ys[k] = py;
          if (f) [lon[k], lat[k]] = f(px, py);
        }
      }
      // Without a CRS, or where a pixel lies outside the projection's domain (the space around a
      // geostationary disc), lat/lon are null.
      let geoNulls = 0;
      const geoValidity = new Uint8Array((rows + 7) >> 3);
      for (let k = 0; k < rows; k++) {
        if (f && Number.isFinite(lat[k]) && Number.isFinite(lon[k]) && Math.abs(lat[k]!) <= 90) geoValidity[k >> 3]! |= 1 << (k & 7);
        else geoNulls++;
      }
      const geo = geoNulls ? { validity: geoValidity, nullCount: geoNulls } : { nullCount: 0 };
      const columns: ColumnData[] = [
        { name: 'lat', values: lat, ...geo },
        { name: 'lon', values: lon, ...geo },
      ];
      if (!info.geographic) columns.push({ name: 'x', values: xs, nullCount: 0 }, { name: 'y', values: ys, nullCount: 0 });
      const decoded = new Map<string, ColumnData>(wanted.map((b, i) => [b.name, { name: b.name, ...decodeBand(data[i]!.raw, b, info.nodata, data[i]!.mask) }]));
      if (maskImg) {
        const [m] = (await maskImg.readRasters({ window: [x[0], y0, x[1], y1], samples: [0], interleave: false })) as unknown as ArrayLike<number>[];
        const valid = new Uint8Array(rows);
        for (let k = 0; k < rows; k++) valid[k] = m![k] ? 1 : 0;
        decoded.set(MASK, { name: MASK, values: valid, nullCount: 0 });
      }
      for (const v of sel.variables) columns.push(decoded.get(v)!);
      yield { numRows: rows, columns };
    }
  } catch (e) {
    throw asDecodeError(path, e, 'GeoTIFF read failed');
  } finally {
    tiff.close?.();
  }
}

/** Scales a band; a pixel is missing where `mask` (the band itself, or a complex sample's real part) is nodata or NaN. */
function decodeBand(raw: Raster, b: Band, nodata: number | null, mask: Raster = raw): Omit<ColumnData, 'name'> {
  const n = raw.length;
  const out = b.type === 'float64' ? new Float64Array(n) : new Float32Array(n);
  const validity = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const v = raw[i]!;
    const m = mask[i]!;
    if (v !== v || m !== m || m === nodata) {
      out[i] = NaN;
      nulls++;
    } else {
      out[i] = v * b.scale + b.offset;
      validity[i >> 3]! |= 1 << (i & 7);
    }
  }
  return nulls ? { values: out, validity, nullCount: nulls } : { values: out, nullCount: 0 };
}

async function* decodeAll(path: string): AsyncGenerator<DecodedChunk> {
  const info = await fileInfo(path);
  const tiff = await open(path);
  try {
    const img = await firstImage(tiff);
    const facts = info.bands.map((band) => ({ type: band.type, nodata: info.nodata, scale: band.scale, offset: band.offset }));
    // Row bands keep memory bounded for large rasters; each carries every band.
    const step = Math.max(1, Math.floor((16 << 20) / (info.width * 8 * info.bands.length)));
    for (let y0 = 0; y0 < info.height; y0 += step) {
      const y1 = Math.min(info.height, y0 + step);
      const data = await bandData(path, img, [0, y0, info.width, y1], info.bands, info.ycbcr);
      for (let b = 0; b < data.length; b++) {
        const d = decodeBand(data[b]!.raw, info.bands[b]!, info.nodata, data[b]!.mask);
        yield { field: b, name: info.bands[b]!.name, values: d.values as Float32Array | Float64Array, validity: d.validity, info: facts[b] };
      }
    }
  } catch (e) {
    throw asDecodeError(path, e, 'GeoTIFF decode failed');
  } finally {
    tiff.close?.();
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
