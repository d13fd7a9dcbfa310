/**
 * `read` (points layout) against the decoded fields it is made from, cell by cell: every group of
 * files covering scanning modes, bitmaps, reduced, Gaussian and projected grids, several
 * variables, levels and members, for a window inside the grid cut into small batches. Each row
 * must hold the slab's time and level, the point's coordinates, and per variable the float32 of
 * the field's value at that point (message order mapped through the field's own scanning mode
 * onto the group's north-to-south rows), null exactly
 * where the field is missing.
 */
import { describe, expect, it } from 'vitest';
import { fileIndex } from '../../../src/decoders/grib/file-index.js';
import { pointLatLon } from '../../../src/decoders/grib/grids.js';
import { gribDecoder } from '../../../src/decoders/grib/index.js';
import { FileSource } from '../../../src/decoders/grib/source.js';
import { decodeField } from '../../../src/decoders/grib/unpack.js';
import type { IndexRange } from '../../../src/decoders/types.js';
import { bitIsSet } from '../../../src/decoders/validity.js';
import { locate } from '../../support/corpus.js';

const NAMES = ['scanning_mode_64.grib', 'reduced_gg.grib', 'lambert_grid.grib', 'fields_with_missing_values.grib', 'era5-levels-members.grib', 'regular_gg_ml_g2.grib', 'gfs.t06z.pgrb2.10p0.f010.grib2'];
const files = NAMES.map((n) => ({ name: n, path: locate('grib', n)?.path })).filter((f): f is { name: string; path: string } => !!f.path);

const inner = (n: number): IndexRange => (n > 4 ? [1, n - 1] : [0, n]);

describe.each(files)('GRIB read $name', ({ path }) => {
  it('equals the decoded fields row by row', async () => {
    expect(files.length).toBeGreaterThan(3);
    const idx = await fileIndex(path);
    const src = await FileSource.open(path);
    try {
      for (const gi of idx.groups.slice(0, 4)) {
        const g = gi.group;
        const vars = g.variables.slice(0, 3).map((v) => v.name);
        const time: IndexRange = [0, Math.min(2, g.times.length)];
        const level: IndexRange = [0, Math.min(3, gi.slices.length)];
        const y = inner(g.grid.ny);
        const x = inner(g.grid.nx);
        const nx = x[1] - x[0];
        const cells: Array<{ t: number; l: number; yy: number; xx: number }> = [];
        for (let t = time[0]; t < time[1]; t++) for (let l = level[0]; l < level[1]; l++) for (let yy = y[0]; yy < y[1]; yy++) for (let xx = x[0]; xx < x[1]; xx++) cells.push({ t, l, yy, xx });
        const values = new Map<string, { values: Float64Array; order: Int32Array | null } | null>();
        for (const t of [time[0], time[1] - 1]) for (let l = level[0]; l < level[1]; l++) for (const v of vars) {
          const f = gi.fields.get(`${v}|${t}|${l}`);
          values.set(`${v}|${t}|${l}`, f ? { values: (await decodeField(src, f)).values, order: gi.orders.get(f) ?? null } : null);
        }
        let row = 0;
        let batches = 0;
        for await (const b of gribDecoder.read(path, { group: g.id, variables: vars, time, level, y, x, maxBatchBytes: 48 * 1024 })) {
          batches++;
          const col = (name: string) => b.columns.find((c) => c.name === name)!;
          expect(b.columns.map((c) => c.name)).toEqual([...g.coordinates.map((c) => c.name), ...vars]);
          const bad: string[] = [];
          for (let i = 0; i < b.numRows; i++, row++) {
            const { t, l, yy, xx } = cells[row]!;
            if (t !== time[0] && t !== time[1] - 1) continue; // values decoded for the first and last time only
            const k = yy * g.grid.nx + xx;
            const [lat, lon] = pointLatLon(gi.geo, k);
            if ((col('time').values as BigInt64Array)[i] !== BigInt(g.times[t]!)) bad.push(`row ${row} time`);
            if (col('lat').values[i] !== lat || col('lon').values[i] !== lon) bad.push(`row ${row} lat/lon`);
            if (gi.hasLevel && col('level').values[i] !== gi.slices[l]!.level) bad.push(`row ${row} level`);
            for (const v of vars) {
              const c = col(v);
              const field = values.get(`${v}|${t}|${l}`)!;
              const want = field ? field.values[field.order ? field.order[k]! : k]! : NaN;
              const valid = !c.validity || bitIsSet(c.validity, i);
              if (want !== want ? valid : !valid || c.values[i] !== Math.fround(want)) bad.push(`row ${row} ${v}: ${valid ? c.values[i] : 'null'} vs ${want}`);
            }
            if (bad.length > 5) break;
          }
          expect(bad).toEqual([]);
          const nulls = b.columns.map((c) => (c.validity ? b.numRows - Array.from({ length: b.numRows }, (_, i) => bitIsSet(c.validity!, i)).filter(Boolean).length : 0));
          expect(b.columns.map((c) => c.nullCount)).toEqual(nulls);
        }
        expect(row).toBe(cells.length);
        if (cells.length * (40 + 4 * vars.length) > 2 * 48 * 1024 && nx < 1000) expect(batches).toBeGreaterThan(1);
      }
    } finally {
      await src.close();
    }
  }, 120_000);
});
