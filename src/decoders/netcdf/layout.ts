/**
 * Layout inference: which data variables share rows (same dimensions), and whether a set of
 * dimensions maps onto the points layout (time, [level], lat, lon) or needs the array layout.
 * Pure functions of the header, so the rules can be read (and tested) without any I/O.
 */
import { axisRole, coordinateVariable, type AxisRole } from '../cf/axes.js';
import { isGeographicMapping } from '../cf/grid-mapping.js';
import { attrString, type NcVariable } from '../cf/variable.js';
import type { VariableGroup } from '../types.js';
import { curvilinearCoordinates, projectedCoordinates, type Curvilinear } from './cell-grids.js';

/**
 * How the variables of one group map onto rows. `geo`: dims are [time] [level] lat lon on 1-D
 * latitude/longitude axes, or on 2-D/projected cell grids (the points layout). `array`:
 * everything else (projected x/y without a known mapping, coordinate-less arrays, 1-D series,
 * scalars): an optional leading time axis, then y = the next dimension and x = all remaining
 * dimensions flattened in C order, with one coordinate column per dimension (its coordinate
 * variable's values, or the index), as xarray's to_dataframe does.
 */
export type Layout =
  | { kind: 'geo'; roles: AxisRole[]; dims: string[]; curvilinear?: Curvilinear }
  | { kind: 'array'; dims: string[]; hasTime: boolean; dimColumns: DimColumn[] };

export type GeoLayout = Extract<Layout, { kind: 'geo' }>;
export type ArrayLayout = Extract<Layout, { kind: 'array' }>;

/** One coordinate column of an array group: values per index of one dimension. */
export interface DimColumn {
  name: string;
  dim: string;
  size: number;
  /** Coordinate variable values, or null when the column is the index. */
  values: Float64Array | null;
}

/** A described group with what reads need beyond the public description. */
export interface Grouping {
  group: VariableGroup;
  layout: Layout;
  /** Original CF time values, for calendars whose `time_value` column keeps them (see coordinates.ts). */
  rawTimes?: number[];
}

/** Data variables with the same dimensions, and the points-layout roles of those dimensions when they have one. */
export interface VariableSet {
  key: string;
  vars: NcVariable[];
  geo: AxisRole[] | null;
  curvilinear?: Curvilinear;
  /**
   * Array sets whose dimensions include 1-D latitude and longitude axes in another order (e.g.
   * `(lat, lev, lon)`, `(time, lon, lat, lev)`): the roles of the dimensions, so the array
   * layout names those columns lat/lon and the set is found by bbox.
   */
  positioned?: AxisRole[];
}

/** Groups data variables by dimensions (coordinate variables and text are not data). */
export function classify(vars: NcVariable[]): { sets: VariableSet[]; skipped: string[] } {
  const byKey = new Map<string, VariableSet>();
  const skipped: string[] = [];
  for (const v of vars) {
    if (coordinateVariable(vars, v.dims[0] ?? '') === v) continue;
    if (v.type === 'char' || v.type === 'string') {
      skipped.push(`${v.name}(text)`);
      continue;
    }
    const roles = dimensionRoles(vars, v);
    let geo = v.dims.length >= 2 && layoutProblem(roles) === null ? roles.map((r) => (r === 'other' ? 'level' : r)) : null;
    const curvilinear = geo ? undefined : (curvilinearCoordinates(vars, v) ?? projectedCoordinates(vars, v));
    if (curvilinear) geo = curvilinearRoles(v.dims, roles, curvilinear);
    const dimsKey = v.dims.length ? v.dims.join(',') : '(scalar)';
    // Rows must mean the same thing: a variable on a 2-D lat/lon grid shares its dimensions with
    // those lat/lon variables themselves (`sst(y, x)` beside `lat(y, x)`), which have no position
    // of their own. The positioned set keeps the dimensions as its id, the other is told apart.
    const key = byKey.has(dimsKey) && !byKey.get(dimsKey)!.geo !== !geo ? (geo ? swapAside(byKey, dimsKey) : `${dimsKey} (array)`) : dimsKey;
    let set = byKey.get(key);
    const positioned = !geo && roles.filter((r) => r === 'lat').length === 1 && roles.filter((r) => r === 'lon').length === 1 ? roles : undefined;
    if (!set) byKey.set(key, (set = { key, vars: [], geo, curvilinear: geo ? curvilinear : undefined, ...(positioned ? { positioned } : {}) }));
    set.vars.push(v);
  }
  return { sets: [...byKey.values()], skipped };
}

/**
 * CF roles of a variable's dimensions. A geographic grid mapping (a `latitude_longitude` mapping
 * or an EPSG:4326 WKT) makes its 1-D axes latitude/longitude even without units: by name
 * (lat.../lon...), else the last two dimensions (y, x).
 */
export function dimensionRoles(vars: NcVariable[], v: NcVariable): AxisRole[] {
  const roles = v.dims.map((d) => axisRole(coordinateVariable(vars, d), d));
  if (roles.includes('lat') && roles.includes('lon')) return roles;
  const gmName = (attrString(v.attrs.grid_mapping) ?? '').trim().split(/[\s:]/)[0];
  const gm = gmName ? vars.find((x) => x.name === gmName) : undefined;
  if (!gm || !isGeographicMapping(gm)) return roles;
  const axis = (i: number) => {
    const c = coordinateVariable(vars, v.dims[i]!);
    return !!c && c.type !== 'char' && c.type !== 'string' && roles[i] === 'other';
  };
  const out = [...roles];
  v.dims.forEach((d, i) => {
    if (axis(i) && /^lat/i.test(d)) out[i] = 'lat';
    else if (axis(i) && /^lon/i.test(d)) out[i] = 'lon';
  });
  const n = v.dims.length;
  if (!out.includes('lat') && !out.includes('lon') && n >= 2 && axis(n - 2) && axis(n - 1)) [out[n - 2], out[n - 1]] = ['lat', 'lon'];
  return out.includes('lat') && out.includes('lon') ? out : roles;
}

/** Moves the set under `key` to `key (array)` (keeping its place) so a positioned set can take the key. */
function swapAside(byKey: Map<string, VariableSet>, key: string): string {
  const entries = [...byKey.entries()].map(([k, set]): [string, VariableSet] => (k === key ? [`${key} (array)`, { ...set, key: `${key} (array)` }] : [k, set]));
  byKey.clear();
  for (const [k, set] of entries) byKey.set(k, set);
  return key;
}

/**
 * Roles of a variable on a 2-D lat/lon grid or projected x/y: its grid row and column dimensions are lat and lon wherever they
 * sit; of the others at most one is time and one is a level (any other axis counts as a level),
 * in any order, since every read takes one time step and, unless the level comes before y, one
 * level (read-points.ts). Null when the other axes do not fit.
 */
export function curvilinearRoles(dims: string[], roles: AxisRole[], c: Curvilinear): Array<Exclude<AxisRole, 'other'>> | null {
  const out = dims.map((d, i): Exclude<AxisRole, 'other'> => (d === c.yDim ? 'lat' : d === c.xDim ? 'lon' : roles[i] === 'other' ? 'level' : roles[i]!));
  const count = (r: AxisRole) => out.filter((x) => x === r).length;
  // 1-D lat/lon axes beside the 2-D grid, or two time or level axes, do not make points.
  return count('lat') === 1 && count('lon') === 1 && count('time') <= 1 && count('level') <= 1 ? out : null;
}

/** Points layout needs dims ordered [time] [level] lat lon with at most one extra (level) axis. */
export function layoutProblem(roles: AxisRole[]): string | null {
  const n = roles.length;
  if (roles[n - 1] !== 'lon' || roles[n - 2] !== 'lat') {
    return roles.includes('lat') && roles.includes('lon') ? 'lat/lon are not the two last dimensions' : 'no 1-D latitude/longitude coordinates';
  }
  const rest = roles.slice(0, n - 2);
  if (rest.length > 2) return 'more than one non-spatial axis besides time';
  if (rest.length === 2 && (rest[0] !== 'time' || rest[1] === 'time')) return 'unsupported axis order';
  if (rest.length === 1 && rest[0] !== 'time' && rest[0] !== 'level' && rest[0] !== 'other') return 'unsupported axis';
  return null;
}
