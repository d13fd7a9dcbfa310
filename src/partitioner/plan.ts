/**
 * Splits a dataset into space-time partitions from file descriptions alone (no data read).
 *
 * A partition is one (file, variable group, time range, latitude band, longitude range) window
 * of roughly `targetRows` rows. Planning is deterministic: the same files, descriptions and query
 * always give the same partitions in the same order, so tickets can be re-planned, retried and
 * served by any bridge instance.
 */
import { lonOverlaps } from '../geo/longitude.js';
import { quote } from '../text/quote.js';
import type { BBox } from '../catalog/types.js';
import type { FileDescription, IndexRange, VariableGroup } from '../decoders/types.js';

/** Rows per partition when nothing else is asked: big enough to amortise a task, small enough to parallelise. */
export const DEFAULT_TARGET_ROWS = 1_000_000;

/**
 * Arrow bytes per partition when nothing else is asked: a wide variable group (dozens of
 * columns, or tiles of 64 × 64 floats per row) reaches it long before DEFAULT_TARGET_ROWS, and
 * a partition is what one Spark task or one DoGet holds.
 */
export const DEFAULT_TARGET_BYTES = 64 * 2 ** 20;

/** Neither bound is exceeded by a partition (except a single decoder block or time step that is larger). */
export interface PartitionLimits {
  rows: number;
  bytes?: number;
  /** Estimated Arrow in-memory bytes of one output row of a query reading these groups and variables. */
  rowBytes?: (groups: VariableGroup[], variables: string[]) => number;
}

/** Where a partition's rows lie, for clients scheduling or pruning endpoints without reading them. */
export interface PartitionExtent {
  /** First and last time of the partition (epoch microseconds); absent without a time axis. */
  startUs?: number;
  endUs?: number;
  /** [west, south, east, north] of the window's cells; absent for grids without lat/lon. */
  bbox?: BBox;
}

export interface PlanQuery {
  bbox?: BBox;
  /** Inclusive bounds in epoch microseconds. */
  startUs?: number;
  endUs?: number;
  variables?: string[];
  /** Read only this variable group (its id, as `describe` and ListFlights show it). */
  group?: string;
  /** Tiles layout: windows grow to whole chips anchored at the grid origin; bands are whole chips. */
  tile?: [number, number];
  /** Vertical levels to keep (values of the group's `level` coordinate). */
  levels?: { min?: number; max?: number } | number[];
  /** Ensemble members to keep (planned when the group's vertical axis is the member axis). */
  numbers?: number[];
}

export interface PlannedFile {
  key: string;
  description: FileDescription;
}

export interface Partition {
  fileKey: string;
  group: string;
  variables: string[];
  time: IndexRange;
  level: IndexRange;
  y: IndexRange;
  x: IndexRange;
  /**
   * Rows a read of the partition returns: exact when `exact`, else the window's rows (an upper
   * bound: the worker's exact row filter may drop some, see exactness below).
   */
  rows: number;
  exact: boolean;
  /** Estimated Arrow in-memory bytes (rows × row width); 0 when no row width was given. */
  bytes: number;
  extent: PartitionExtent;
}

export interface Plan {
  /** The first group read (largest first); `groups` lists every group the partitions read. */
  group: VariableGroup;
  /** The groups read (one per distinct id and shape), largest first: the output schema is their union. */
  groups: VariableGroup[];
  /** Every requested (or, by default, every) variable, in output order. */
  variables: string[];
  partitions: Partition[];
  totalRows: number;
  /** Whether totalRows is exactly what reading every partition returns (every partition's rows are exact). */
  exact: boolean;
}

export class PlanError extends Error {
  override readonly name = 'PlanError';
}

/**
 * The largest group (most rows, then most variables) holding all requested variables, or the
 * largest group when none are named. Used where one group must be chosen (tiles); the points
 * layout reads every group instead (`plan`).
 */
export function chooseGroup(groups: VariableGroup[], variables?: string[]): VariableGroup {
  if (groups.length === 0) throw new PlanError('no data variables found');
  if (variables && variables.length > 0) {
    const found = bySize(groups).find((g) => variables.every((v) => g.variables.some((gv) => gv.name === v)));
    if (found) return found;
    checkKnown(groups, variables);
    const byGroup = groups
      .filter((g) => g.variables.some((gv) => variables.includes(gv.name)))
      .map((g) => `[${g.variables.filter((v) => variables.includes(v.name)).map((v) => v.name).join(', ')}] on (${g.id})`);
    throw new PlanError(`variables ${byGroup.join(' and ')} have different dimensions and cannot share rows; query them separately`);
  }
  return bySize(groups)[0]!;
}

function bySize(groups: VariableGroup[]): VariableGroup[] {
  return [...groups].sort((a, b) => groupRows(b) - groupRows(a) || b.variables.length - a.variables.length || a.id.localeCompare(b.id));
}

function checkKnown(groups: VariableGroup[], variables: string[]): void {
  const all = [...new Set(groups.flatMap((g) => g.variables.map((v) => v.name)))];
  const unknown = variables.filter((v) => !all.includes(v));
  if (unknown.length) throw new PlanError(`unknown variable(s) ${unknown.slice(0, 5).map(quote).join(', ')}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''}; available: ${all.join(', ')}`);
}

function hasPosition(g: VariableGroup): boolean {
  return g.coordinates.some((c) => c.name === 'lat');
}

export function groupRows(g: VariableGroup): number {
  return Math.max(1, g.times.length) * Math.max(1, g.levels.length) * g.grid.ny * g.grid.nx;
}

/**
 * Plans a query over every variable group it reaches, so nothing is silently left out: with
 * `group`, that group only; with variables, every group holding any of them (each partition
 * reads the ones its group has); otherwise every group with lat/lon (every group when none has
 * them: array-layout groups are read by naming them or their variables). Groups are identified by id across
 * files (the same grid, level type and variables give the same id); the largest comes first.
 */
export function plan(files: PlannedFile[], query: PlanQuery, limits: number | PartitionLimits = DEFAULT_TARGET_ROWS): Plan {
  const lim: PartitionLimits = typeof limits === 'number' ? { rows: limits } : limits;
  if (files.length === 0) throw new PlanError('dataset has no files');
  const sorted = [...files].sort((a, b) => a.key.localeCompare(b.key));
  const all = sorted.flatMap((f) => f.description.groups);
  if (all.length === 0) throw new PlanError('no data variables found');
  const wanted = query.variables?.length ? query.variables : undefined;
  if (query.group !== undefined && !all.some((g) => g.id === query.group)) {
    throw new PlanError(`no variable group ${quote(query.group)}; groups: ${[...new Set(all.map((g) => g.id))].join(', ')}`);
  }
  const inGroup = query.group !== undefined ? all.filter((g) => g.id === query.group) : all;
  if (wanted) checkKnown(inGroup, wanted);
  // By default the points on Earth: array-layout groups (no lat/lon) join only when named or alone.
  const positionedOnly = query.group === undefined && !wanted && all.some(hasPosition);
  const reads = (g: VariableGroup): boolean =>
    (query.group === undefined || g.id === query.group) && (!wanted || g.variables.some((v) => wanted.includes(v.name))) && (!positionedOnly || hasPosition(g));
  // One entry per distinct shape of a group (files may hold the same group with other variables).
  const distinct = new Map<string, VariableGroup>();
  for (const g of all) {
    const shape = JSON.stringify([g.id, g.variables.map((v) => [v.name, v.type]), g.coordinates.map((c) => [c.name, c.type])]);
    if (reads(g) && !distinct.has(shape)) distinct.set(shape, g);
  }
  const groups = bySize([...distinct.values()]);
  const variables = wanted ? [...wanted] : [...new Set(groups.flatMap((g) => g.variables.map((v) => v.name)))];
  // Every partition's rows have the query's one output schema, so one row width.
  const width = lim.rowBytes && groups.length ? lim.rowBytes(groups, variables) : 0;
  const targetRows = Math.max(1, Math.min(lim.rows, lim.bytes !== undefined && width > 0 ? Math.floor(lim.bytes / width) : Infinity));

  const partitions: Partition[] = [];
  for (const f of sorted) {
    for (const g of f.description.groups) {
      if (!reads(g)) continue;
      const own = variables.filter((v) => g.variables.some((gv) => gv.name === v));
      for (const p of planFile(f.key, g, own, query, targetRows)) partitions.push({ ...p, bytes: Math.ceil(p.rows * width), extent: extentOf(g, p) });
    }
  }
  return { group: groups[0]!, groups, variables, partitions, totalRows: partitions.reduce((s, p) => s + p.rows, 0), exact: partitions.every((p) => p.exact) };
}

/** Time and lat/lon extent of a partition's index window. */
function extentOf(g: VariableGroup, p: Pick<Partition, 'time' | 'y' | 'x'>): PartitionExtent {
  const e: PartitionExtent = {};
  if (g.times.length) {
    e.startUs = g.times[p.time[0]];
    e.endUs = g.times[p.time[1] - 1];
  }
  const { rowLat, colLon } = g.grid;
  if (rowLat.length >= p.y[1] && colLon.length >= p.x[1] && p.y[1] > p.y[0] && p.x[1] > p.x[0]) {
    let s = Infinity, n = -Infinity, w = Infinity, east = -Infinity;
    for (let i = p.y[0]; i < p.y[1]; i++) {
      s = Math.min(s, rowLat[i]![0]);
      n = Math.max(n, rowLat[i]![1]);
    }
    for (let i = p.x[0]; i < p.x[1]; i++) {
      w = Math.min(w, colLon[i]![0]);
      east = Math.max(east, colLon[i]![1]);
    }
    if ([s, n, w, east].every(Number.isFinite)) e.bbox = [w, s, east, n];
  }
  return e;
}

type WindowPartition = Omit<Partition, 'bytes' | 'extent'>;

function planFile(key: string, g: VariableGroup, variables: string[], q: PlanQuery, targetRows: number): WindowPartition[] {
  const time = timeRange(g.times, q.startUs, q.endUs);
  if (!time) return [];
  let y = q.bbox ? latRange(g.grid.rowLat, q.bbox[1], q.bbox[3]) : ([0, g.grid.ny] as IndexRange);
  if (!y) return [];
  let xs = q.bbox ? lonRanges(g.grid.colLon, q.bbox[0], q.bbox[2]) : [[0, g.grid.nx] as IndexRange];
  const [th, tw] = q.tile ?? [1, 1];
  if (q.tile) {
    y = alignTo(y, th, g.grid.ny);
    xs = mergeRanges(xs.map((x) => alignTo(x, tw, g.grid.nx)));
  }
  const out: WindowPartition[] = [];
  const kept = keptCounter(g, q);
  for (const level of levelRanges(g, q)) {
    const nLevels = level[1] - level[0];
    // Rows are grid cells in the points layout (those the row filter keeps) and chips in the tiles layout.
    const windowOf = (tt: IndexRange, yy: IndexRange, xx: IndexRange) => {
      const cells = q.tile ? Math.ceil((yy[1] - yy[0]) / th) * Math.ceil((xx[1] - xx[0]) / tw) : (yy[1] - yy[0]) * (xx[1] - xx[0]);
      const window = (tt[1] - tt[0]) * nLevels * cells;
      const exact = q.tile ? (kept.levelsExact ? window : NaN) : kept.rows(tt, yy, xx) * nLevels;
      return Number.isNaN(exact) ? { rows: window, exact: false } : { rows: exact, exact: true };
    };
    for (const x of xs) {
      const width = x[1] - x[0];
      const slabRows = nLevels * (y[1] - y[0]) * width;
      if (slabRows <= targetRows) {
        const stepsPer = Math.max(1, Math.floor(targetRows / slabRows));
        for (let t = time[0]; t < time[1]; t += stepsPer) {
          const t1 = Math.min(time[1], t + stepsPer);
          out.push({ fileKey: key, group: g.id, variables, time: [t, t1], level, y, x, ...windowOf([t, t1], y, x) });
        }
      } else {
        const bands = latitudeBands(y, nLevels * width, targetRows, q.tile ? th : Math.min(g.grid.blockRows ?? 1, g.grid.ny));
        for (let t = time[0]; t < time[1]; t++) {
          for (const band of bands) out.push({ fileKey: key, group: g.id, variables, time: [t, t + 1], level, y: band, x, ...windowOf([t, t + 1], band, x) });
        }
      }
    }
  }
  return out;
}

/**
 * What the worker's exact row filter (src/workers/row-filter.ts) keeps of a points-layout window,
 * from the description alone, so that FlightInfo counts are exact (Spark answers COUNT(*) from
 * them). `rows` is the window's kept time × y × x cells, NaN when the description cannot tell:
 * a bbox on a grid whose rows or columns span a range of latitudes or longitudes (curvilinear,
 * projected, reduced: the filter tests each cell), a time range on a group with a time column
 * but no time axis. `levelsExact` is false when the level/member selection is left to the filter
 * (see levelRanges); per-level rows are then unknown in both layouts.
 */
function keptCounter(g: VariableGroup, q: PlanQuery): { rows: (t: IndexRange, y: IndexRange, x: IndexRange) => number; levelsExact: boolean } {
  const has = (name: string) => g.coordinates.some((c) => c.name === name);
  const levelsExact = !(q.levels && has('level') && g.levels.length === 0) && !(q.numbers && has('number') && (has('level') || g.levels.length === 0));
  const timed = q.startUs !== undefined || q.endUs !== undefined;
  const times = (t: IndexRange): number => {
    if (!timed) return t[1] - t[0];
    if (g.times.length === 0) return has('time') ? NaN : t[1] - t[0];
    let n = 0;
    for (let i = t[0]; i < t[1]; i++) if ((q.startUs === undefined || g.times[i]! >= q.startUs) && (q.endUs === undefined || g.times[i]! <= q.endUs)) n++;
    return n;
  };
  // The filter tests position only when both lat and lon are columns; a cell's are its row's latitude and column's longitude.
  const bbox = q.bbox && has('lat') && has('lon') ? q.bbox : undefined;
  const count = (r: IndexRange, extents: Array<[number, number]>, keep: (v: number) => boolean): number => {
    if (!bbox) return r[1] - r[0];
    let n = 0;
    for (let i = r[0]; i < r[1]; i++) {
      const e = extents[i];
      if (!e || !(e[0] === e[1])) return NaN;
      if (keep(e[0])) n++;
    }
    return n;
  };
  const [west, south, east, north] = bbox ?? [0, 0, 0, 0];
  // Every time step repeats the same bands and every partition the same x ranges: count each range once.
  const memo = (f: (r: IndexRange) => number) => {
    const seen = new Map<string, number>();
    return (r: IndexRange): number => {
      const k = `${r[0]}:${r[1]}`;
      let n = seen.get(k);
      if (n === undefined) seen.set(k, (n = f(r)));
      return n;
    };
  };
  const keptY = memo((y) => count(y, g.grid.rowLat, (v) => v >= south && v <= north));
  const keptX = memo((x) => count(x, g.grid.colLon, (v) => lonOverlaps(v, v, west, east)));
  return {
    levelsExact,
    rows: (t, y, x) => (levelsExact ? times(t) * keptY(y) * keptX(x) : NaN),
  };
}

/**
 * Runs of the group's vertical axis that the query's levels/numbers keep, so partitions are sized
 * on the slices actually read. The axis holds level values when the group has a `level`
 * coordinate, else member numbers when it has `number`; a member selection on a group with both
 * cannot be planned from the description and is left to the exact row filter.
 */
export function levelRanges(g: VariableGroup, q: Pick<PlanQuery, 'levels' | 'numbers'>): IndexRange[] {
  const n = Math.max(1, g.levels.length);
  const has = (name: string) => g.coordinates.some((c) => c.name === name);
  const isLevelAxis = has('level');
  const isMemberAxis = !isLevelAxis && has('number');
  let keep: ((v: number) => boolean) | undefined;
  if (q.levels && isLevelAxis) {
    const sel = q.levels;
    keep = Array.isArray(sel) ? (v) => sel.includes(v) : (v) => (sel.min === undefined || v >= sel.min) && (sel.max === undefined || v <= sel.max);
  } else if (q.levels) {
    // No vertical axis: a group on one numeric level (GRIB metadata, the union fills `level` with it) matches whole or not at all.
    const one = g.metadata?.level !== undefined && g.metadata.level !== '' ? Number(g.metadata.level) : NaN;
    const sel = q.levels;
    const hit = Number.isFinite(one) && (Array.isArray(sel) ? sel.includes(one) : (sel.min === undefined || one >= sel.min) && (sel.max === undefined || one <= sel.max));
    if (!hit) return [];
  }
  if (q.numbers && isMemberAxis) {
    const nums = q.numbers;
    keep = (v) => nums.includes(v);
  } else if (q.numbers && !has('number')) return [];
  if (!keep || g.levels.length === 0) return [[0, n]];
  const out: IndexRange[] = [];
  for (let i = 0; i < g.levels.length; i++) {
    if (!keep(g.levels[i]!)) continue;
    const last = out[out.length - 1];
    if (last && last[1] === i) last[1] = i + 1;
    else out.push([i, i + 1]);
  }
  return out;
}

/**
 * Splits rows y of one time step into bands of about targetRows (rowCells cells per row), as
 * even as they can be, with inner boundaries on multiples of `unit` (a decoder block or a chip
 * height, counted from row 0 of the grid): a block is never decoded for two partitions.
 */
export function latitudeBands(y: IndexRange, rowCells: number, targetRows: number, unit: number): IndexRange[] {
  const u = Math.max(1, unit);
  const n = Math.max(1, Math.ceil(((y[1] - y[0]) * rowCells) / targetRows));
  const step = Math.ceil((y[1] - y[0]) / n);
  const out: IndexRange[] = [];
  for (let y0 = y[0]; y0 < y[1]; ) {
    let y1 = Math.min(y[1], Math.ceil((y0 + step) / u) * u);
    if (y1 <= y0) y1 = Math.min(y[1], y0 + u);
    out.push([y0, y1]);
    y0 = y1;
  }
  return out;
}

function alignTo(r: IndexRange, size: number, extent: number): IndexRange {
  return [Math.floor(r[0] / size) * size, Math.min(extent, Math.ceil(r[1] / size) * size)];
}

/** Sorted, non-overlapping union of ranges (chip alignment can make neighbours overlap). */
function mergeRanges(rs: IndexRange[]): IndexRange[] {
  const out: IndexRange[] = [];
  for (const r of [...rs].sort((a, b) => a[0] - b[0])) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

/** Smallest index range covering the times within [start, end]; a group without a time axis always matches. */
export function timeRange(times: number[], startUs?: number, endUs?: number): IndexRange | null {
  if (times.length === 0) return [0, 1];
  let lo = -1;
  let hi = -1;
  for (let i = 0; i < times.length; i++) {
    const t = times[i]!;
    if ((startUs === undefined || t >= startUs) && (endUs === undefined || t <= endUs)) {
      if (lo < 0) lo = i;
      hi = i;
    }
  }
  return lo < 0 ? null : [lo, hi + 1];
}

/** Smallest row range whose latitude extents overlap [south, north]. */
export function latRange(rowLat: Array<[number, number]>, south: number, north: number): IndexRange | null {
  let lo = -1;
  let hi = -1;
  for (let i = 0; i < rowLat.length; i++) {
    const [a, b] = rowLat[i]!;
    if (b >= south && a <= north) {
      if (lo < 0) lo = i;
      hi = i;
    }
  }
  return lo < 0 ? null : [lo, hi + 1];
}

/**
 * Column ranges whose longitude extents overlap [west, east], comparing modulo 360 so a
 * -180..180 bbox works on a 0..360 grid. A bbox across the grid's seam gives two ranges.
 * west > east means the bbox crosses the antimeridian.
 */
export function lonRanges(colLon: Array<[number, number]>, west: number, east: number): IndexRange[] {
  const hit = colLon.map(([a, b]) => lonOverlaps(a, b, west, east));
  const out: IndexRange[] = [];
  let start = -1;
  for (let i = 0; i <= hit.length; i++) {
    if (i < hit.length && hit[i]) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      out.push([start, i]);
      start = -1;
    }
  }
  return out;
}

