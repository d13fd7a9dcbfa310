/**
 * Window reads of points-layout groups: rows in C order over (time, level, y, x), whatever the
 * order the dimensions are stored in (y before x: see layout.ts), each batch a
 * band of y rows of one time step (all levels at once when the whole y range fits), with
 * lat/lon/level (and projected x/y) columns beside the decoded variables.
 */
import { cfPacking, decodeCf, decodesInPlace, type CfPacking, type Decoded } from '../cf/packing.js';
import type { NcArray } from '../cf/variable.js';
import { asDecodeError } from '../errors.js';
import type { ColumnBatch, ColumnData, ReadSelection } from '../types.js';
import { axisRange, DEFAULT_BATCH_BYTES } from '../window.js';
import { cellCoordinates } from './cell-grids.js';
import type { GeoLayout, Grouping } from './layout.js';
import { openBackend } from './open.js';
import { pointColumns, rowPatterns } from './point-columns.js';
import { breathe } from '../pread.js';
import { timeColumns } from './time-columns.js';

/** Raw bytes of one variable's stripe, at most (float64 counted); bounds memory per read. */
const STRIPE_BYTES = 32 * 1024 * 1024;

/**
 * Rows [a, b) of a raw stripe decoded into arrays of their own (batches are transferred whole,
 * so they never share a buffer), with their own validity bitmap. Packed data decode straight
 * from the stripe; float data, masked in place, are copied first.
 */
function decodeRows(raw: NcArray, p: CfPacking, a: number, b: number): Decoded {
  return decodeCf(decodesInPlace(raw, p) ? raw.slice(a, b) : raw.subarray(a, b), p);
}

export async function* readPointsWindow(path: string, g: Grouping & { layout: GeoLayout }, sel: ReadSelection): AsyncGenerator<ColumnBatch> {
  const { group, layout } = g;
  const hasTime = layout.roles.includes('time');
  const nt = hasTime ? group.times.length : 1;
  const t = axisRange(sel.time, nt, 'time', path);
  const l = axisRange(sel.level, Math.max(1, group.levels.length), 'level', path);
  const y = axisRange(sel.y, group.grid.ny, 'y', path);
  const x = axisRange(sel.x, group.grid.nx, 'x', path);
  const nl = l[1] - l[0];
  const nx = x[1] - x[0];
  const hasLevel = layout.roles.includes('level');
  const rowBytes = 8 * 3 + (hasLevel ? 8 : 0) + sel.variables.reduce((s, n) => s + (group.variables.find((v) => v.name === n)!.type === 'float32' ? 4 : 8), 0);
  const maxRows = Math.max(nx * nl, Math.floor((sel.maxBatchBytes ?? DEFAULT_BATCH_BYTES) / rowBytes));
  // Rows stay in C order over (time, level, y, x): all levels go in one batch only when the whole
  // y range fits; otherwise each level is read in bands of y rows. A read takes one time step, so
  // the time axis may sit anywhere (a curvilinear `(y, time, x)`); a level axis stored after y
  // (`(y, lev, x)`) is read one level at a time, so every read is a (y, x) block in C order.
  const levelBeforeY = layout.roles.indexOf('level') < layout.roles.indexOf('lat');
  const allLevels = (nl === 1 || levelBeforeY) && Math.floor(maxRows / (nx * nl)) >= y[1] - y[0];
  const levelStep = allLevels ? nl : 1;
  const bandRows = allLevels ? y[1] - y[0] : Math.max(1, Math.floor(maxRows / nx));

  // Variables are read in stripes of whole bands up to STRIPE_BYTES, each stripe once: a band
  // per read would decompress the same NetCDF-4 chunk once per band (14 times per chunk for
  // 2 MiB batches of a 721 x 1440 time step).
  // Contiguous (classic) variables gain nothing from stripes: one band per read keeps each
  // open stream's memory to about one batch (8 variables of a 721 x 1440 grid: 40 -> ~10 MiB).
  const fit = Math.floor(STRIPE_BYTES / (8 * nx));
  const stripeRows = allLevels ? y[1] - y[0] : group.grid.blockRows === undefined ? bandRows : Math.max(bandRows, Math.min(y[1] - y[0], fit - (fit % bandRows)));

  const b = await openBackend(path);
  try {
    const vars = sel.variables.map((n) => b.variables.find((v) => v.name === n)!);
    const packings = vars.map((v) => cfPacking(v));
    const patterns = rowPatterns(group, layout.curvilinear, x);
    for (let ti = t[0]; ti < t[1]; ti++) {
      for (let l0 = l[0]; l0 < l[1]; l0 += levelStep) {
        const lc = Math.min(levelStep, l[1] - l0);
        for (let s0 = y[0]; s0 < y[1]; s0 += stripeRows) {
          const s1 = Math.min(y[1], s0 + stripeRows);
          const stripe: NcArray[] = [];
          for (let k = 0; k < vars.length; k++) {
            const start: number[] = [];
            const count: number[] = [];
            layout.roles.forEach((role) => {
              if (role === 'time') (start.push(ti), count.push(1));
              else if (role === 'level') (start.push(l0), count.push(lc));
              else if (role === 'lat') (start.push(s0), count.push(s1 - s0));
              else (start.push(x[0]), count.push(nx));
            });
            stripe.push(await b.read(vars[k]!.name, start, count));
          }
          for (let y0 = s0; y0 < s1; y0 += bandRows) {
            const y1 = Math.min(s1, y0 + bandRows);
            const ny = y1 - y0;
            const rows = lc * ny * nx;
            const columns: ColumnData[] = [];
            if (group.times.length > 0) columns.push(...timeColumns(g, hasTime ? ti : 0, rows));
            const cells = layout.curvilinear ? await cellCoordinates(b, layout.curvilinear, [y0, y1], x) : undefined;
            const levels = hasLevel ? group.levels.slice(l0, l0 + lc) : [];
            columns.push(...pointColumns(group, layout.curvilinear, cells, patterns, { levels, y0, ny, nx }, hasLevel));
            const whole = y0 === s0 && y1 === s1;
            for (let k = 0; k < vars.length; k++) {
              // Rows of a band are contiguous in the stripe (one level per stripe unless all fit).
              const d = whole ? decodeCf(stripe[k]!, packings[k]!) : decodeRows(stripe[k]!, packings[k]!, (y0 - s0) * nx, (y1 - s0) * nx);
              columns.push({ name: vars[k]!.name, values: d.values, validity: d.validity, nullCount: d.nullCount });
            }
            yield { numRows: rows, columns };
            await breathe();
          }
        }
      }
    }
  } catch (e) {
    throw asDecodeError(path, e, 'read failed');
  } finally {
    await b.close();
  }
}
