/**
 * Where the cells of a NetCDF grid lie when it has no 1-D latitude/longitude axes: 2-D lat/lon
 * variables named by CF `coordinates`, or projected x/y with a CF grid mapping (or WKT) through
 * proj4. Gives per-cell lat/lon for reads and per-row/column extents for planning.
 */
import proj4 from 'proj4';
import { axisRole, coordinateVariable } from '../cf/axes.js';
import { gridMappingProjection } from '../cf/grid-mapping.js';
import { cfPacking, decodeCf } from '../cf/packing.js';
import { DecodeError } from '../errors.js';
import type { IndexRange } from '../types.js';
import { attrString, type NcVariable } from '../cf/variable.js';
import type { NcBackend } from './backend.js';

/**
 * Where the (y, x) cells of a grid without 1-D lat/lon axes lie: 2-D latitude/longitude variables
 * named by CF `coordinates` (swaths, curvilinear ocean grids), or projected x/y coordinates with a
 * CF grid mapping (polar stereographic, Lambert, geostationary, UTM ...) projected with proj4.
 */
export type Curvilinear =
  | {
      kind: 'coordinates';
      lat: string;
      lon: string;
      /** The grid's y and x dimensions: the two horizontal ones in the data variable's own order. */
      yDim: string;
      xDim: string;
    }
  | {
      kind: 'projected';
      def: string;
      scale: number;
      xVar: string;
      yVar: string;
      xs?: Float64Array;
      ys?: Float64Array;
      /** The grid's row and column dimensions: the projected y and x dimensions in the data variable's order. */
      yDim: string;
      xDim: string;
      /** Grid rows run along projected x (a variable stored `(x, y)`): row r is xs[r], column c is ys[c]. */
      swapped: boolean;
    };

/**
 * The 2-D latitude and longitude variables a variable names in its CF `coordinates` attribute,
 * on two of its dimensions (swaths, curvilinear ocean grids), in any order: `(time, y, x)`,
 * `(y, time, x)`, `(x, y)` with lat(y, x) or lat(x, y). The grid's rows (y) are the horizontal
 * dimension that comes first in the data variable, so its values are read in storage order and
 * only the (smaller) 2-D coordinate variables may need transposing. Undefined when there are none.
 */
export function curvilinearCoordinates(vars: NcVariable[], v: NcVariable): Curvilinear | undefined {
  if (v.dims.length < 2) return undefined;
  const named = (attrString(v.attrs.coordinates) ?? '').split(/\s+/).filter(Boolean);
  const onGrid = named
    .map((n) => vars.find((x) => x.name === n))
    .filter((x): x is NcVariable => !!x && x.dims.length === 2 && x.dims[0] !== x.dims[1] && x.dims.every((d) => v.dims.filter((vd) => vd === d).length === 1) && x.type !== 'char' && x.type !== 'string');
  const lat = onGrid.find((x) => axisRole(x, x.name) === 'lat');
  const lon = onGrid.find((x) => axisRole(x, x.name) === 'lon' && x.dims.slice().sort().join(',') === lat?.dims.slice().sort().join(','));
  if (!lat || !lon) return undefined;
  const [yDim, xDim] = v.dims.filter((d) => lat.dims.includes(d)) as [string, string];
  return { kind: 'coordinates', lat: lat.name, lon: lon.name, yDim, xDim };
}

/**
 * Projected x/y: two of the variable's dimensions have 1-D projection x/y coordinate variables
 * (standard_name or axis), in either order, and `grid_mapping` names a known projection.
 */
export function projectedCoordinates(vars: NcVariable[], v: NcVariable): Curvilinear | undefined {
  if (v.dims.length < 2) return undefined;
  const gm = vars.find((x) => x.name === (attrString(v.attrs.grid_mapping) ?? '').trim().split(/[\s:]/)[0]);
  if (!gm) return undefined;
  const isX = (c: NcVariable) => attrString(c.attrs.standard_name) === 'projection_x_coordinate' || (attrString(c.attrs.axis) ?? '').toUpperCase() === 'X';
  const isY = (c: NcVariable) => attrString(c.attrs.standard_name) === 'projection_y_coordinate' || (attrString(c.attrs.axis) ?? '').toUpperCase() === 'Y';
  const axes = v.dims.map((d) => coordinateVariable(vars, d)).map((c) => (c && c.type !== 'char' && c.type !== 'string' ? c : undefined));
  const xs = axes.filter((c): c is NcVariable => !!c && isX(c));
  const ys = axes.filter((c): c is NcVariable => !!c && isY(c) && !isX(c));
  if (xs.length !== 1 || ys.length !== 1) return undefined;
  const [xVar, yVar] = [xs[0]!, ys[0]!];
  const swapped = v.dims.indexOf(xVar.name) < v.dims.indexOf(yVar.name);
  const p = gridMappingProjection(gm, attrString(xVar.attrs.units));
  return p
    ? { kind: 'projected', def: p.def, scale: p.scale, xVar: xVar.name, yVar: yVar.name, yDim: swapped ? xVar.name : yVar.name, xDim: swapped ? yVar.name : xVar.name, swapped }
    : undefined;
}

/** Projected (x, y) of grid cell (row, col), in the projection's units. */
function projectedAt(c: Extract<Curvilinear, { kind: 'projected' }>, row: number, col: number): [number, number] {
  return c.swapped ? [c.xs![row]! * c.scale, c.ys![col]! * c.scale] : [c.xs![col]! * c.scale, c.ys![row]! * c.scale];
}

const converters = new Map<string, proj4.Converter>();

function converter(def: string): proj4.Converter {
  let c = converters.get(def);
  if (!c) {
    c = proj4(def, 'EPSG:4326');
    converters.set(def, c);
  }
  return c;
}

/** Per-row latitude and per-column longitude extents of a curvilinear grid, read in bands of rows. */
export async function curvilinearExtents(b: NcBackend, c: Curvilinear, ny: number, nx: number): Promise<{ rowLat: Array<[number, number]>; colLon: Array<[number, number]> }> {
  // Describe stays cheap: the cost grows with the grid, which a damaged dimension can make absurd.
  if (ny * nx > MAX_EXTENT_CELLS) throw new DecodeError('LIMIT', b.path, `a ${ny} x ${nx} grid with per-cell coordinates is larger than ${MAX_EXTENT_CELLS} cells`);
  if (c.kind === 'projected' && ny * nx > EXACT_EXTENT_CELLS) return sampledExtents(c, ny, nx);
  const rowLat: Array<[number, number]> = Array.from({ length: ny }, () => [Infinity, -Infinity]);
  const colLon: Array<[number, number]> = Array.from({ length: nx }, () => [Infinity, -Infinity]);
  const band = Math.max(1, Math.floor((4 << 20) / Math.max(1, nx)));
  for (let y0 = 0; y0 < ny; y0 += band) {
    const rows = Math.min(band, ny - y0);
    const { lat, lon } = await cellCoordinates(b, c, [y0, y0 + rows], [0, nx]);
    for (let r = 0; r < rows; r++) {
      const ext = rowLat[y0 + r]!;
      for (let x = 0; x < nx; x++) {
        const la = lat[r * nx + x]!;
        const lo = lon[r * nx + x]!;
        if (la < ext[0]) ext[0] = la;
        if (la > ext[1]) ext[1] = la;
        const ce = colLon[x]!;
        if (lo < ce[0]) ce[0] = lo;
        if (lo > ce[1]) ce[1] = lo;
      }
    }
  }
  // Rows or columns without any valid position can match no bbox.
  for (const e of [...rowLat, ...colLon]) if (e[0] > e[1]) (e[0] = NaN), (e[1] = NaN);
  return { rowLat, colLon };
}

/** Grids up to this many cells get exact per-row/column extents; larger projected grids are sampled. */
const EXACT_EXTENT_CELLS = 4 << 20;
const MAX_EXTENT_CELLS = 2 ** 31;

/**
 * Extents of a large projected grid from a lattice of about 1 M projected cells (every k-th row and
 * column, and the last ones), widened by the largest step between neighbouring samples so a row's
 * or column's bound still covers its unsampled cells (projections are smooth). Planning only
 * prunes with these; the row filter keeps exactly the cells inside a bbox.
 */
function sampledExtents(c: Extract<Curvilinear, { kind: 'projected' }>, ny: number, nx: number): { rowLat: Array<[number, number]>; colLon: Array<[number, number]> } {
  const k = Math.ceil(Math.sqrt((ny * nx) / (1 << 20)));
  const pick = (n: number) => [...Array.from({ length: Math.ceil(n / k) }, (_, i) => i * k), n - 1].filter((v, i, a) => a.indexOf(v) === i);
  const rows = pick(ny);
  const cols = pick(nx);
  const f = converter(c.def);
  const lat = new Float64Array(rows.length * cols.length);
  const lon = new Float64Array(lat.length);
  rows.forEach((r, i) =>
    cols.forEach((col, j) => {
      let p: number[];
      try {
        p = f.forward(projectedAt(c, r, col));
      } catch {
        p = [NaN, NaN];
      }
      lon[i * cols.length + j] = p[0]!;
      lat[i * cols.length + j] = p[1]!;
    }),
  );
  let margin = 0;
  for (let i = 0; i < rows.length; i++) {
    for (let j = 0; j < cols.length; j++) {
      const a = i * cols.length + j;
      for (const b2 of [j + 1 < cols.length ? a + 1 : -1, i + 1 < rows.length ? a + cols.length : -1]) {
        if (b2 < 0) continue;
        const d = Math.max(Math.abs(lat[a]! - lat[b2]!), Math.abs(lon[a]! - lon[b2]!));
        if (Number.isFinite(d) && d < 180) margin = Math.max(margin, d);
      }
    }
  }
  const rowLat: Array<[number, number]> = new Array(ny);
  const colLon: Array<[number, number]> = new Array(nx);
  const bound = (vals: number[]): [number, number] => {
    const ok = vals.filter(Number.isFinite);
    return ok.length ? [Math.min(...ok) - margin, Math.max(...ok) + margin] : [NaN, NaN];
  };
  for (let i = 0; i < rows.length; i++) {
    // Rows between two sampled rows take the union of both, widened.
    const here = cols.map((_, j) => lat[i * cols.length + j]!);
    const next = i + 1 < rows.length ? cols.map((_, j) => lat[(i + 1) * cols.length + j]!) : [];
    const e = bound([...here, ...next]);
    for (let r = rows[i]!; r < (rows[i + 1] ?? ny); r++) rowLat[r] = e;
  }
  for (let j = 0; j < cols.length; j++) {
    const here = rows.map((_, i) => lon[i * cols.length + j]!);
    const next = j + 1 < cols.length ? rows.map((_, i) => lon[i * cols.length + j + 1]!) : [];
    const e = bound([...here, ...next]);
    for (let x = cols[j]!; x < (cols[j + 1] ?? nx); x++) colLon[x] = e;
  }
  return { rowLat, colLon };
}

/** Latitude and longitude of the cells of a window (NaN where unknown, e.g. off a geostationary disc). */
export async function cellCoordinates(b: NcBackend, c: Curvilinear, y: IndexRange, x: IndexRange): Promise<{ lat: Float64Array; lon: Float64Array }> {
  if (c.kind === 'projected') {
    const nx = x[1] - x[0];
    const lat = new Float64Array((y[1] - y[0]) * nx);
    const lon = new Float64Array(lat.length);
    const f = converter(c.def);
    for (let r = y[0], k = 0; r < y[1]; r++) {
      for (let col = x[0]; col < x[1]; col++, k++) {
        let p: number[];
        try {
          p = f.forward(projectedAt(c, r, col));
        } catch {
          p = [NaN, NaN];
        }
        const ok = Number.isFinite(p[0]) && Number.isFinite(p[1]) && Math.abs(p[1]!) <= 90;
        lon[k] = ok ? p[0]! : NaN;
        lat[k] = ok ? p[1]! : NaN;
      }
    }
    return { lat, lon };
  }
  const ny = y[1] - y[0];
  const nx = x[1] - x[0];
  const read = async (name: string): Promise<Float64Array> => {
    const v = b.variables.find((q) => q.name === name)!;
    // Each variable in its own order: lat(x, y) beside lon(y, x) is odd but valid CF.
    const transposed = v.dims[0] !== c.yDim;
    const raw = transposed ? await b.read(name, [x[0], y[0]], [nx, ny]) : await b.read(name, [y[0], x[0]], [ny, nx]);
    const d = decodeCf(raw, cfPacking(v));
    if (!transposed) return Float64Array.from(d.values);
    const out = new Float64Array(ny * nx);
    for (let xi = 0, k = 0; xi < nx; xi++) for (let yi = 0; yi < ny; yi++, k++) out[yi * nx + xi] = Number(d.values[k]);
    return out;
  };
  return { lat: await read(c.lat), lon: await read(c.lon) };
}
