/**
 * What a person or a catalog needs to know about one dataset before querying it (GET
 * /datasets/{id} and the catalog page): its variable groups with units, time range, extent and
 * an estimate of the rows a whole-dataset query returns. Built from the same file descriptions
 * the planner uses (cached by the catalog), so it never decodes data. Remote (HDA) datasets are
 * not searched or downloaded for it: their facts are known only once a query fetches products.
 */
import type { BBox, DatasetInfo } from '../catalog/types.js';
import type { FileDescription, VariableGroup } from '../decoders/types.js';
import { groupRows } from '../partitioner/plan.js';
import type { BridgeCore } from './core.js';

export interface VariableSummary {
  name: string;
  type: string;
  units: string | null;
  long_name: string | null;
}

export interface GroupSummary {
  id: string;
  /** Whether a query without `variables` or `group` reads it (all groups with lat/lon do). */
  default: boolean;
  variables: VariableSummary[];
  coordinates: string[];
  /** Rows of the whole group over all files (points layout). */
  rows: number;
  time: { start: string; end: string; steps: number } | null;
  levels: { count: number; min: number; max: number; units: string | null } | null;
  grid: { kind: string; ny: number; nx: number; crs: string | null };
  /** [west, south, east, north] in the grid's own longitudes (0..360 or -180..180). */
  bbox: BBox | null;
}

export interface DatasetSummary {
  name: string;
  description: string;
  source: string;
  files: number;
  groups: GroupSummary[];
  /** Over all groups. */
  time: { start: string; end: string } | null;
  bbox: BBox | null;
  /** Rows of `{"dataset": name}` (every group it reads). */
  rows: number | null;
  /** Why some facts are missing, when they are. */
  note?: string;
}

export async function summarizeDataset(core: BridgeCore, info: DatasetInfo): Promise<DatasetSummary> {
  const base = { name: info.name, description: info.description, source: info.source };
  if ((await core.catalog.source(info.name)).kind !== 'local') {
    return { ...base, files: 0, groups: [], time: null, bbox: null, rows: null, note: 'a remote dataset: variables, time range and extent are known once a query downloads its products' };
  }
  const files = await core.catalog.files(info.name, {});
  const descriptions = await Promise.all(files.map((f) => core.catalog.describe(f.path)));
  const planned = await core.planQuery({ dataset: info.name });
  const read = new Set(JSON.parse(planned.schema.metadata.get('wekeo.groups') ?? '[]') as string[]);
  const groups = mergeGroups(descriptions).map((g) => ({ ...g, default: read.has(g.id) }));
  return {
    ...base,
    files: files.length,
    groups,
    time: unionTime(groups.map((g) => g.time)),
    bbox: unionBBox(groups.map((g) => g.bbox)),
    rows: planned.totalRows,
  };
}

/** One summary per group id across files: rows added, time and extent joined. */
function mergeGroups(descriptions: FileDescription[]): Array<Omit<GroupSummary, 'default'>> {
  const byId = new Map<string, VariableGroup[]>();
  for (const d of descriptions) for (const g of d.groups) byId.set(g.id, [...(byId.get(g.id) ?? []), g]);
  return [...byId].map(([id, gs]) => {
    const g = gs[0]!;
    const times = gs.flatMap((x) => (x.times.length ? [x.times[0]!, x.times[x.times.length - 1]!] : []));
    const levels = gs.flatMap((x) => x.levels);
    const level = g.coordinates.find((c) => c.name === 'level');
    return {
      id,
      variables: g.variables.map((v) => ({ name: v.name, type: v.type, units: v.units ?? null, long_name: v.longName ?? null })),
      coordinates: g.coordinates.map((c) => c.name),
      rows: gs.reduce((n, x) => n + groupRows(x), 0),
      time: times.length ? { start: iso(minOf(times)), end: iso(maxOf(times)), steps: gs.reduce((n, x) => n + x.times.length, 0) } : null,
      levels: levels.length ? { count: new Set(levels).size, min: minOf(levels), max: maxOf(levels), units: level?.metadata?.units ?? null } : null,
      grid: { kind: g.grid.kind, ny: g.grid.ny, nx: g.grid.nx, crs: g.grid.crs ?? null },
      bbox: unionBBox(gs.map(gridBBox)),
    };
  });
}

function gridBBox(g: VariableGroup): BBox | null {
  const { rowLat, colLon } = g.grid;
  if (!rowLat.length || !colLon.length) return null;
  return [minOf(colLon.map((c) => c[0])), minOf(rowLat.map((r) => r[0])), maxOf(colLon.map((c) => c[1])), maxOf(rowLat.map((r) => r[1]))];
}

function unionBBox(boxes: Array<BBox | null>): BBox | null {
  const bs = boxes.filter((b): b is BBox => b !== null);
  if (!bs.length) return null;
  return [minOf(bs.map((b) => b[0])), minOf(bs.map((b) => b[1])), maxOf(bs.map((b) => b[2])), maxOf(bs.map((b) => b[3]))];
}

function unionTime(ts: Array<{ start: string; end: string } | null>): { start: string; end: string } | null {
  const t = ts.filter((x): x is { start: string; end: string } => x !== null);
  if (!t.length) return null;
  return { start: t.map((x) => x.start).sort()[0]!, end: t.map((x) => x.end).sort().at(-1)! };
}

/** Min/max by a loop: spreading a grid's axis into Math.min would overflow the stack on large grids. */
const minOf = (xs: number[]) => xs.reduce((a, b) => (b < a ? b : a), Infinity);
const maxOf = (xs: number[]) => xs.reduce((a, b) => (b > a ? b : a), -Infinity);

const iso = (us: number) => new Date(Math.floor(us / 1000)).toISOString();
