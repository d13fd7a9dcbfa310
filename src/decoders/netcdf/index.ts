/**
 * The NetCDF decoder plugin (classic CDF-1/2/5 and NetCDF-4/HDF5). Data variables sharing the same
 * dimensions form one variable group. Groups on a grid (1-D lat/lon axes, 2-D lat/lon, or projected
 * x/y with a grid mapping: see cell-grids.ts) use the points layout (time, lat, lon, level, [x, y],
 * variables...); the others use the array layout (one coordinate column per dimension).
 */
import { open, stat } from 'node:fs/promises';
import { axisRole, coordinateVariable, type AxisRole } from '../cf/axes.js';
import { cfPacking, decodeCf } from '../cf/packing.js';
import { cfToEpochMicros, CfTimeError, parseTimeUnits } from '../cf/time.js';
import { asDecodeError, DecodeError } from '../errors.js';
import { inspectChunks } from '../inspect.js';
import type {
  ColumnBatch,
  ColumnData,
  ColumnSpec,
  DecodedChunk,
  DecoderPlugin,
  FileDescription,
  IndexRange,
  ReadSelection,
  VariableGroup,
} from '../types.js';
import { attrString, attrToText, type NcArray, type NcBackend, type NcVariable } from './backend.js';
import { cellCoordinates, curvilinearCoordinates, curvilinearExtents, nullWhereNaN, projectedCoordinates, type Curvilinear } from './cell-grids.js';
import { HDF5Backend } from './hdf5.js';
import { NetCDF3Backend } from './netcdf3.js';

const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** Default bytes per decoded batch when the caller gives none. */
const DEFAULT_BATCH_BYTES = 8 * 1024 * 1024;

export function sniffNetcdf(head: Uint8Array): 'netcdf3' | 'cdf5' | 'netcdf4' | null {
  if (head[0] === 0x43 && head[1] === 0x44 && head[2] === 0x46) {
    if (head[3] === 1 || head[3] === 2) return 'netcdf3';
    if (head[3] === 5) return 'cdf5';
  }
  // HDF5 allows a user block: the signature may sit at 0, 512, 1024, 2048, ...
  for (let off = 0; off + 8 <= head.length; off = off === 0 ? 512 : off * 2) {
    if (HDF5_MAGIC.every((b, i) => head[off + i] === b)) return 'netcdf4';
  }
  return null;
}

async function openBackend(path: string): Promise<NcBackend> {
  const head = new Uint8Array(4096);
  const fh = await open(path, 'r').catch((e: NodeJS.ErrnoException) => {
    throw new DecodeError(e.code === 'ENOENT' ? 'NOT_FOUND' : 'CORRUPT', path, `cannot open (${e.code ?? e.message})`);
  });
  try {
    await fh.read(head, 0, head.length, 0);
  } finally {
    await fh.close();
  }
  const kind = sniffNetcdf(head);
  if (kind === 'netcdf3' || kind === 'cdf5') return NetCDF3Backend.open(path);
  if (kind === 'netcdf4') return HDF5Backend.open(path);
  throw new DecodeError('UNKNOWN_FORMAT', path, 'not a NetCDF file (no CDF or HDF5 signature)');
}

/**
 * How the variables of one group map onto rows. `geo`: dims are [time] [level] lat lon on 1-D
 * latitude/longitude axes (the points layout). `array`: everything else (projected x/y,
 * coordinate-less arrays, 1-D series, scalars): an optional leading time axis, then y = the next
 * dimension and x = all remaining dimensions flattened in C order, with one coordinate column per
 * dimension (its coordinate variable's values, or the index), as xarray's to_dataframe does.
 */
type Layout =
  | { kind: 'geo'; roles: AxisRole[]; dims: string[]; curvilinear?: Curvilinear }
  | { kind: 'array'; dims: string[]; hasTime: boolean; dimColumns: DimColumn[] };

/** One coordinate column of an array group: values per index of one dimension. */
interface DimColumn {
  name: string;
  dim: string;
  size: number;
  /** Coordinate variable values, or null when the column is the index. */
  values: Float64Array | null;
}

interface Grouping {
  group: VariableGroup;
  layout: Layout;
}

/** Groups data variables by dimensions: geographic grids when the axes allow, arrays otherwise. */
async function analyse(b: NcBackend): Promise<{ groupings: Grouping[]; skipped: string[] }> {
  const vars = b.variables;
  const byKey = new Map<string, { vars: NcVariable[]; geo: AxisRole[] | null; curvilinear?: Curvilinear }>();
  const skipped: string[] = [];
  for (const v of vars) {
    if (coordinateVariable(vars, v.dims[0] ?? '') === v) continue;
    if (v.type === 'char' || v.type === 'string') {
      skipped.push(`${v.name}(text)`);
      continue;
    }
    const roles = v.dims.map((d) => axisRole(coordinateVariable(vars, d), d));
    let geo = v.dims.length >= 2 && layoutProblem(roles) === null ? roles.map((r) => (r === 'other' ? 'level' : r)) : null;
    const curvilinear = geo ? undefined : (curvilinearCoordinates(vars, v) ?? projectedCoordinates(vars, v));
    if (curvilinear) {
      const withGrid: AxisRole[] = [...roles.slice(0, -2), 'lat', 'lon'];
      if (layoutProblem(withGrid) === null) geo = withGrid.map((r) => (r === 'other' ? 'level' : r));
    }
    const key = v.dims.length ? v.dims.join(',') : '(scalar)';
    const entry = byKey.get(key) ?? { vars: [], geo, curvilinear: geo ? curvilinear : undefined };
    entry.vars.push(v);
    byKey.set(key, entry);
  }
  const groupings: Grouping[] = [];
  for (const [key, { vars: gv, geo, curvilinear }] of byKey) {
    const dims = gv[0]!.dims;
    const layout: Layout | null = geo ? { kind: 'geo', roles: geo, dims, curvilinear } : null;
    groupings.push(layout ? { group: await buildGroup(b, key, gv, layout), layout } : await buildArrayGroup(b, key, gv));
  }
  return { groupings, skipped };
}

/** Points layout needs dims ordered [time] [level] lat lon with at most one extra (level) axis. */
function layoutProblem(roles: AxisRole[]): string | null {
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

async function readWhole(b: NcBackend, v: NcVariable): Promise<number[]> {
  const arr = await b.read(v.name, v.shape.map(() => 0), v.shape);
  return Array.from(arr as ArrayLike<number | bigint>, Number);
}

/** A coordinate variable's values after CF packing (GOES stores its x/y scan angles as scaled int16; some files pack lat/lon or levels). */
async function readCoordinate(b: NcBackend, v: NcVariable): Promise<Float64Array> {
  const p = cfPacking(v);
  if (p.scale === undefined && p.offset === undefined) return Float64Array.from(await readWhole(b, v));
  return Float64Array.from(decodeCf(await b.read(v.name, v.shape.map(() => 0), v.shape), p).values);
}

/**
 * Raw CF time values of groups whose calendar has dates no real calendar has (noleap, all_leap,
 * 360_day): `time` maps them deterministically (see cf/time.ts), `time_value` keeps the original.
 */
const rawTimeValues = new WeakMap<ColumnSpec[], number[]>();

/** Decodes a CF time coordinate to epoch microseconds and declares the `time` (and `time_value`) columns. */
async function timeAxis(b: NcBackend, timeVar: NcVariable, coordinates: ColumnSpec[], metadata: Record<string, string>): Promise<number[]> {
  const units = attrString(timeVar.attrs.units) ?? '';
  const calendar = attrString(timeVar.attrs.calendar);
  let times: number[];
  let raw: number[];
  let model: boolean;
  try {
    const u = parseTimeUnits(units, calendar);
    raw = await readWhole(b, timeVar);
    times = raw.map((x) => cfToEpochMicros(x, u));
    model = u.calendar === 'noleap' || u.calendar === 'all_leap' || u.calendar === '360_day';
  } catch (e) {
    if (e instanceof CfTimeError) throw new DecodeError('UNSUPPORTED', b.path, `time variable ${timeVar.name}: ${e.message}`);
    throw e;
  }
  coordinates.push({ name: 'time', type: 'timestamp_us', nullable: false, metadata: { source: timeVar.name, units, calendar: calendar ?? 'standard' } });
  if (model) {
    coordinates.push({ name: 'time_value', type: 'float64', nullable: false, metadata: { source: timeVar.name, units, calendar: calendar!, description: `original time value: ${units} in the ${calendar} calendar` } });
    rawTimeValues.set(coordinates, raw);
  }
  metadata['time.variable'] = timeVar.name;
  return times;
}

/** The `time` column, and `time_value` where the calendar keeps the original values, for time index `ti`. */
function timeColumns(group: VariableGroup, ti: number, rows: number): ColumnData[] {
  const out: ColumnData[] = [{ name: 'time', values: new BigInt64Array(rows).fill(BigInt(group.times[ti]!)), nullCount: 0 }];
  const raw = rawTimeValues.get(group.coordinates);
  if (raw) out.push({ name: 'time_value', values: new Float64Array(rows).fill(raw[ti]!), nullCount: 0 });
  return out;
}

function variableInfos(vars: NcVariable[]): VariableGroup['variables'] {
  return vars.map((v) => {
    const p = cfPacking(v);
    const attributes = Object.fromEntries(Object.entries(v.attrs).map(([k, a]) => [k, attrToText(a)]));
    return { name: v.name, type: p.outType, units: attrString(v.attrs.units), longName: attrString(v.attrs.long_name), attributes };
  });
}

/** An array group (see Layout): no latitude/longitude, so there are no lat/lon extents and a bbox never matches. */
async function buildArrayGroup(b: NcBackend, id: string, vars: NcVariable[]): Promise<Grouping> {
  const all = b.variables;
  const dims = vars[0]!.dims;
  const shape = vars[0]!.shape;
  const coordinates: ColumnSpec[] = [];
  const metadata: Record<string, string> = { layout: 'array', dimensions: dims.join(',') };
  const leadTime = dims.length > 0 ? coordinateVariable(all, dims[0]!) : undefined;
  const hasTime = !!leadTime && axisRole(leadTime, dims[0]!) === 'time';
  const timeVar = hasTime ? leadTime : dims.length === 0 || dims.length >= 2 ? scalarTime(all, vars[0]!) : undefined;
  const times = timeVar ? await timeAxis(b, timeVar, coordinates, metadata) : [];
  const taken = new Set<string>([...coordinates.map((c) => c.name), ...vars.map((v) => v.name)]);
  const dimColumns: DimColumn[] = [];
  for (let i = hasTime ? 1 : 0; i < dims.length; i++) {
    const dim = dims[i]!;
    const cv = coordinateVariable(all, dim);
    const numeric = cv && cv.type !== 'char' && cv.type !== 'string';
    let name = dim;
    while (taken.has(name)) name = `${name}_coord`;
    taken.add(name);
    const values = numeric ? await readCoordinate(b, cv) : null;
    const md: Record<string, string> = { dimension: dim, role: values ? 'coordinate' : 'index' };
    const units = cv ? attrString(cv.attrs.units) : undefined;
    if (units) md.units = units;
    coordinates.push({ name, type: values ? 'float64' : 'int32', nullable: false, metadata: md });
    dimColumns.push({ name, dim, size: shape[i]!, values });
  }
  const ny = dimColumns[0]?.size ?? 1;
  const nx = dimColumns.slice(1).reduce((p, c) => p * c.size, 1);
  const group: VariableGroup = {
    id,
    variables: variableInfos(vars),
    coordinates,
    times,
    levels: [],
    grid: { kind: 'array', ny, nx, rowLat: [], colLon: [] },
    metadata,
  };
  return { group, layout: { kind: 'array', dims, hasTime, dimColumns } };
}

async function buildGroup(b: NcBackend, id: string, vars: NcVariable[], layout: Extract<Layout, { kind: 'geo' }>): Promise<VariableGroup> {
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
  const times = timeVar ? await timeAxis(b, timeVar, coordinates, metadata) : [];
  coordinates.push(
    { name: 'lat', type: 'float64', nullable: c?.kind === 'projected', metadata: { source: latSource, units: 'degrees_north', ...(c ? { description: c.kind === 'projected' ? 'cell centre, projected from x/y' : 'cell centre (2-D coordinate variable)' } : {}) } },
    { name: 'lon', type: 'float64', nullable: c?.kind === 'projected', metadata: { source: lonSource, units: 'degrees_east', ...(c ? { description: c.kind === 'projected' ? 'cell centre, projected from x/y' : 'cell centre (2-D coordinate variable)' } : {}) } },
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
  return {
    id,
    variables: variableInfos(vars),
    coordinates,
    times,
    levels,
    grid: { kind: c ? (c.kind === 'projected' ? 'projected' : 'curvilinear') : 'regular', ny, nx, rowLat: extents.rowLat, colLon: extents.colLon, crs: c?.kind === 'projected' ? c.def : 'EPSG:4326' },
    metadata,
  };
}

/** A scalar time coordinate (e.g. a daily file's `day` or `time` variable with no dimension). */
function scalarTime(all: NcVariable[], v: NcVariable): NcVariable | undefined {
  const named = (attrString(v.attrs.coordinates) ?? '').split(/\s+/).filter(Boolean);
  const candidates = all.filter((x) => x.shape.length === 0 && axisRole(x, x.name) === 'time');
  return candidates.find((x) => named.includes(x.name)) ?? (candidates.length === 1 ? candidates[0] : undefined);
}

/** Per-process cache of analyses: read() runs many times per file. */
const analyses = new Map<string, Promise<{ desc: FileDescription; groupings: Grouping[] }>>();
const ANALYSIS_CACHE_ENTRIES = 64;

async function analyseFile(path: string): Promise<{ desc: FileDescription; groupings: Grouping[] }> {
  const st = await stat(path).catch((e: NodeJS.ErrnoException) => {
    throw new DecodeError(e.code === 'ENOENT' ? 'NOT_FOUND' : 'CORRUPT', path, `cannot stat (${e.code ?? e.message})`);
  });
  const key = `${path}\0${st.size}\0${st.mtimeMs}`;
  let p = analyses.get(key);
  if (!p) {
    p = (async () => {
      const b = await openBackend(path);
      try {
        const { groupings, skipped } = await analyse(b);
        const attributes = Object.fromEntries(Object.entries(b.globalAttrs).map(([k, a]) => [k, attrToText(a)]));
        if (skipped.length) attributes['wekeo.skipped_variables'] = skipped.join('; ');
        const desc: FileDescription = { path, format: b.format, sizeBytes: st.size, groups: groupings.map((g) => g.group), attributes };
        return { desc, groupings };
      } catch (e) {
        throw asDecodeError(path, e);
      } finally {
        await b.close();
      }
    })();
    analyses.set(key, p);
    p.catch(() => analyses.delete(key));
    while (analyses.size > ANALYSIS_CACHE_ENTRIES) analyses.delete(analyses.keys().next().value!);
  }
  return p;
}

function clampRange(r: IndexRange | undefined, n: number, what: string, path: string): IndexRange {
  const [a, b] = r ?? [0, n];
  if (!(Number.isInteger(a) && Number.isInteger(b) && a >= 0 && b <= n && a <= b)) {
    throw new DecodeError('BAD_SELECTION', path, `${what} range [${a}, ${b}) outside [0, ${n})`);
  }
  return [a, b];
}

async function* readWindow(path: string, sel: ReadSelection): AsyncGenerator<ColumnBatch> {
  const { groupings } = await analyseFile(path);
  const g = groupings.find((x) => x.group.id === sel.group);
  if (!g) throw new DecodeError('BAD_SELECTION', path, `no variable group "${sel.group}" (have ${groupings.map((x) => x.group.id).join(', ')})`);
  const { group, layout } = g;
  for (const name of sel.variables) {
    if (!group.variables.some((v) => v.name === name)) throw new DecodeError('BAD_SELECTION', path, `variable ${name} is not in group ${group.id}`);
  }
  if (layout.kind === 'array') {
    yield* readArrayWindow(path, group, layout, sel);
    return;
  }
  const hasTime = layout.roles.includes('time');
  const nt = hasTime ? group.times.length : 1;
  const t = clampRange(sel.time, nt, 'time', path);
  const l = clampRange(sel.level, Math.max(1, group.levels.length), 'level', path);
  const y = clampRange(sel.y, group.grid.ny, 'y', path);
  const x = clampRange(sel.x, group.grid.nx, 'x', path);
  const nl = l[1] - l[0];
  const nx = x[1] - x[0];
  const hasLevel = layout.roles.includes('level');
  const rowBytes = 8 * 3 + (hasLevel ? 8 : 0) + sel.variables.reduce((s, n) => s + (group.variables.find((v) => v.name === n)!.type === 'float32' ? 4 : 8), 0);
  const maxRows = Math.max(nx * nl, Math.floor((sel.maxBatchBytes ?? DEFAULT_BATCH_BYTES) / rowBytes));
  // Rows stay in C order over (time, level, y, x): all levels go in one batch only when the whole
  // y range fits; otherwise each level is read in bands of y rows.
  const allLevels = Math.floor(maxRows / (nx * nl)) >= y[1] - y[0];
  const levelStep = allLevels ? nl : 1;
  const bandRows = allLevels ? y[1] - y[0] : Math.max(1, Math.floor(maxRows / nx));

  const b = await openBackend(path);
  try {
    const vars = sel.variables.map((n) => b.variables.find((v) => v.name === n)!);
    const packings = vars.map((v) => cfPacking(v));
    for (let ti = t[0]; ti < t[1]; ti++) {
      for (let l0 = l[0]; l0 < l[1]; l0 += levelStep) {
        const lc = Math.min(levelStep, l[1] - l0);
        for (let y0 = y[0]; y0 < y[1]; y0 += bandRows) {
          const y1 = Math.min(y[1], y0 + bandRows);
          const ny = y1 - y0;
          const rows = lc * ny * nx;
          const columns: ColumnData[] = [];
          if (group.times.length > 0) columns.push(...timeColumns(group, hasTime ? ti : 0, rows));
          const lat = new Float64Array(rows);
          const lon = new Float64Array(rows);
          const level = hasLevel ? new Float64Array(rows) : undefined;
          const cells = layout.curvilinear ? await cellCoordinates(b, layout.curvilinear, [y0, y1], x) : undefined;
          let i = 0;
          for (let li = 0; li < lc; li++) {
            if (cells) {
              lat.set(cells.lat, i);
              lon.set(cells.lon, i);
              if (level) level.fill(group.levels[l0 + li]!, i, i + ny * nx);
              i += ny * nx;
              continue;
            }
            for (let yi = 0; yi < ny; yi++) {
              const la = group.grid.rowLat[y0 + yi]![0];
              lat.fill(la, i, i + nx);
              for (let xi = 0; xi < nx; xi++) lon[i + xi] = group.grid.colLon[x[0] + xi]![0];
              if (level) level.fill(group.levels[l0 + li]!, i, i + nx);
              i += nx;
            }
          }
          if (layout.curvilinear?.kind === 'projected') {
            const geo = nullWhereNaN(lat);
            columns.push({ name: 'lat', values: lat, ...geo }, { name: 'lon', values: lon, ...geo });
          } else columns.push({ name: 'lat', values: lat, nullCount: 0 }, { name: 'lon', values: lon, nullCount: 0 });
          if (level) columns.push({ name: 'level', values: level, nullCount: 0 });
          if (layout.curvilinear?.kind === 'projected') {
            const { xs, ys } = layout.curvilinear;
            const xc = new Float64Array(rows);
            const yc = new Float64Array(rows);
            for (let k = 0; k < rows; k++) {
              const cell = k % (ny * nx);
              xc[k] = xs![x[0] + (cell % nx)]!;
              yc[k] = ys![y0 + Math.floor(cell / nx)]!;
            }
            columns.push({ name: 'x', values: xc, nullCount: 0 }, { name: 'y', values: yc, nullCount: 0 });
          }
          for (let k = 0; k < vars.length; k++) {
            const v = vars[k]!;
            const start: number[] = [];
            const count: number[] = [];
            layout.roles.forEach((role) => {
              if (role === 'time') (start.push(ti), count.push(1));
              else if (role === 'level') (start.push(l0), count.push(lc));
              else if (role === 'lat') (start.push(y0), count.push(ny));
              else (start.push(x[0]), count.push(nx));
            });
            const raw: NcArray = await b.read(v.name, start, count);
            const d = decodeCf(raw, packings[k]!);
            columns.push({ name: v.name, values: d.values, validity: d.validity, nullCount: d.nullCount });
          }
          yield { numRows: rows, columns };
        }
      }
    }
  } catch (e) {
    throw asDecodeError(path, e, 'read failed');
  } finally {
    await b.close();
  }
}

/** Reads an array group: per time step, bands of y rows, each row all of x (C order over the remaining dimensions). */
async function* readArrayWindow(path: string, group: VariableGroup, layout: Extract<Layout, { kind: 'array' }>, sel: ReadSelection): AsyncGenerator<ColumnBatch> {
  const nt = layout.hasTime ? group.times.length : 1;
  const t = clampRange(sel.time, nt, 'time', path);
  const y = clampRange(sel.y, group.grid.ny, 'y', path);
  const x = clampRange(sel.x, group.grid.nx, 'x', path);
  const nxAll = group.grid.nx;
  const nx = x[1] - x[0];
  const cols = layout.dimColumns;
  const rowBytes = 8 + 8 * cols.length + sel.variables.reduce((s, n) => s + (group.variables.find((v) => v.name === n)!.type === 'float32' ? 4 : 8), 0);
  const bandRows = Math.max(1, Math.floor((sel.maxBatchBytes ?? DEFAULT_BATCH_BYTES) / rowBytes / Math.max(1, nxAll)));
  // Strides of the flattened x dimensions, to unravel a flat x index into per-dimension indices.
  const xCols = cols.slice(1);
  const xStrides = xCols.map((_, i) => xCols.slice(i + 1).reduce((p, c) => p * c.size, 1));
  const b = await openBackend(path);
  try {
    const vars = sel.variables.map((n) => b.variables.find((v) => v.name === n)!);
    const packings = vars.map((v) => cfPacking(v));
    for (let ti = t[0]; ti < t[1]; ti++) {
      for (let y0 = y[0]; y0 < y[1]; y0 += bandRows) {
        const y1 = Math.min(y[1], y0 + bandRows);
        const ny = y1 - y0;
        const rows = ny * nx;
        const columns: ColumnData[] = [];
        if (group.times.length > 0) columns.push(...timeColumns(group, layout.hasTime ? ti : 0, rows));
        cols.forEach((c, ci) => {
          const out = c.values ? new Float64Array(rows) : new Int32Array(rows);
          let k = 0;
          for (let yi = y0; yi < y1; yi++) {
            for (let xi = x[0]; xi < x[1]; xi++, k++) {
              const idx = ci === 0 ? yi : Math.floor(xi / xStrides[ci - 1]!) % c.size;
              out[k] = c.values ? c.values[idx]! : idx;
            }
          }
          columns.push({ name: c.name, values: out, nullCount: 0 });
        });
        for (let k = 0; k < vars.length; k++) {
          const v = vars[k]!;
          const start = v.dims.map(() => 0);
          const count = [...v.shape];
          let d = 0;
          if (layout.hasTime) (start[d] = ti), (count[d++] = 1);
          if (d < v.dims.length) (start[d] = y0), (count[d] = ny);
          let raw: NcArray = await b.read(v.name, start, count);
          if (nx !== nxAll) raw = takeColumns(raw, ny, nxAll, x);
          const dec = decodeCf(raw, packings[k]!);
          columns.push({ name: v.name, values: dec.values, validity: dec.validity, nullCount: dec.nullCount });
        }
        yield { numRows: rows, columns };
      }
    }
  } catch (e) {
    throw asDecodeError(path, e, 'read failed');
  } finally {
    await b.close();
  }
}

/** The [x0, x1) part of each of `ny` rows of `nxAll` values. */
function takeColumns(raw: NcArray, ny: number, nxAll: number, x: IndexRange): NcArray {
  const nx = x[1] - x[0];
  const Ctor = raw.constructor as new (n: number) => NcArray;
  const out = new Ctor(ny * nx);
  for (let r = 0; r < ny; r++) (out as Float64Array).set((raw as Float64Array).subarray(r * nxAll + x[0], r * nxAll + x[1]), r * nx);
  return out;
}

async function* decodeAll(path: string): AsyncGenerator<DecodedChunk> {
  const { desc } = await analyseFile(path);
  const b = await openBackend(path);
  try {
    let field = 0;
    for (const g of desc.groups) {
      for (const info of g.variables) {
        const v = b.variables.find((x) => x.name === info.name)!;
        const p = cfPacking(v);
        const facts = { dtype: p.outType, units: info.units ?? null, dims: v.dims, shape: v.shape, group: g.id };
        // Slab by slab along the first dimension keeps memory bounded for big variables.
        const n0 = v.shape[0] ?? 1;
        for (let i = 0; i < n0; i++) {
          const raw = await b.read(v.name, v.shape.map((_, d) => (d === 0 ? i : 0)), v.shape.map((s, d) => (d === 0 ? 1 : s)));
          const dec = decodeCf(raw, p);
          yield { field, name: v.name, values: dec.values, validity: dec.validity, info: facts };
        }
        field++;
      }
    }
  } catch (e) {
    throw asDecodeError(path, e, 'decode failed');
  } finally {
    await b.close();
  }
}

export const netcdfDecoder: DecoderPlugin = {
  format: 'netcdf',
  sniff: (head) => sniffNetcdf(head) !== null,
  describe: async (path) => (await analyseFile(path)).desc,
  read: (path, selection) => readWindow(path, selection),
  decodeAll,
  inspect: async (path) => inspectChunks((await analyseFile(path)).desc.format, decodeAll(path)),
};
