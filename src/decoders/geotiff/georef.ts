/**
 * Where a GeoTIFF's pixels are: the GDAL geotransform (from ModelTransformation or tie point +
 * pixel scale, PixelIsPoint shifted to corners as GDAL does), the CRS as a proj4 definition
 * (EPSG codes we know, UTM projection codes, user-defined transverse Mercator / LAEA, geostationary
 * views from ESRI PE strings), and per-row / per-column lat/lon extents for the partitioner.
 * Kept apart from pixel reading: nothing here looks at sample data.
 */
import type { GeoTIFFImage } from 'geotiff';
import proj4 from 'proj4';
import { geoKeys, numbersTag, type GeoKeys } from './tiff-adapter.js';

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

function ellipsoid(k: GeoKeys): string {
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
export function crsFromKeys(k: GeoKeys | null): { def: string | null; geographic: boolean } {
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

/** GDAL geotransform of pixel corners: x = gt0 + col*gt1 + row*gt2, y = gt3 + col*gt4 + row*gt5. */
export type Geotransform = [number, number, number, number, number, number];

export function geotransform(img: GeoTIFFImage): Geotransform {
  const mt = numbersTag(img, 'ModelTransformation');
  let gt: Geotransform;
  if (mt && mt.length >= 8) gt = [mt[3]!, mt[0]!, mt[1]!, mt[7]!, mt[4]!, mt[5]!];
  else {
    const tie = numbersTag(img, 'ModelTiepoint');
    const scale = numbersTag(img, 'ModelPixelScale');
    if (!tie || !scale) return [0, 1, 0, 0, 0, 1]; // GDAL's default for rasters without georeferencing
    gt = [tie[3]! - tie[0]! * scale[0]!, scale[0]!, 0, tie[4]! + tie[1]! * scale[1]!, 0, -scale[1]!];
  }
  // PixelIsPoint rasters reference pixel centres: GDAL moves the origin to the pixel corner.
  if (Number(geoKeys(img)?.GTRasterTypeGeoKey) === 2) {
    gt[0] = gt[0] - 0.5 * gt[1] - 0.5 * gt[2];
    gt[3] = gt[3] - 0.5 * gt[4] - 0.5 * gt[5];
  }
  return gt;
}

/** Native x/y to [lon, lat] in degrees, or null without a CRS. */
export type Projector = (x: number, y: number) => [number, number];

const R2D = 180 / Math.PI;

/**
 * The CRS's projection to lon/lat. proj4's full transform spends more than half its time around
 * the projection itself (sanity checks, copies, datum and axis steps); where those steps change
 * nothing (same datum as WGS 84, metres, Greenwich), calling the projection's inverse directly
 * gives the same numbers twice as fast. Whether they change nothing is not guessed: both ways
 * must agree bit for bit on `probes` (points of the raster), or the full transform is used.
 */
export function projector(crs: string | null, geographic: boolean, probes: Array<[number, number]> = []): Projector | null {
  if (!crs) return null;
  if (geographic) return (x, y) => [x, y];
  const p = proj4(crs, 'EPSG:4326');
  const full: Projector = (x, y) => p.forward([x, y]) as [number, number];
  if (probes.length === 0) return full;
  const projection = new proj4.Proj(crs);
  const direct: Projector = (x, y) => {
    const q = projection.inverse({ x, y });
    return q ? [q.x * R2D, q.y * R2D] : [NaN, NaN];
  };
  const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
  try {
    for (const [x, y] of probes) {
      const a = full(x, y);
      const b = direct(x, y);
      if (!same(a[0], b[0]) || !same(a[1], b[1])) return full;
    }
  } catch {
    return full;
  }
  return direct;
}

/** Pixel-centre coordinates of a raster's corners, edge midpoints and centre, to check a projector on. */
export function probePoints(w: number, h: number, gt: Geotransform): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const r of [0.5, h / 2, h - 0.5]) for (const c of [0.5, w / 2, w - 0.5]) out.push([gt[0] + c * gt[1] + r * gt[2], gt[3] + c * gt[4] + r * gt[5]]);
  return out;
}

/** Most raster lines (row or column boundaries) projected per axis by `extents`. */
const MAX_EXTENT_LINES = 512;
/** Points projected along each such line. */
const EXTENT_STEPS = 16;

/**
 * Per-row latitude and per-column longitude extents that bound every pixel, from points sampled
 * along pixel boundary lines. Each line is projected once; on rasters taller or wider than
 * MAX_EXTENT_LINES, every k-th line is, and a row (column) gets the extent of the whole run of
 * rows between the sampled lines around it: wider, never narrower, and describe stays cheap on a
 * 10980² Sentinel-2 tile (about 17 thousand projections instead of 750 thousand).
 */
export function extents(w: number, h: number, gt: Geotransform, crs: string | null, geographic: boolean): { rowLat: Array<[number, number]>; colLon: Array<[number, number]> } {
  const f = projector(crs, geographic);
  if (!f) return { rowLat: Array.from({ length: h }, () => [-90, 90]), colLon: Array.from({ length: w }, () => [-180, 180]) };
  const at = (c: number, r: number) => f(gt[0] + c * gt[1] + r * gt[2], gt[3] + c * gt[4] + r * gt[5]);
  const rowLat = spans(h, (line) => {
    let lo = Infinity, hi = -Infinity;
    for (let k = 0; k <= EXTENT_STEPS; k++) {
      const la = at((w * k) / EXTENT_STEPS, line)[1];
      if (la < lo) lo = la;
      if (la > hi) hi = la;
    }
    return [lo, hi];
  });
  const colLon = spans(w, (line) => {
    let lo = Infinity, hi = -Infinity;
    for (let k = 0; k <= EXTENT_STEPS; k++) {
      const lo2 = at(line, (h * k) / EXTENT_STEPS)[0];
      if (lo2 < lo) lo = lo2;
      if (lo2 > hi) hi = lo2;
    }
    return [lo, hi];
  });
  return { rowLat, colLon };
}

/**
 * Extents of the n cells between lines 0..n: `line(i)` gives the range along boundary line i;
 * cell i spans the sampled lines at or before i and at or after i + 1.
 */
function spans(n: number, line: (i: number) => [number, number]): Array<[number, number]> {
  const k = Math.max(1, Math.ceil(n / MAX_EXTENT_LINES));
  const sampled: Array<[number, number]> = [];
  for (let i = 0; i * k < n; i++) sampled.push(line(i * k));
  sampled.push(line(n));
  const out = new Array<[number, number]>(n);
  for (let i = 0; i < n; i++) {
    const a = sampled[Math.floor(i / k)]!;
    const b = sampled[Math.min(sampled.length - 1, Math.floor(i / k) + 1)]!;
    out[i] = [Math.min(a[0], b[0]), Math.max(a[1], b[1])];
  }
  return out;
}
