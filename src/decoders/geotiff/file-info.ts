/**
 * What a GeoTIFF holds, read once per file version (the shared FileStateCache): the description
 * the partitioner plans from, the bands with their GDAL scale/offset and output types, the
 * georeferencing, the internal mask, and the storage layout the block reader works from. Sizes
 * and tags are validated here, before any pixel is read: damaged tags made geotiff.js loop or
 * exhaust the heap.
 */
import { fromFile, type GeoTIFF, type GeoTIFFImage } from 'geotiff';
import { asDecodeError, DecodeError } from '../errors.js';
import { FileStateCache, type FileIdentity } from '../file-state.js';
import type { ColumnSpec, FileDescription } from '../types.js';
import { noteByteOrder, registerTiffCodecs } from './codecs.js';
import { isComplexFormat } from './complex.js';
import { crsFromKeys, extents, geotransform, type Geotransform } from './georef.js';
import { directReason, rasterLayout, type RasterLayout } from './layout.js';
import { checkTiffStructure } from './structure.js';
import { directory, gdalMetadata, geoKeys, numberTag, numbersTag } from './tiff-adapter.js';

// Our codecs replace some of geotiff.js's: registered before any file is opened.
await registerTiffCodecs();

export interface Band {
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

export interface Info {
  desc: FileDescription;
  /** JPEG-compressed YCbCr pixels are converted to RGB, as GDAL presents them. */
  ycbcr: boolean;
  width: number;
  height: number;
  bands: Band[];
  /** Image index of the full-resolution internal mask (GDAL per-dataset mask), or null. */
  maskImage: number | null;
  nodata: number | null;
  gt: Geotransform;
  /** proj4 definition of the CRS, 'longlat' for geographic, null when unknown. */
  crs: string | null;
  geographic: boolean;
  /** Storage layout, null when its tags could not be read (geotiff.js then decodes, or fails). */
  layout: RasterLayout | null;
  /** True when our block reader decodes the bands; otherwise geotiff.js does. */
  direct: boolean;
}

/** The variable holding a GDAL internal mask, when the file has one. */
export const MASK = 'mask_valid';

const infos = new FileStateCache<Info>('geotiff-info');

export function fileInfo(path: string): Promise<Info> {
  return infos.get(path, (id) =>
    buildInfo(id).catch((e: unknown) => {
      throw asDecodeError(path, e, 'GeoTIFF header');
    }),
  );
}

export async function openTiff(path: string): Promise<GeoTIFF> {
  try {
    return await fromFile(path);
  } catch (e) {
    throw new DecodeError('CORRUPT', path, `TIFF header: ${(e as Error).message}`);
  }
}

/** The full-resolution image, with its byte order noted for our geotiff.js decoders. */
export async function firstImage(tiff: GeoTIFF): Promise<GeoTIFFImage> {
  const img = await tiff.getImage(0);
  noteByteOrder(img);
  return img;
}

/** The full-resolution mask IFD (NewSubfileType bit 4 without the reduced-resolution bit), if any. */
async function findMask(tiff: GeoTIFF, width: number, height: number, soundIfds: number): Promise<number | null> {
  // Only IFDs the structure check found sound (a damaged overview must not stall the main image);
  // masks come right after the main image or its overviews in COGs and GDAL files.
  for (let i = 1; i < soundIfds; i++) {
    const im = await tiff.getImage(i).catch(() => null);
    if (!im) return null;
    const type = numberTag(im, 'NewSubfileType', 0);
    if ((type & 4) !== 0 && (type & 1) === 0 && im.getWidth() === width && im.getHeight() === height) return i;
  }
  return null;
}

async function bandsOf(path: string, img: GeoTIFFImage, n: number): Promise<Band[]> {
  const formats = numbersTag(img, 'SampleFormat') ?? [1];
  const bits = numbersTag(img, 'BitsPerSample') ?? [8];
  const bands: Band[] = [];
  for (let s = 0; s < n; s++) {
    const md = await gdalMetadata(img, s);
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
  return bands;
}

function checkSizes(path: string, img: GeoTIFFImage): void {
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
}

async function buildInfo(id: FileIdentity): Promise<Info> {
  const { path } = id;
  const soundIfds = await checkTiffStructure(path);
  const tiff = await openTiff(path);
  try {
    const img = await firstImage(tiff);
    checkSizes(path, img);
    const width = img.getWidth();
    const height = img.getHeight();
    const n = img.getSamplesPerPixel();
    const bands = await bandsOf(path, img, n);
    const gt = geotransform(img);
    const parsed = crsFromKeys(geoKeys(img));
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
    const nodata = img.getGDALNoData();
    const desc: FileDescription = {
      path,
      format: 'geotiff',
      sizeBytes: id.size,
      groups: [
        {
          id: 'raster',
          variables: bands.map((b) => ({
            name: b.name,
            type: b.type,
            attributes: { scale: String(b.scale), offset: String(b.offset), nodata: String(nodata), ...(b.part ? { complex_part: b.part, missing_when: 'real part equals nodata (GDAL)' } : {}) },
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
    const ycbcr = Number(directory(img).getValue('PhotometricInterpretation')) === 6 && n === 3;
    const maskImage = await findMask(tiff, width, height, soundIfds);
    if (maskImage !== null) {
      desc.groups[0]!.variables.push({ name: MASK, type: 'uint8', attributes: { description: 'GDAL internal mask: 1 = valid pixel, 0 = masked (band values are not nulled by it, as in GDAL statistics)' } });
    }
    const layout = await rasterLayout(img).catch(() => null);
    // Partitions cut on tile/strip rows, so no block is decoded for two partitions.
    if (layout) desc.groups[0]!.grid.blockRows = Math.min(layout.blockHeight, height);
    const direct = layout !== null && !ycbcr && !bands.some((b) => b.part) && directReason(layout) === null;
    return { desc, width, height, bands, maskImage, nodata, gt, crs, geographic, ycbcr, layout, direct };
  } finally {
    tiff.close?.();
  }
}
