/**
 * The coordinate columns of a points-layout batch (lat, lon, [level], [projected x, y]) for
 * `lc` levels x `ny` grid rows x `nx` grid columns in C order. Every column is a repeated
 * pattern, so it is written with native fills and copies, never value by value: a row pattern
 * (lon, x) is set once and doubled with copyWithin; a per-row value (lat, y) is one fill per
 * row; a level is one fill per level; the first level's block is copied for the others.
 */
import { uninitialisedFloat64 } from '../cf/buffers.js';
import type { ColumnData, VariableGroup } from '../types.js';
import { validityFromNaN } from '../validity.js';
import type { Curvilinear } from './cell-grids.js';

export interface BandShape {
  /** Level values of the batch's levels (empty when the group has no level axis). */
  levels: number[];
  y0: number;
  ny: number;
  nx: number;
}

/** Per-read constants: the selected columns' longitudes (and the projected coordinate along columns), computed once. */
export interface RowPatterns {
  lon: Float64Array;
  x?: Float64Array;
}

export function rowPatterns(group: VariableGroup, c: Curvilinear | undefined, x: [number, number]): RowPatterns {
  const lon = Float64Array.from(group.grid.colLon.slice(x[0], x[1]), (e) => e[0]);
  // The native coordinate that varies along grid columns: x, or y when rows run along x.
  return c?.kind === 'projected' ? { lon, x: (c.swapped ? c.ys! : c.xs!).slice(x[0], x[1]) } : { lon };
}

export function pointColumns(
  group: VariableGroup,
  c: Curvilinear | undefined,
  cells: { lat: Float64Array; lon: Float64Array } | undefined,
  pat: RowPatterns,
  band: BandShape,
  hasLevel: boolean,
): ColumnData[] {
  const { y0, ny, nx } = band;
  const lc = Math.max(1, band.levels.length);
  const block = ny * nx;
  const rows = lc * block;
  const lat = uninitialisedFloat64(rows);
  const lon = uninitialisedFloat64(rows);
  if (cells) {
    lat.set(cells.lat);
    lon.set(cells.lon);
  } else {
    for (let yi = 0; yi < ny; yi++) lat.fill(group.grid.rowLat[y0 + yi]![0], yi * nx, (yi + 1) * nx);
    lon.set(pat.lon);
    repeat(lon, nx, block);
  }
  repeat(lat, block, rows);
  repeat(lon, block, rows);
  const out: ColumnData[] = [];
  if (c?.kind === 'projected') {
    const geo = validityFromNaN(lat);
    out.push({ name: 'lat', values: lat, ...geo }, { name: 'lon', values: lon, ...geo });
  } else out.push({ name: 'lat', values: lat, nullCount: 0 }, { name: 'lon', values: lon, nullCount: 0 });
  if (hasLevel) {
    const level = uninitialisedFloat64(rows);
    for (let li = 0; li < lc; li++) level.fill(band.levels[li] ?? NaN, li * block, (li + 1) * block);
    out.push({ name: 'level', values: level, nullCount: 0 });
  }
  if (c?.kind === 'projected') {
    // Along columns: the row pattern; along rows: one fill per grid row (x and y trade places when swapped).
    const along = uninitialisedFloat64(rows);
    const across = uninitialisedFloat64(rows);
    along.set(pat.x!);
    repeat(along, nx, rows);
    const perRow = c.swapped ? c.xs! : c.ys!;
    for (let yi = 0; yi < ny; yi++) across.fill(perRow[y0 + yi]!, yi * nx, (yi + 1) * nx);
    repeat(across, block, rows);
    const [xc, yc] = c.swapped ? [across, along] : [along, across];
    out.push({ name: 'x', values: xc, nullCount: 0 }, { name: 'y', values: yc, nullCount: 0 });
  }
  return out;
}

/** a[0, len) is a pattern: repeats it up to `end` by doubling copies. */
function repeat(a: Float64Array, len: number, end: number): void {
  if (len <= 0) return;
  for (let filled = len; filled < end; filled *= 2) a.copyWithin(filled, 0, Math.min(filled, end - filled));
}
