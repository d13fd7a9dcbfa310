/**
 * The index of a GRIB file, built once per file version (shared FileStateCache): its fields, and
 * the variable groups `describe` reports. Fields on the same grid points (whatever their scanning
 * mode, bitmap or packing) and level type form one group
 * whose variables are the parameters' short names, with axes valid time × (level × ensemble
 * member). Each group keeps its grid's geometry, computed once per distinct grid of the file,
 * so reads never recompute coordinates.
 */
import { isoFromMicros } from '../cf/time.js';
import { asDecodeError } from '../errors.js';
import { FileStateCache } from '../file-state.js';
import type { ColumnSpec, FileDescription, VariableGroup } from '../types.js';
import { canonicalGrid, canonicalOrder, geometry, type Geometry } from './grids.js';
import type { GribField, GridDef } from './model.js';
import { indexFile } from './scan.js';
import { FileSource } from './source.js';

/** One (level, member) combination of a group's vertical/ensemble axis. */
export interface Slice {
  level: number;
  member: number | null;
}

export interface GroupIndex {
  group: VariableGroup;
  grid: GridDef;
  geo: Geometry;
  slices: Slice[];
  /** field lookup: `${variable}|${timeIndex}|${sliceIndex}` → field. */
  fields: Map<string, GribField>;
  /** Per field: the group's row-major index → index in the field's stored order (null: the same). */
  orders: Map<GribField, Int32Array | null>;
  hasLevel: boolean;
  hasMember: boolean;
}

export interface FileIndex {
  desc: FileDescription;
  fields: GribField[];
  groups: GroupIndex[];
}

const indexes = new FileStateCache<FileIndex>('grib.index');

export function fileIndex(path: string): Promise<FileIndex> {
  return indexes.get(path, async (id) => {
    const src = await FileSource.open(path);
    try {
      return buildIndex(path, id.size, await indexFile(src));
    } catch (e) {
      throw asDecodeError(path, e, 'GRIB index failed');
    } finally {
      await src.close();
    }
  });
}

function gridLabel(g: GridDef): string {
  const size = g.kind === 'reduced_gg' ? `N${g.n}` : `${g.ni}x${g.nj}`;
  return `${g.kind}_${size}`;
}

function buildIndex(path: string, size: number, fields: GribField[]): FileIndex {
  const skipped: string[] = [];
  const buckets = new Map<string, { grid: GridDef; levelType: string; fields: GribField[] }>();
  for (const f of fields) {
    if (f.grid.kind === 'unsupported' || f.packing.kind === 'unsupported') {
      const what = f.grid.kind === 'unsupported' ? f.grid.what : (f.packing as { what: string }).what;
      skipped.push(`message ${f.message + 1}: ${what}`);
      continue;
    }
    // Grouped by the points the grid covers, not by the order the message stores them in.
    const grid = canonicalGrid(f.grid);
    const key = `${JSON.stringify(grid)}|${f.levelType}`;
    let b = buckets.get(key);
    if (!b) buckets.set(key, (b = { grid, levelType: f.levelType, fields: [] }));
    b.fields.push(f);
  }
  const groups: GroupIndex[] = [];
  const usedIds = new Set<string>();
  const geometries = new Map<string, Geometry>();
  const orders = new Map<string, Int32Array | null>();
  const orderOf = (f: GribField): Int32Array | null => {
    const k = JSON.stringify(f.grid);
    if (!orders.has(k)) orders.set(k, canonicalOrder(f.grid as GridDef));
    return orders.get(k)!;
  };
  for (const b of buckets.values()) {
    const gridKey = JSON.stringify(b.grid);
    let geo = geometries.get(gridKey);
    if (!geo) geometries.set(gridKey, (geo = geometry(b.grid)));
    // Fields that would land on the same row (same variable, time, level, member) cannot share
    // a group: split by reference time, then by message, so nothing is silently dropped.
    const parts = splitDuplicates(b.fields);
    for (const [suffix, fs] of parts) {
      let id = `${gridLabel(b.grid)}_${b.levelType}${suffix}`;
      for (let k = 2; usedIds.has(id); k++) id = `${gridLabel(b.grid)}_${b.levelType}${suffix}_${k}`;
      usedIds.add(id);
      groups.push(makeGroup(id, b.grid, geo, b.levelType, fs, orderOf));
    }
  }
  const attributes: Record<string, string> = { 'grib.messages': String(new Set(fields.map((f) => f.message)).size), 'grib.fields': String(fields.length) };
  if (skipped.length) attributes['wekeo.skipped_fields'] = skipped.join('; ');
  const editions = [...new Set(fields.map((f) => f.edition))].sort();
  attributes['grib.editions'] = editions.join(',');
  return { desc: { path, format: 'grib', sizeBytes: size, groups: groups.map((g) => g.group), attributes }, fields, groups };
}

function rowKey(f: GribField): string {
  return `${f.shortName}|${f.validUs}|${f.level}|${f.member ?? ''}`;
}

function splitDuplicates(fields: GribField[]): Array<[string, GribField[]]> {
  const seen = new Set<string>();
  let dup = false;
  for (const f of fields) {
    const k = rowKey(f);
    if (seen.has(k)) dup = true;
    seen.add(k);
  }
  if (!dup) return [['', fields]];
  const byRef = new Map<number, GribField[]>();
  for (const f of fields) byRef.set(f.referenceUs, [...(byRef.get(f.referenceUs) ?? []), f]);
  const out: Array<[string, GribField[]]> = [];
  for (const [ref, fs] of [...byRef].sort((a, b) => a[0] - b[0])) {
    const label = `_ref${isoFromMicros(ref).replace(/[-:]/g, '').slice(0, 13)}`;
    const keys = new Set(fs.map(rowKey));
    if (keys.size === fs.length) out.push([label, fs]);
    else fs.forEach((f) => out.push([`${label}_msg${f.message + 1}${f.field ? `.${f.field + 1}` : ''}`, [f]]));
  }
  return out;
}

function makeGroup(id: string, grid: GridDef, geo: Geometry, levelType: string, fields: GribField[], orderOf: (f: GribField) => Int32Array | null): GroupIndex {
  const names: string[] = [];
  for (const f of fields) if (!names.includes(f.shortName)) names.push(f.shortName);
  const times = [...new Set(fields.map((f) => f.validUs))].sort((a, b) => a - b);
  const levels = [...new Set(fields.map((f) => f.level))].sort((a, b) => a - b);
  const members = [...new Set(fields.map((f) => f.member).filter((m): m is number => m !== null))].sort((a, b) => a - b);
  const hasLevel = levels.length > 1;
  const hasMember = members.length > 1;
  const slices: Slice[] = [];
  for (const level of hasLevel ? levels : [levels[0]!]) {
    for (const member of hasMember ? members : [null]) slices.push({ level, member });
  }
  const sliceIndex = new Map(slices.map((s, i) => [`${hasLevel ? s.level : ''}|${hasMember ? s.member : ''}`, i]));
  const timeIndex = new Map(times.map((t, i) => [t, i]));
  const lookup = new Map<string, GribField>();
  for (const f of fields) {
    const s = sliceIndex.get(`${hasLevel ? f.level : ''}|${hasMember ? f.member : ''}`)!;
    lookup.set(`${f.shortName}|${timeIndex.get(f.validUs)}|${s}`, f);
  }
  const first = fields[0]!;
  const coordinates: ColumnSpec[] = [
    { name: 'time', type: 'timestamp_us', nullable: false, metadata: { description: 'valid time' } },
    { name: 'lat', type: 'float64', nullable: false, metadata: { units: 'degrees_north' } },
    { name: 'lon', type: 'float64', nullable: false, metadata: { units: 'degrees_east' } },
  ];
  if (hasLevel) coordinates.push({ name: 'level', type: 'float64', nullable: false, metadata: { typeOfLevel: levelType } });
  if (hasMember) coordinates.push({ name: 'number', type: 'int32', nullable: true, metadata: { description: 'ensemble member' } });
  coordinates.push(
    { name: 'reference_time', type: 'timestamp_us', nullable: true, metadata: { description: 'analysis/forecast reference time of the first variable' } },
    { name: 'step', type: 'float64', nullable: true, metadata: { units: 'hours', description: 'forecast step of the first variable (end of the statistical period for accumulations)' } },
  );
  const { rowLat, colLon } = extents(geo);
  const group: VariableGroup = {
    id,
    variables: names.map((n) => {
      const f = fields.find((x) => x.shortName === n)!;
      return {
        name: n,
        type: 'float32',
        units: f.units,
        longName: f.name,
        attributes: { edition: String(f.edition), centre: String(f.centre), paramKeys: f.edition === 2 ? `${f.discipline}.${f.category}.${f.number}` : `${f.table2Version}.${f.number}`, typeOfLevel: f.levelType },
      };
    }),
    coordinates,
    times,
    levels: slices.map((s) => (hasLevel ? s.level : (s.member ?? 0))),
    grid: { kind: geo.kind, ny: geo.ny, nx: geo.nx, rowLat, colLon, crs: geo.crs, blockRows: geo.ny }, // a field decodes whole: partitions never split one
    metadata: {
      typeOfLevel: levelType,
      level: hasLevel ? 'axis' : String(first.level),
      axes: `time × ${[hasLevel ? 'level' : '', hasMember ? 'number' : ''].filter(Boolean).join(' × ') || '(single level)'} × y × x`,
    },
  };
  return { group, grid, geo, slices, fields: lookup, orders: new Map(fields.map((f) => [f, orderOf(f)])), hasLevel, hasMember };
}

/** [min, max] latitude of each row and longitude of each column, for partition pruning. */
function extents(geo: Geometry): { rowLat: Array<[number, number]>; colLon: Array<[number, number]> } {
  if (geo.rowLat && geo.colLon) {
    // Each row (column) has one latitude (longitude); NaN from a corrupt header gives an empty extent as below.
    const one = (v: number): [number, number] => (v === v ? [v, v] : [Infinity, -Infinity]);
    return { rowLat: Array.from(geo.rowLat, one), colLon: Array.from(geo.colLon, one) };
  }
  const rowLat: Array<[number, number]> = [];
  for (let y = 0; y < geo.ny; y++) rowLat.push(extent(geo.lat!, y * geo.nx, geo.nx, 1));
  const colLon: Array<[number, number]> = [];
  for (let x = 0; x < geo.nx; x++) colLon.push(extent(geo.lon!, x, geo.ny, geo.nx));
  return { rowLat, colLon };
}

function extent(a: Float64Array, start: number, n: number, stride: number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let k = 0, i = start; k < n; k++, i += stride) {
    const v = a[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}
