/**
 * The GRIB decoder plugin (GRIB1 and GRIB2, mixed in one file). `describe` indexes messages
 * from their headers; fields on the same grid and level type form one variable group whose
 * variables are the parameters' short names, with axes valid time × (level × ensemble member).
 * `read` decodes only the messages of the requested variables, times and levels.
 */
import { stat } from 'node:fs/promises';
import { isoFromMicros } from '../cf/time.js';
import { asDecodeError, DecodeError } from '../errors.js';
import { inspectChunks } from '../inspect.js';
import { inShare, type ColumnBatch, type ColumnData, type ColumnSpec, type DecodedChunk, type DecoderPlugin, type FileDescription, type IndexRange, type ReadSelection, type VariableGroup, type WorkShare } from '../types.js';
import { geometry, type Geometry } from './grids.js';
import type { GribField, GridDef } from './model.js';
import { indexFile } from './scan.js';
import { FileSource } from './source.js';
import { decodeField } from './unpack.js';

const DEFAULT_BATCH_BYTES = 8 * 1024 * 1024;

export function sniffGrib(head: Uint8Array): boolean {
  for (let i = 0; i + 8 <= head.length; i++) {
    if (head[i] === 0x47 && head[i + 1] === 0x52 && head[i + 2] === 0x49 && head[i + 3] === 0x42 && (head[i + 7] === 1 || head[i + 7] === 2)) return true;
  }
  return false;
}

/** One (level, member) combination of a group's vertical/ensemble axis. */
interface Slice {
  level: number;
  member: number | null;
}

interface GroupIndex {
  group: VariableGroup;
  grid: GridDef;
  slices: Slice[];
  /** field lookup: `${variable}|${timeIndex}|${sliceIndex}` → field. */
  fields: Map<string, GribField>;
  hasLevel: boolean;
  hasMember: boolean;
}

interface FileIndex {
  desc: FileDescription;
  fields: GribField[];
  groups: GroupIndex[];
}

const indexes = new Map<string, Promise<FileIndex>>();
const INDEX_CACHE_ENTRIES = 32;

async function fileIndex(path: string): Promise<FileIndex> {
  const st = await stat(path).catch((e: NodeJS.ErrnoException) => {
    throw new DecodeError(e.code === 'ENOENT' ? 'NOT_FOUND' : 'CORRUPT', path, `cannot stat (${e.code ?? e.message})`);
  });
  const key = `${path}\0${st.size}\0${st.mtimeMs}`;
  let p = indexes.get(key);
  if (!p) {
    p = (async () => {
      const src = await FileSource.open(path);
      try {
        const fields = await indexFile(src);
        return buildIndex(path, st.size, fields);
      } catch (e) {
        throw asDecodeError(path, e, 'GRIB index failed');
      } finally {
        await src.close();
      }
    })();
    indexes.set(key, p);
    p.catch(() => indexes.delete(key));
    while (indexes.size > INDEX_CACHE_ENTRIES) indexes.delete(indexes.keys().next().value!);
  }
  return p;
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
    const gridKey = JSON.stringify(f.grid);
    const key = `${gridKey}|${f.levelType}`;
    let b = buckets.get(key);
    if (!b) buckets.set(key, (b = { grid: f.grid as GridDef, levelType: f.levelType, fields: [] }));
    b.fields.push(f);
  }
  const groups: GroupIndex[] = [];
  const usedIds = new Set<string>();
  for (const b of buckets.values()) {
    // Fields that would land on the same row (same variable, time, level, member) cannot share
    // a group: split by reference time, then by message, so nothing is silently dropped.
    const parts = splitDuplicates(b.fields);
    for (const [suffix, fs] of parts) {
      let id = `${gridLabel(b.grid)}_${b.levelType}${suffix}`;
      for (let k = 2; usedIds.has(id); k++) id = `${gridLabel(b.grid)}_${b.levelType}${suffix}_${k}`;
      usedIds.add(id);
      groups.push(makeGroup(id, b.grid, b.levelType, fs));
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

function makeGroup(id: string, grid: GridDef, levelType: string, fields: GribField[]): GroupIndex {
  const geo = geometry(grid);
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
  const rows = geo.ny;
  const rowLat: Array<[number, number]> = [];
  for (let y = 0; y < rows; y++) rowLat.push(extent(geo.lat, y * geo.nx, geo.nx, 1));
  const colLon: Array<[number, number]> = [];
  for (let x = 0; x < geo.nx; x++) colLon.push(extent(geo.lon, x, geo.ny, geo.nx));
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
    grid: { kind: geo.kind, ny: geo.ny, nx: geo.nx, rowLat, colLon, crs: geo.crs },
    metadata: {
      typeOfLevel: levelType,
      level: hasLevel ? 'axis' : String(first.level),
      axes: `time × ${[hasLevel ? 'level' : '', hasMember ? 'number' : ''].filter(Boolean).join(' × ') || '(single level)'} × y × x`,
    },
  };
  return { group, grid, slices, fields: lookup, hasLevel, hasMember };
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

function range(r: IndexRange | undefined, n: number, what: string, path: string): IndexRange {
  const [a, b] = r ?? [0, n];
  if (!(Number.isInteger(a) && Number.isInteger(b) && a >= 0 && b <= n && a <= b)) {
    throw new DecodeError('BAD_SELECTION', path, `${what} range [${a}, ${b}) outside [0, ${n})`);
  }
  return [a, b];
}

async function* readWindow(path: string, sel: ReadSelection): AsyncGenerator<ColumnBatch> {
  const idx = await fileIndex(path);
  const gi = idx.groups.find((g) => g.group.id === sel.group);
  if (!gi) throw new DecodeError('BAD_SELECTION', path, `no variable group "${sel.group}" (have ${idx.groups.map((g) => g.group.id).join(', ')})`);
  const g = gi.group;
  for (const v of sel.variables) if (!g.variables.some((x) => x.name === v)) throw new DecodeError('BAD_SELECTION', path, `variable ${v} is not in group ${g.id}`);
  const t = range(sel.time, g.times.length, 'time', path);
  const l = range(sel.level, gi.slices.length, 'level', path);
  const y = range(sel.y, g.grid.ny, 'y', path);
  const x = range(sel.x, g.grid.nx, 'x', path);
  const geo = geometry(gi.grid);
  const nx = x[1] - x[0];
  const rowBytes = 8 * 5 + (gi.hasLevel ? 8 : 0) + (gi.hasMember ? 4 : 0) + 4 * sel.variables.length;
  const bandRows = Math.max(1, Math.floor((sel.maxBatchBytes ?? DEFAULT_BATCH_BYTES) / rowBytes / nx));
  const src = await FileSource.open(path);
  try {
    for (let ti = t[0]; ti < t[1]; ti++) {
      for (let si = l[0]; si < l[1]; si++) {
        const fields = sel.variables.map((v) => gi.fields.get(`${v}|${ti}|${si}`));
        // One field at a time: the source reuses one buffer for data sections.
        const decoded: Array<Float64Array | null> = [];
        for (const f of fields) decoded.push(f ? (await decodeField(src, f)).values : null);
        const meta = fields.find((f) => f) ?? null;
        for (let y0 = y[0]; y0 < y[1]; y0 += bandRows) {
          const y1 = Math.min(y[1], y0 + bandRows);
          yield buildBatch(gi, geo, ti, si, [y0, y1], x, sel.variables, decoded, meta);
        }
      }
    }
  } catch (e) {
    throw asDecodeError(path, e, 'GRIB read failed');
  } finally {
    await src.close();
  }
}

function buildBatch(gi: GroupIndex, geo: Geometry, ti: number, si: number, y: IndexRange, x: IndexRange, variables: string[], decoded: Array<Float64Array | null>, meta: GribField | null): ColumnBatch {
  const nx = x[1] - x[0];
  const rows = (y[1] - y[0]) * nx;
  const lat = new Float64Array(rows);
  const lon = new Float64Array(rows);
  // Row-major positions of the window, and where each value sits in the message order.
  const src = new Int32Array(rows);
  for (let yy = y[0], k = 0; yy < y[1]; yy++) {
    const base = yy * geo.nx + x[0];
    lat.set(geo.lat.subarray(base, base + nx), k);
    lon.set(geo.lon.subarray(base, base + nx), k);
    for (let i = 0; i < nx; i++, k++) src[k] = geo.order ? geo.order[base + i]! : base + i;
  }
  const columns: ColumnData[] = [{ name: 'time', values: new BigInt64Array(rows).fill(BigInt(gi.group.times[ti]!)), nullCount: 0 }, { name: 'lat', values: lat, nullCount: 0 }, { name: 'lon', values: lon, nullCount: 0 }];
  const slice = gi.slices[si]!;
  if (gi.hasLevel) columns.push({ name: 'level', values: new Float64Array(rows).fill(slice.level), nullCount: 0 });
  if (gi.hasMember) columns.push({ name: 'number', values: new Int32Array(rows).fill(slice.member ?? 0), nullCount: 0 });
  columns.push(metaColumn('reference_time', rows, meta ? BigInt(meta.referenceUs) : null), metaColumn('step', rows, meta ? meta.stepHours : null));
  variables.forEach((name, k) => {
    const vals = decoded[k];
    const out = new Float32Array(rows);
    const validity = new Uint8Array((rows + 7) >> 3);
    let nulls = 0;
    if (!vals) {
      out.fill(NaN);
      nulls = rows;
    } else {
      for (let i = 0; i < rows; i++) {
        const v = vals[src[i]!]!;
        if (v !== v) {
          out[i] = NaN;
          nulls++;
        } else {
          out[i] = v;
          validity[i >> 3]! |= 1 << (i & 7);
        }
      }
    }
    columns.push(nulls ? { name, values: out, validity, nullCount: nulls } : { name, values: out, nullCount: 0 });
  });
  return { numRows: rows, columns };
}

function metaColumn(name: string, rows: number, v: bigint | number | null): ColumnData {
  if (typeof v === 'bigint') return { name, values: new BigInt64Array(rows).fill(v), nullCount: 0 };
  if (typeof v === 'number') return { name, values: new Float64Array(rows).fill(v), nullCount: 0 };
  const values = name === 'step' ? new Float64Array(rows) : new BigInt64Array(rows);
  return { name, values, validity: new Uint8Array((rows + 7) >> 3), nullCount: rows };
}

async function* decodeAll(path: string, share?: WorkShare): AsyncGenerator<DecodedChunk> {
  const idx = await fileIndex(path);
  const src = await FileSource.open(path);
  try {
    for (let i = 0; i < idx.fields.length; i++) {
      if (!inShare(i, share)) continue; // work unit: one field
      const f = idx.fields[i]!;
      const { values } = await decodeField(src, f);
      yield {
        field: i,
        name: f.shortName,
        values,
        info: {
          time: isoFromMicros(f.validUs),
          reference_time: isoFromMicros(f.referenceUs),
          step: f.stepHours,
          level: f.level,
          levelType: f.levelType,
          number: f.member,
          units: f.units,
          longName: f.name,
          edition: f.edition,
          message: f.message + 1,
          grid: f.grid.kind,
          packing: f.packing.kind,
        },
      };
    }
  } catch (e) {
    throw asDecodeError(path, e, 'GRIB decode failed');
  } finally {
    await src.close();
  }
}

export const gribDecoder: DecoderPlugin = {
  format: 'grib',
  sniff: sniffGrib,
  describe: async (path) => (await fileIndex(path)).desc,
  read: (path, selection) => readWindow(path, selection),
  decodeAll,
  inspect: (path) => inspectChunks('grib', decodeAll(path)),
};
