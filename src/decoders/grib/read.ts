/**
 * `read` for GRIB: the points layout of one variable group's window, in batches of whole rows.
 * Only the messages of the requested variables, times and levels are decoded, each once; a
 * batch's columns are carved from one uninitialised buffer (one allocation instead of one per
 * column, and no zero-filling of what is written anyway), constant columns filled natively,
 * values narrowed to float32 a row at a time, and validity built only for fields with missing
 * values.
 */
import { asDecodeError, DecodeError } from '../errors.js';
import type { ColumnBatch, ColumnData, IndexRange, ReadSelection } from '../types.js';
import { emptyBitmap, validityFromNaN } from '../validity.js';
import { axisRange, DEFAULT_BATCH_BYTES } from '../window.js';
import { fileIndex, type GroupIndex } from './file-index.js';
import { rowLatLon } from './grids.js';
import type { GribField } from './model.js';
import { ViewArena } from './memory.js';
import { FileSource } from './source.js';
import { decodeField, type FieldValues } from './unpack.js';

export async function* readWindow(path: string, sel: ReadSelection): AsyncGenerator<ColumnBatch> {
  const idx = await fileIndex(path);
  const gi = idx.groups.find((g) => g.group.id === sel.group);
  if (!gi) throw new DecodeError('BAD_SELECTION', path, `no variable group "${sel.group}" (have ${idx.groups.map((g) => g.group.id).join(', ')})`);
  const g = gi.group;
  for (const v of sel.variables) if (!g.variables.some((x) => x.name === v)) throw new DecodeError('BAD_SELECTION', path, `variable ${v} is not in group ${g.id}`);
  const t = axisRange(sel.time, g.times.length, 'time', path);
  const l = axisRange(sel.level, gi.slices.length, 'level', path);
  const y = axisRange(sel.y, g.grid.ny, 'y', path);
  const x = axisRange(sel.x, g.grid.nx, 'x', path);
  const nx = x[1] - x[0];
  const rowBytes = 8 * 5 + (gi.hasLevel ? 8 : 0) + (gi.hasMember ? 4 : 0) + 4 * sel.variables.length;
  const bandRows = Math.max(1, Math.floor((sel.maxBatchBytes ?? DEFAULT_BATCH_BYTES) / rowBytes / Math.max(1, nx)));
  const src = await FileSource.open(path);
  try {
    for (let ti = t[0]; ti < t[1]; ti++) {
      for (let si = l[0]; si < l[1]; si++) {
        const fields = sel.variables.map((v) => gi.fields.get(`${v}|${ti}|${si}`));
        // One field at a time: the source reuses one buffer for data sections.
        const decoded: Array<FieldValues | null> = [];
        for (const f of fields) decoded.push(f ? await decodeField(src, f) : null);
        const meta = fields.find((f) => f) ?? null;
        for (let y0 = y[0]; y0 < y[1]; y0 += bandRows) {
          yield buildBatch(gi, ti, si, [y0, Math.min(y[1], y0 + bandRows)], x, sel.variables, fields, decoded, meta);
        }
      }
    }
  } catch (e) {
    throw asDecodeError(path, e, 'GRIB read failed');
  } finally {
    await src.close();
  }
}

function buildBatch(gi: GroupIndex, ti: number, si: number, y: IndexRange, x: IndexRange, variables: string[], fields: Array<GribField | undefined>, decoded: Array<FieldValues | null>, meta: GribField | null): ColumnBatch {
  const geo = gi.geo;
  const nx = x[1] - x[0];
  const rows = (y[1] - y[0]) * nx;
  const wide = 5 + (gi.hasLevel ? 1 : 0); // time, lat, lon, [level], reference_time, step
  const narrow = variables.length + (gi.hasMember ? 1 : 0); // float32 values, int32 member
  const arena = new ViewArena(wide * ViewArena.size(rows, 8) + narrow * ViewArena.size(rows, 4));
  const time = arena.i64(rows).fill(BigInt(gi.group.times[ti]!));
  const lat = arena.f64(rows);
  const lon = arena.f64(rows);
  for (let yy = y[0], k = 0; yy < y[1]; yy++, k += nx) rowLatLon(geo, yy, x[0], x[1], lat, lon, k);
  const columns: ColumnData[] = [
    { name: 'time', values: time, nullCount: 0 },
    { name: 'lat', values: lat, nullCount: 0 },
    { name: 'lon', values: lon, nullCount: 0 },
  ];
  const slice = gi.slices[si]!;
  if (gi.hasLevel) columns.push({ name: 'level', values: arena.f64(rows).fill(slice.level), nullCount: 0 });
  if (gi.hasMember) columns.push({ name: 'number', values: arena.i32(rows).fill(slice.member ?? 0), nullCount: 0 });
  columns.push(
    meta ? { name: 'reference_time', values: arena.i64(rows).fill(BigInt(meta.referenceUs)), nullCount: 0 } : { name: 'reference_time', values: arena.i64(rows).fill(0n), validity: emptyBitmap(rows), nullCount: rows },
    meta ? { name: 'step', values: arena.f64(rows).fill(meta.stepHours), nullCount: 0 } : { name: 'step', values: arena.f64(rows).fill(0), validity: emptyBitmap(rows), nullCount: rows },
  );
  variables.forEach((name, k) => {
    const d = decoded[k];
    const out = arena.f32(rows);
    if (!d) {
      out.fill(NaN);
      columns.push({ name, values: out, validity: emptyBitmap(rows), nullCount: rows });
      return;
    }
    narrowWindow(d.values, gi.orders.get(fields[k]!) ?? null, geo.nx, y, x, out);
    if (d.missing === 0) columns.push({ name, values: out, nullCount: 0 });
    else {
      const { validity, nullCount } = validityFromNaN(out);
      columns.push(validity ? { name, values: out, validity, nullCount } : { name, values: out, nullCount: 0 });
    }
  });
  return { numRows: rows, columns };
}

/** The window's values (message order, float64) into row-major float32, row by row. */
function narrowWindow(values: Float64Array, order: Int32Array | null, gridNx: number, y: IndexRange, x: IndexRange, out: Float32Array): void {
  const nx = x[1] - x[0];
  for (let yy = y[0], k = 0; yy < y[1]; yy++, k += nx) {
    const base = yy * gridNx + x[0];
    if (!order) out.set(values.subarray(base, base + nx), k);
    else for (let i = 0; i < nx; i++) out[k + i] = values[order[base + i]!]!;
  }
}
