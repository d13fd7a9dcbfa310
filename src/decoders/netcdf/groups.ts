/**
 * The description of one variable group: its coordinate columns, time and level axes, and grid
 * extents (what the partitioner plans from). Reads coordinate variables only, never data.
 */
import { axisRole, coordinateVariable, type AxisRole } from '../cf/axes.js';
import { cfPacking } from '../cf/packing.js';
import { attrString, attrToText, type NcVariable } from '../cf/variable.js';
import type { ColumnSpec, VariableGroup } from '../types.js';
import type { NcBackend } from './backend.js';
import { curvilinearExtents } from './cell-grids.js';
import { readCoordinate, timeAxis, type TimeAxis } from './coordinates.js';
import type { DimColumn, GeoLayout, Grouping, VariableSet } from './layout.js';

export async function buildGrouping(b: NcBackend, set: VariableSet): Promise<Grouping> {
  if (!set.geo) return buildArrayGroup(b, set.key, set.vars, set.positioned);
  return buildGeoGroup(b, set.key, set.vars, { kind: 'geo', roles: set.geo, dims: set.vars[0]!.dims, curvilinear: set.curvilinear });
}

function variableInfos(vars: NcVariable[]): VariableGroup['variables'] {
  return vars.map((v) => {
    const p = cfPacking(v);
    const attributes = Object.fromEntries(Object.entries(v.attrs).map(([k, a]) => [k, attrToText(a)]));
    return { name: v.name, type: p.outType, units: attrString(v.attrs.units), longName: attrString(v.attrs.long_name), attributes };
  });
}

/**
 * Grid rows decoded together: the chunk length along the y dimension (index `yDim`) of chunked
 * variables, so the planner cuts partitions on chunk boundaries (a chunk split between two
 * partitions is inflated by both). Variables chunked differently give the least common multiple
 * when it fits in the grid, else the longest chunk.
 */
function blockRowsOf(b: NcBackend, vars: NcVariable[], yDim: number): { blockRows?: number } {
  if (yDim < 0) return {};
  const rows = [...new Set(vars.map((v) => b.chunkShape(v.name)?.[yDim]).filter((r): r is number => !!r && r > 1))];
  if (rows.length === 0) return {};
  const ny = vars[0]!.shape[yDim] ?? 1;
  const lcm = rows.reduce((a, r) => (a * r) / gcd(a, r));
  return { blockRows: Math.min(ny, lcm <= ny ? lcm : Math.max(...rows)) };
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** A scalar time coordinate (e.g. a daily file's `day` or `time` variable with no dimension). */
function scalarTime(all: NcVariable[], v: NcVariable): NcVariable | undefined {
  const named = (attrString(v.attrs.coordinates) ?? '').split(/\s+/).filter(Boolean);
  const candidates = all.filter((x) => x.shape.length === 0 && axisRole(x, x.name) === 'time');
  return candidates.find((x) => named.includes(x.name)) ?? (candidates.length === 1 ? candidates[0] : undefined);
}

/**
 * An array group (see Layout). Without latitude/longitude axes it has no lat/lon extents and a
 * bbox never matches; with them in another order (`positioned` roles) their columns are named
 * lat/lon, every row carries its position, and the extents let the planner prune by bbox.
 */
async function buildArrayGroup(b: NcBackend, id: string, vars: NcVariable[], positioned?: AxisRole[]): Promise<Grouping> {
  const all = b.variables;
  const dims = vars[0]!.dims;
  const shape = vars[0]!.shape;
  const coordinates: ColumnSpec[] = [];
  const metadata: Record<string, string> = { layout: 'array', dimensions: dims.join(',') };
  const leadTime = dims.length > 0 ? coordinateVariable(all, dims[0]!) : undefined;
  const hasTime = !!leadTime && axisRole(leadTime, dims[0]!) === 'time';
  const timeVar = hasTime ? leadTime : dims.length === 0 || dims.length >= 2 ? scalarTime(all, vars[0]!) : undefined;
  const time: TimeAxis = timeVar ? await timeAxis(b, timeVar, coordinates, metadata) : { times: [] };
  const taken = new Set<string>([...coordinates.map((c) => c.name), ...vars.map((v) => v.name)]);
  const dimColumns: DimColumn[] = [];
  for (let i = hasTime ? 1 : 0; i < dims.length; i++) {
    const dim = dims[i]!;
    const cv = coordinateVariable(all, dim);
    const numeric = cv && cv.type !== 'char' && cv.type !== 'string';
    const role = positioned?.[i];
    let name = role === 'lat' || role === 'lon' ? role : dim;
    while (taken.has(name)) name = `${name}_coord`;
    taken.add(name);
    const values = numeric ? await readCoordinate(b, cv) : null;
    const md: Record<string, string> = { dimension: dim, role: values ? 'coordinate' : 'index' };
    if (name === 'lat' || name === 'lon') md.source = dim;
    const units = name === 'lat' ? 'degrees_north' : name === 'lon' ? 'degrees_east' : cv ? attrString(cv.attrs.units) : undefined;
    if (units) md.units = units;
    coordinates.push({ name, type: values ? 'float64' : 'int32', nullable: false, metadata: md });
    dimColumns.push({ name, dim, size: shape[i]!, values });
  }
  const ny = dimColumns[0]?.size ?? 1;
  const nx = dimColumns.slice(1).reduce((p, c) => p * c.size, 1);
  const extents = positionExtents(dimColumns, ny, nx);
  if (extents) metadata.position = 'lat/lon from the dimensions\' coordinate variables';
  const group: VariableGroup = {
    id,
    variables: variableInfos(vars),
    coordinates,
    times: time.times,
    levels: [],
    grid: { kind: 'array', ny, nx, rowLat: extents?.rowLat ?? [], colLon: extents?.colLon ?? [], ...(extents ? { crs: 'EPSG:4326' } : {}), ...blockRowsOf(b, vars, hasTime ? 1 : 0) },
    metadata,
  };
  return { group, layout: { kind: 'array', dims, hasTime, dimColumns }, rawTimes: time.raw };
}

/** Columns (flattened x) whose extents are listed one by one; beyond, the array is not positioned. */
const MAX_POSITIONED_COLUMNS = 1 << 20;

/**
 * Latitude extent of each y row and longitude extent of each flattened x column of a positioned
 * array: exact where the axis is that dimension, the whole axis range otherwise (a superset, so
 * pruning never loses a row; the exact bbox filter runs on the lat/lon columns).
 */
function positionExtents(cols: DimColumn[], ny: number, nx: number): { rowLat: Array<[number, number]>; colLon: Array<[number, number]> } | null {
  const lat = cols.find((c) => c.name === 'lat');
  const lon = cols.find((c) => c.name === 'lon');
  if (!lat?.values || !lon?.values || nx > MAX_POSITIONED_COLUMNS) return null;
  const range = (v: Float64Array): [number, number] => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const x of v) if (x === x) [lo, hi] = [Math.min(lo, x), Math.max(hi, x)];
    return [lo, hi];
  };
  const one = (x: number): [number, number] => (x === x ? [x, x] : [Infinity, -Infinity]);
  const latAll = range(lat.values);
  const lonAll = range(lon.values);
  const rowLat = cols[0] === lat ? Array.from(lat.values, one) : Array.from({ length: ny }, () => latAll);
  const at = cols.indexOf(lon);
  let colLon: Array<[number, number]>;
  if (at < 1) colLon = Array.from({ length: nx }, () => lonAll);
  else {
    const stride = cols.slice(at + 1).reduce((p, c) => p * c.size, 1);
    colLon = Array.from({ length: nx }, (_, x) => one(lon.values![Math.floor(x / stride) % lon.size]!));
  }
  return { rowLat, colLon };
}

async function buildGeoGroup(b: NcBackend, id: string, vars: NcVariable[], layout: GeoLayout): Promise<Grouping> {
  const all = b.variables;
  const dimOf = (role: AxisRole) => layout.dims[layout.roles.indexOf(role)];
  const c = layout.curvilinear;
  const ny = b.dims[dimOf('lat')!]!;
  const nx = b.dims[dimOf('lon')!]!;
  let latSource: string;
  let lonSource: string;
  let extents: { rowLat: Array<[number, number]>; colLon: Array<[number, number]> };
  if (c) {
    if (c.kind === 'projected') {
      c.xs = await readCoordinate(b, all.find((v) => v.name === c.xVar)!);
      c.ys = await readCoordinate(b, all.find((v) => v.name === c.yVar)!);
    }
    [latSource, lonSource] = c.kind === 'coordinates' ? [c.lat, c.lon] : [`${c.yVar},${c.xVar} (${c.def.slice(0, 60)})`, `${c.yVar},${c.xVar}`];
    extents = await curvilinearExtents(b, c, ny, nx);
  } else {
    const latVar = coordinateVariable(all, dimOf('lat')!)!;
    const lonVar = coordinateVariable(all, dimOf('lon')!)!;
    [latSource, lonSource] = [latVar.name, lonVar.name];
    const lat = Array.from(await readCoordinate(b, latVar));
    const lon = Array.from(await readCoordinate(b, lonVar));
    extents = { rowLat: lat.map((v) => [v, v]), colLon: lon.map((v) => [v, v]) };
  }
  const coordinates: ColumnSpec[] = [];
  const metadata: Record<string, string> = {};

  const timeDim = dimOf('time');
  const timeVar = timeDim ? coordinateVariable(all, timeDim) : scalarTime(all, vars[0]!);
  const time: TimeAxis = timeVar ? await timeAxis(b, timeVar, coordinates, metadata) : { times: [] };
  const cellNote: Record<string, string> = c ? { description: c.kind === 'projected' ? 'cell centre, projected from x/y' : 'cell centre (2-D coordinate variable)' } : {};
  coordinates.push(
    { name: 'lat', type: 'float64', nullable: c?.kind === 'projected', metadata: { source: latSource, units: 'degrees_north', ...cellNote } },
    { name: 'lon', type: 'float64', nullable: c?.kind === 'projected', metadata: { source: lonSource, units: 'degrees_east', ...cellNote } },
  );
  let levels: number[] = [];
  const levelDim = dimOf('level');
  if (levelDim) {
    const lv = coordinateVariable(all, levelDim);
    levels = lv ? Array.from(await readCoordinate(b, lv)) : Array.from({ length: b.dims[levelDim] ?? 0 }, (_, i) => i);
    const md: Record<string, string> = { source: levelDim };
    const units = lv ? attrString(lv.attrs.units) : undefined;
    if (units) md.units = units;
    const positive = lv ? attrString(lv.attrs.positive) : undefined;
    if (positive) md.positive = positive;
    coordinates.push({ name: 'level', type: 'float64', nullable: false, metadata: md });
  }
  if (c?.kind === 'projected') {
    // Native projected coordinates stay available, as for GeoTIFF.
    const unitsOf = (name: string) => attrString(all.find((v) => v.name === name)!.attrs.units) ?? '';
    coordinates.push(
      { name: 'x', type: 'float64', nullable: false, metadata: { source: c.xVar, units: unitsOf(c.xVar), description: 'native projected x' } },
      { name: 'y', type: 'float64', nullable: false, metadata: { source: c.yVar, units: unitsOf(c.yVar), description: 'native projected y' } },
    );
    metadata.crs = c.def;
  }
  const group: VariableGroup = {
    id,
    variables: variableInfos(vars),
    coordinates,
    times: time.times,
    levels,
    grid: {
      kind: c ? (c.kind === 'projected' ? 'projected' : 'curvilinear') : 'regular',
      ny,
      nx,
      rowLat: extents.rowLat,
      colLon: extents.colLon,
      crs: c?.kind === 'projected' ? c.def : 'EPSG:4326',
      ...blockRowsOf(b, vars, layout.roles.indexOf('lat')),
    },
    metadata,
  };
  return { group, layout, rawTimes: time.raw };
}
