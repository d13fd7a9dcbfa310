/**
 * Coordinate columns of a points-layout batch: native x/y of pixel centres from the geotransform
 * and lat/lon through the CRS. On north-up rasters x depends only on the column and y only on the
 * row, so one row of x is computed and repeated, and y is a fill per row; geographic rasters reuse
 * x/y as lon/lat. Where a pixel has no lat/lon (no CRS, or outside the projection's domain, like
 * the space around a geostationary disc) lat and lon are null.
 */
import type { ColumnData } from '../types.js';
import { emptyBitmap, setBit } from '../validity.js';
import type { Geotransform, Projector } from './georef.js';

export interface PointsGeometry {
  gt: Geotransform;
  geographic: boolean;
  /** Native x/y to lon/lat, null without a CRS. */
  project: Projector | null;
}

/** lat, lon (and x, y unless geographic) for window rows [r0, r1) and columns [c0, c1). */
export function coordinateColumns(g: PointsGeometry, [r0, r1]: [number, number], [c0, c1]: [number, number]): ColumnData[] {
  const nx = c1 - c0;
  const n = (r1 - r0) * nx;
  const gt = g.gt;
  const xs = coordinates(n);
  const ys = coordinates(n);
  const northUp = gt[2] === 0 && gt[4] === 0;
  if (northUp) {
    for (let c = c0; c < c1; c++) xs[c - c0] = gt[0] + (c + 0.5) * gt[1] + (r0 + 0.5) * gt[2];
    for (let filled = nx; filled < n; filled *= 2) xs.copyWithin(filled, 0, Math.min(filled, n - filled));
    for (let r = r0; r < r1; r++) ys.fill(gt[3] + (c0 + 0.5) * gt[4] + (r + 0.5) * gt[5], (r - r0) * nx, (r - r0 + 1) * nx);
  } else {
    for (let r = r0, k = 0; r < r1; r++) {
      for (let c = c0; c < c1; c++, k++) {
        xs[k] = gt[0] + (c + 0.5) * gt[1] + (r + 0.5) * gt[2];
        ys[k] = gt[3] + (c + 0.5) * gt[4] + (r + 0.5) * gt[5];
      }
    }
  }
  let lat: Float64Array, lon: Float64Array;
  const f = g.project;
  let geo: { validity?: Uint8Array; nullCount: number };
  if (g.geographic) {
    lon = xs;
    lat = ys;
    // lat is constant along a row and lon along a column: check one row of lon and one column of lat.
    geo = northUp ? gridValidity(ys, xs, r1 - r0, nx) : latLonValidity(lat, lon, true);
  } else {
    // Without a CRS the (null) values are zeros, not whatever the memory held.
    lat = f ? coordinates(n) : new Float64Array(n);
    lon = f ? coordinates(n) : new Float64Array(n);
    if (f) {
      for (let k = 0; k < n; k++) {
        const p = f(xs[k]!, ys[k]!);
        lon[k] = p[0];
        lat[k] = p[1];
      }
    }
    geo = latLonValidity(lat, lon, f !== null);
  }
  const columns: ColumnData[] = [
    { name: 'lat', values: lat, ...geo },
    { name: 'lon', values: lon, ...geo },
  ];
  if (!g.geographic) columns.push({ name: 'x', values: xs, nullCount: 0 }, { name: 'y', values: ys, nullCount: 0 });
  return columns;
}

/** A coordinate column; not zeroed (allocUnsafeSlow, not pooled, so transferable): every value is written. */
function coordinates(n: number): Float64Array {
  return new Float64Array(Buffer.allocUnsafeSlow(n * 8).buffer, 0, n);
}

function validLatLon(la: number, lo: number): boolean {
  return la >= -90 && la <= 90 && Number.isFinite(lo);
}

/** Validity of a north-up geographic batch: lat taken from the first column of each row, lon from the first row. */
function gridValidity(lat: Float64Array, lon: Float64Array, rows: number, nx: number): { validity?: Uint8Array; nullCount: number } {
  let rowsOk = true;
  for (let r = 0; r < rows && rowsOk; r++) rowsOk = validLatLon(lat[r * nx]!, 0);
  let colsOk = true;
  for (let c = 0; c < nx && colsOk; c++) colsOk = validLatLon(0, lon[c]!);
  return rowsOk && colsOk ? { nullCount: 0 } : latLonValidity(lat, lon, true);
}

function latLonValidity(lat: Float64Array, lon: Float64Array, located: boolean): { validity?: Uint8Array; nullCount: number } {
  const n = lat.length;
  if (!located) return { validity: emptyBitmap(n), nullCount: n };
  let nulls = 0;
  for (let k = 0; k < n; k++) {
    const la = lat[k]!;
    if (!validLatLon(la, lon[k]!)) nulls++;
  }
  if (nulls === 0) return { nullCount: 0 };
  const validity = emptyBitmap(n);
  for (let k = 0; k < n; k++) {
    const la = lat[k]!;
    if (validLatLon(la, lon[k]!)) setBit(validity, k);
  }
  return { validity, nullCount: nulls };
}
