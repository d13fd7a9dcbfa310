/**
 * Grid geometry: the latitude of every row and longitude of every column for regular lat/lon
 * and Gaussian grids, the latitude/longitude of every point in row-major (y, x) order for the
 * others, and the map from that order to the message's scanning order (column-major and
 * boustrophedon scans). Projected grids (Mercator, polar stereographic, Lambert) go through
 * proj4 with the message's figure of the earth, from the first grid point and the increments,
 * as ecCodes' geo-iterators do.
 */
import proj4 from 'proj4';
import type { Earth, GridDef } from './model.js';

export interface Geometry {
  ny: number;
  nx: number;
  /**
   * Separable grids (regular lat/lon and Gaussian): the latitude of each row and longitude of
   * each column, a few kilobytes instead of two arrays of the grid's size.
   */
  rowLat: Float64Array | null;
  colLon: Float64Array | null;
  /** Other grids: row-major latitude/longitude of each point. */
  lat: Float64Array | null;
  lon: Float64Array | null;
  /** Row-major index → index in the message's value order; null when they coincide. */
  order: Int32Array | null;
  kind: 'regular' | 'projected' | 'gaussian' | 'reduced';
  crs: string;
}

/**
 * Computes the geometry of a grid. Not cached here: the file index computes it once per grid of
 * a file and keeps it with the groups on that grid.
 */
export function geometry(g: GridDef): Geometry {
  switch (g.kind) {
    case 'regular_ll':
    case 'rotated_ll': {
      const lats = axis(g.lat1, g.lat2, g.nj, g.dj, (g.scan & 0x40) !== 0);
      const lons = axis(g.lon1, g.lon2, g.ni, g.di, (g.scan & 0x80) === 0);
      const order = scanOrder(g.nj, g.ni, g.scan);
      if (g.kind === 'regular_ll') return { ny: g.nj, nx: g.ni, rowLat: lats, colLon: lons, lat: null, lon: null, order, kind: 'regular', crs: 'EPSG:4326' };
      const { lat, lon } = points(g.nj, g.ni, (j, i) => [lats[j]!, lons[i]!]);
      unrotate(lat, lon, g.spLat, g.spLon, g.angle);
      return { ny: g.nj, nx: g.ni, rowLat: null, colLon: null, lat, lon, order, kind: 'projected', crs: `rotated pole lat ${g.spLat} lon ${g.spLon}` };
    }
    case 'regular_gg': {
      const all = gaussianLatitudes(g.n);
      const j0 = nearest(all, g.lat1);
      const lats = Float64Array.from({ length: g.nj }, (_, j) => all[(g.scan & 0x40) !== 0 ? j0 - j : j0 + j] ?? NaN);
      const lons = axis(g.lon1, g.lon2, g.ni, g.di, (g.scan & 0x80) === 0);
      return { ny: g.nj, nx: g.ni, rowLat: lats, colLon: lons, lat: null, lon: null, order: scanOrder(g.nj, g.ni, g.scan), kind: 'gaussian', crs: 'EPSG:4326' };
    }
    case 'reduced_gg': {
      const all = gaussianLatitudes(g.n);
      const j0 = nearest(all, g.lat1);
      const total = g.pl.reduce((a, b) => a + b, 0);
      const lat = new Float64Array(total);
      const lon = new Float64Array(total);
      const maxPl = Math.max(...g.pl);
      const span = normalizeSpan(g.lon2 - g.lon1);
      const global = Math.abs(span + 360 / maxPl - 360) < 1e-3 || Math.abs(span - 360) < 1e-6;
      let k = 0;
      g.pl.forEach((n, j) => {
        const la = all[(g.scan & 0x40) !== 0 ? j0 - j : j0 + j] ?? NaN;
        const step = global ? 360 / n : n > 1 ? span / (n - 1) : 0;
        for (let i = 0; i < n; i++, k++) {
          lat[k] = la;
          lon[k] = g.lon1 + i * step;
        }
      });
      return { ny: 1, nx: total, rowLat: null, colLon: null, lat, lon, order: null, kind: 'reduced', crs: 'EPSG:4326' };
    }
    case 'mercator':
      return projected(g, `+proj=merc +lat_ts=${g.latD} +lon_0=0 ${earthParams(g.earth)} +units=m +no_defs`);
    case 'polar_stereographic':
      return projected(g, `+proj=stere +lat_0=${g.southPole ? -90 : 90} +lat_ts=${g.latD} +lon_0=${g.lonV} ${earthParams(g.earth)} +units=m +no_defs`);
    case 'lambert':
      return projected(g, `+proj=lcc +lat_1=${g.latin1} +lat_2=${g.latin2} +lat_0=${g.latD} +lon_0=${g.lonV} ${earthParams(g.earth)} +units=m +no_defs`);
  }
}

/** Latitude and longitude of the point at row-major index k. */
export function pointLatLon(geo: Geometry, k: number): [number, number] {
  if (geo.rowLat && geo.colLon) return [geo.rowLat[Math.floor(k / geo.nx)]!, geo.colLon[k % geo.nx]!];
  return [geo.lat![k]!, geo.lon![k]!];
}

/** Latitudes and longitudes of row y, columns [x0, x1), into lat/lon at `at`. */
export function rowLatLon(geo: Geometry, y: number, x0: number, x1: number, lat: Float64Array, lon: Float64Array, at: number): void {
  if (geo.rowLat && geo.colLon) {
    lat.fill(geo.rowLat[y]!, at, at + x1 - x0);
    lon.set(geo.colLon.subarray(x0, x1), at);
    return;
  }
  const base = y * geo.nx;
  lat.set(geo.lat!.subarray(base + x0, base + x1), at);
  lon.set(geo.lon!.subarray(base + x0, base + x1), at);
}

function normalizeSpan(d: number): number {
  return d < 0 ? d + 360 : d;
}

/**
 * Coordinates along one axis. Increments in the header are rounded (to 1e-3 or 1e-6 degrees), so
 * when first and last points are given and agree with the increment, the exact spacing between
 * them is used instead, as the reference decoder does.
 */
function axis(first: number, last: number, n: number, inc: number, positive: boolean): Float64Array {
  let step = positive ? inc : -inc;
  if (n > 1) {
    let span = last - first;
    if (positive && span < 0 && Math.abs(span + 360 - inc * (n - 1)) < Math.max(inc, 1e-3)) span += 360;
    if (!positive && span > 0 && Math.abs(360 - span - inc * (n - 1)) < Math.max(inc, 1e-3)) span -= 360;
    const exact = span / (n - 1);
    if (!(inc > 0) || Math.abs(Math.abs(exact) - inc) < Math.max(1e-3 * inc, 1e-6) + 1e-3) step = exact;
  }
  return Float64Array.from({ length: n }, (_, k) => first + k * step);
}

/** Row-major lat/lon of an nj × ni grid. */
function points(nj: number, ni: number, at: (j: number, i: number) => [number, number]): { lat: Float64Array; lon: Float64Array } {
  const lat = new Float64Array(nj * ni);
  const lon = new Float64Array(nj * ni);
  for (let j = 0, k = 0; j < nj; j++) {
    for (let i = 0; i < ni; i++, k++) {
      const [a, b] = at(j, i);
      lat[k] = a;
      lon[k] = b;
    }
  }
  return { lat, lon };
}

/**
 * The permutation from row-major order to the message's scanning order: bit 0x20 (j
 * consecutive) stores columns; bit 0x10 reverses every other row (or column). Null when equal.
 */
export function scanOrder(nj: number, ni: number, scan: number): Int32Array | null {
  const colMajor = (scan & 0x20) !== 0;
  const alternate = (scan & 0x10) !== 0;
  if (!colMajor && !alternate) return null;
  const order = new Int32Array(nj * ni);
  for (let j = 0, k = 0; j < nj; j++) {
    for (let i = 0; i < ni; i++, k++) {
      if (colMajor) order[k] = i * nj + (alternate && i % 2 === 1 ? nj - 1 - j : j);
      else order[k] = j * ni + (alternate && j % 2 === 1 ? ni - 1 - i : i);
    }
  }
  return order;
}

function earthParams(e: Earth): string {
  return e.a === e.b ? `+R=${e.a}` : `+a=${e.a} +b=${e.b}`;
}

function projected(g: Extract<GridDef, { earth: Earth }>, def: string): Geometry {
  const p = proj4('EPSG:4326', def);
  const [x0, y0] = p.forward([g.lon1, g.lat1]) as [number, number];
  const dx = (g.scan & 0x80) !== 0 ? -g.dx : g.dx;
  const dy = (g.scan & 0x40) !== 0 ? g.dy : -g.dy;
  const east360 = g.lon1 > 180;
  const { lat, lon } = points(g.nj, g.ni, (j, i) => {
    const [lo, la] = p.inverse([x0 + i * dx, y0 + j * dy]) as [number, number];
    return [la, east360 && lo < 0 ? lo + 360 : lo];
  });
  return { ny: g.nj, nx: g.ni, rowLat: null, colLon: null, lat, lon, order: scanOrder(g.nj, g.ni, g.scan), kind: 'projected', crs: def };
}

/** Rotated-pole grids: rotated lat/lon (degrees, in place) back to geographic coordinates. */
export function unrotate(lat: Float64Array, lon: Float64Array, spLat: number, spLon: number, angle: number): void {
  const rad = Math.PI / 180;
  const theta = -(90 + spLat) * rad;
  const ct = Math.cos(theta);
  const st = Math.sin(theta);
  for (let k = 0; k < lat.length; k++) {
    const la = lat[k]! * rad;
    const lo = (lon[k]! + angle) * rad;
    const x = Math.cos(la) * Math.cos(lo);
    const y = Math.cos(la) * Math.sin(lo);
    const z = Math.sin(la);
    const x2 = ct * x + st * z;
    const z2 = -st * x + ct * z;
    lat[k] = Math.asin(Math.max(-1, Math.min(1, z2))) / rad;
    let out = Math.atan2(y, x2) / rad + spLon;
    if (out > 180) out -= 360;
    if (out <= -180) out += 360;
    lon[k] = out;
  }
}

/**
 * Gaussian latitudes by N: a memo of a pure function (no file state), as finding the 2N roots
 * costs O(N²) and files on one Gaussian grid ask for the same N again.
 */
const gaussCache = new Map<number, Float64Array>();

/** The 2N Gaussian latitudes (north to south): zeros of the Legendre polynomial P_2N. */
export function gaussianLatitudes(n: number): Float64Array {
  let out = gaussCache.get(n);
  if (out) return out;
  const nlat = 2 * n;
  out = new Float64Array(nlat);
  for (let i = 0; i < n; i++) {
    // Newton iteration from the standard first guess.
    let z = Math.cos((Math.PI * (i + 0.75)) / (nlat + 0.5));
    for (let iter = 0; iter < 100; iter++) {
      let p1 = 1;
      let p2 = 0;
      for (let k = 1; k <= nlat; k++) {
        const p3 = p2;
        p2 = p1;
        p1 = ((2 * k - 1) * z * p2 - (k - 1) * p3) / k;
      }
      const pp = (nlat * (z * p1 - p2)) / (z * z - 1);
      const dz = p1 / pp;
      z -= dz;
      if (Math.abs(dz) < 1e-15) break;
    }
    const lat = (Math.asin(z) * 180) / Math.PI;
    out[i] = lat;
    out[nlat - 1 - i] = -lat;
  }
  gaussCache.set(n, out);
  return out;
}

function nearest(arr: Float64Array, v: number): number {
  let best = 0;
  for (let i = 1; i < arr.length; i++) if (Math.abs(arr[i]! - v) < Math.abs(arr[best]! - v)) best = i;
  return best;
}

/** Scanning bits that only order the stored values (WMO code table 3.4 bits 1-4). */
const ORDER_BITS = 0x80 | 0x40 | 0x20 | 0x10;

/**
 * The grid as rows of points, whatever order the message stores them in: for grids whose
 * points are fixed by their extent (regular, rotated and regular Gaussian lat/lon), north to
 * south, west to east, row by row. Fields stored in other scanning orders on the same points get
 * the same canonical grid, so they share a variable group (rows are points; the scanning mode is
 * a storage detail). Other grids are returned as they are (their first point depends on the scan).
 */
export function canonicalGrid(g: GridDef): GridDef {
  if ((g.kind !== 'regular_ll' && g.kind !== 'rotated_ll' && g.kind !== 'regular_gg') || (g.scan & ~ORDER_BITS & 0xff) !== 0) return g;
  if ((g.scan & ORDER_BITS) === 0) return g;
  const c = { ...g, scan: 0 };
  if (g.scan & 0x40) [c.lat1, c.lat2] = [g.lat2, g.lat1];
  if (g.scan & 0x80) [c.lon1, c.lon2] = [g.lon2, g.lon1];
  return c;
}

/**
 * Map from the canonical grid's row-major index to the index in the message's value order, for
 * a field stored as `g` (canonicalGrid(g) must be the group's grid); null when they coincide.
 */
export function canonicalOrder(g: GridDef): Int32Array | null {
  const c = canonicalGrid(g);
  if (c === g) return g.kind === 'reduced_gg' ? null : scanOrder(g.nj, g.ni, g.scan);
  if (g.kind === 'reduced_gg') return null; // never canonicalised
  const { nj, ni } = g;
  const own = scanOrder(nj, ni, g.scan);
  const flipY = (g.scan & 0x40) !== 0;
  const flipX = (g.scan & 0x80) !== 0;
  const order = new Int32Array(nj * ni);
  for (let y = 0, k = 0; y < nj; y++) {
    const yf = flipY ? nj - 1 - y : y;
    for (let x = 0; x < ni; x++, k++) {
      const kf = yf * ni + (flipX ? ni - 1 - x : x);
      order[k] = own ? own[kf]! : kf;
    }
  }
  return order;
}
