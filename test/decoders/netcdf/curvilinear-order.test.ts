/**
 * Curvilinear grids (2-D latitude/longitude named by CF `coordinates`) in any dimension order
 * (issue 12): `(y, time, x)`, `(x, y)` with lat(y, x), `(time, x, y)` with lat(x, y), a level
 * stored after a horizontal axis. Every row carries its cell's own lat/lon, and a bbox finds
 * exactly the cells inside it, through the decoder (plan + exact row filter) and a bridge query.
 * The file is written here by a NetCDF-3 writer independent of the decoder; every expected value
 * comes from the formulas that wrote it.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordBatch } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeCore } from '../../../src/bridge/core.js';
import { parseCommand } from '../../../src/bridge/query.js';
import { Catalog } from '../../../src/catalog/catalog.js';
import { LocalSource } from '../../../src/catalog/local-source.js';
import { netcdfDecoder } from '../../../src/decoders/netcdf/index.js';
import type { ColumnBatch } from '../../../src/decoders/types.js';
import { plan } from '../../../src/partitioner/plan.js';
import { DecodePool } from '../../../src/workers/decode-pool.js';
import { filterRows } from '../../../src/workers/row-filter.js';
import { valueAt } from '../../support/batches.js';
import { writeNetcdf3, type NcVarSpec } from '../../support/netcdf3-writer.js';

const NT = 3;
const NL = 2;
const NY = 5;
const NX = 4;
const SIZES: Record<string, number> = { time: NT, lev: NL, y: NY, x: NX };
const LEVELS = [850, 500];
const HOUR_US = 3_600_000_000;
const T0_US = Date.UTC(2024, 0, 1) * 1000;
// Binary fractions: every lat/lon is exact in float64, and unique per cell.
const latOf = (y: number, x: number) => 40 + 0.5 * y + 0.125 * x;
const lonOf = (y: number, x: number) => 10 + 0.75 * x - 0.0625 * y;

/** The data variables: name, dimensions as stored, coordinates attribute. */
const VARIABLES: Array<{ name: string; dims: string[]; coords: string }> = [
  { name: 'a', dims: ['time', 'y', 'x'], coords: 'lat lon' }, // the usual order, as a reference
  { name: 'b', dims: ['y', 'time', 'x'], coords: 'lat lon' },
  { name: 'c', dims: ['x', 'y'], coords: 'lat lon' }, // lat(y, x) transposed against the data
  { name: 'd', dims: ['time', 'x', 'y'], coords: 'lat_t lon_t' }, // lat(x, y) in the data's order
  { name: 'e', dims: ['x', 'lev', 'y'], coords: 'lat lon' }, // a level between the horizontal axes
  { name: 'f', dims: ['lev', 'y', 'time', 'x'], coords: 'lat_t lon_t' },
];
const valueOf = (vi: number, at: Record<string, number>) => vi * 10000 + (at.time ?? 0) * 1000 + (at.lev ?? 0) * 100 + at.y! * 10 + at.x!;

/** Values of a variable on `dims`, in C order, from a function of the named indices. */
function fill(dims: string[], f: (at: Record<string, number>) => number): Float64Array {
  const n = dims.reduce((p, d) => p * SIZES[d]!, 1);
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const at: Record<string, number> = {};
    let rest = k;
    for (let i = dims.length - 1; i >= 0; i--) {
      at[dims[i]!] = rest % SIZES[dims[i]!]!;
      rest = Math.floor(rest / SIZES[dims[i]!]!);
    }
    out[k] = f(at);
  }
  return out;
}

interface Row {
  time: number | null;
  level: number | null;
  lat: number;
  lon: number;
  value: number;
}

/** Every cell of a variable as a row (time in µs, level value). */
function expectedRows(vi: number): Row[] {
  const dims = VARIABLES[vi]!.dims;
  const rows: Row[] = [];
  for (let t = 0; t < (dims.includes('time') ? NT : 1); t++)
    for (let l = 0; l < (dims.includes('lev') ? NL : 1); l++)
      for (let y = 0; y < NY; y++)
        for (let x = 0; x < NX; x++) {
          rows.push({
            time: dims.includes('time') ? T0_US + t * 6 * HOUR_US : null,
            level: dims.includes('lev') ? LEVELS[l]! : null,
            lat: latOf(y, x),
            lon: lonOf(y, x),
            value: valueOf(vi, { time: t, lev: l, y, x }),
          });
        }
  return rows;
}

const keyOf = (r: Omit<Row, 'value'>) => `${r.time}|${r.level}|${r.lat}|${r.lon}`;

let root: string;
let path: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'wekeo-curvi-order-'));
  mkdirSync(join(root, 'curvi'));
  path = join(root, 'curvi', 'curvi.nc');
  const geo = (name: string, dims: string[], f: (y: number, x: number) => number, std: 'latitude' | 'longitude'): NcVarSpec => ({
    name,
    dims,
    type: 'double',
    attrs: { standard_name: std, units: std === 'latitude' ? 'degrees_north' : 'degrees_east' },
    values: fill(dims, (at) => f(at.y!, at.x!)),
  });
  writeNetcdf3(
    path,
    [['time', NT], ['lev', NL], ['y', NY], ['x', NX]],
    [
      { name: 'time', dims: ['time'], type: 'double', attrs: { standard_name: 'time', units: 'hours since 2024-01-01 00:00:00' }, values: [0, 6, 12] },
      { name: 'lev', dims: ['lev'], type: 'double', attrs: { units: 'hPa', positive: 'down' }, values: LEVELS },
      geo('lat', ['y', 'x'], latOf, 'latitude'),
      geo('lon', ['y', 'x'], lonOf, 'longitude'),
      geo('lat_t', ['x', 'y'], latOf, 'latitude'),
      geo('lon_t', ['x', 'y'], lonOf, 'longitude'),
      ...VARIABLES.map((v, vi): NcVarSpec => ({ name: v.name, dims: v.dims, type: 'double', attrs: { coordinates: v.coords, units: '1' }, values: fill(v.dims, (at) => valueOf(vi, at)) })),
    ],
  );
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Rows of decoded batches (time µs, level, lat, lon, the variable's value). */
function rowsOf(batches: ColumnBatch[], name: string): Row[] {
  const rows: Row[] = [];
  let n = 0;
  for (const b of batches) n += b.numRows;
  const has = (c: string) => batches[0]!.columns.some((x) => x.name === c);
  for (let i = 0; i < n; i++) {
    const t = has('time') ? valueAt(batches, 'time', i) : null;
    rows.push({
      time: t === null ? null : Number(t),
      level: has('level') ? (valueAt(batches, 'level', i) as number) : null,
      lat: valueAt(batches, 'lat', i) as number,
      lon: valueAt(batches, 'lon', i) as number,
      value: valueAt(batches, name, i) as number,
    });
  }
  return rows;
}

function expectSameRows(got: Row[], expected: Row[]) {
  const want = new Map(expected.map((r) => [keyOf(r), r.value]));
  expect(got.length).toBe(expected.length);
  const seen = new Set<string>();
  for (const r of got) {
    const k = keyOf(r);
    expect(want.get(k), `row at ${k}`).toBe(r.value);
    seen.add(k);
  }
  expect(seen.size).toBe(expected.length);
}

// Inside: lat 41.0 .. 41.8, lon 10.6 .. 12.0 (some cells of each row band, not all).
const BBOX: [number, number, number, number] = [10.6, 41.0, 12.0, 41.8];
const inBbox = (r: Row) => r.lat >= BBOX[1] && r.lat <= BBOX[3] && r.lon >= BBOX[0] && r.lon <= BBOX[2];

describe('curvilinear grids in any dimension order', () => {
  it.each(VARIABLES.map((v, vi) => [v.name, v.dims.join(','), vi] as const))('%s(%s): a points group whose rows carry each cell\'s lat/lon', async (name, _dims, vi) => {
    const desc = await netcdfDecoder.describe(path);
    const g = desc.groups.find((x) => x.variables.some((v) => v.name === name))!;
    expect(g.grid.kind).toBe('curvilinear');
    const dims = VARIABLES[vi]!.dims;
    expect(g.coordinates.map((c) => c.name)).toEqual([...(dims.includes('time') ? ['time'] : []), 'lat', 'lon', ...(dims.includes('lev') ? ['level'] : [])]);
    expect(g.levels).toEqual(dims.includes('lev') ? LEVELS : []);
    // Tiny batches: bands of one or two grid rows, levels read one at a time.
    for (const maxBatchBytes of [undefined, 150]) {
      const batches: ColumnBatch[] = [];
      for await (const b of netcdfDecoder.read(path, { group: g.id, variables: [name], maxBatchBytes })) batches.push(b);
      if (maxBatchBytes) expect(batches.length).toBeGreaterThan(3);
      expectSameRows(rowsOf(batches, name), expectedRows(vi));
    }
  });

  it('keeps the 2-D lat/lon variables apart from the data on the same dimensions', async () => {
    const desc = await netcdfDecoder.describe(path);
    const byVar = (n: string) => desc.groups.find((g) => g.variables.some((v) => v.name === n))!;
    expect(byVar('c').id).toBe('x,y');
    expect(byVar('c').variables.map((v) => v.name)).toEqual(['c']);
    expect(byVar('lat_t').id).toBe('x,y (array)');
    expect(byVar('lat_t').variables.map((v) => v.name)).toEqual(['lat_t', 'lon_t']);
    expect(byVar('lat').grid.kind).toBe('array');
  });

  it.each(VARIABLES.map((v, vi) => [v.name, vi] as const))('%s: a bbox plans and filters exactly the cells inside', async (name, vi) => {
    const desc = await netcdfDecoder.describe(path);
    const p = plan([{ key: 'curvi', description: desc }], { bbox: BBOX, variables: [name] }, 7);
    const batches: ColumnBatch[] = [];
    for (const part of p.partitions) {
      for await (const raw of netcdfDecoder.read(path, { group: part.group, variables: part.variables, time: part.time, level: part.level, y: part.y, x: part.x })) {
        const b = filterRows(raw, { bbox: BBOX });
        if (b.numRows) batches.push(b);
      }
    }
    const expected = expectedRows(vi).filter(inBbox);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(expectedRows(vi).length / 2);
    expectSameRows(rowsOf(batches, name), expected);
  });

  it('a bridge query with a bbox reads every one of them, each cell at its position', { timeout: 120_000 }, async () => {
    const pool = new DecodePool({ size: 1 });
    try {
      const core = new BridgeCore(new Catalog([new LocalSource(root)], (p) => pool.describe(p)), pool, { cacheBytes: 0, targetRows: 10 });
      const planned = await core.planQuery(parseCommand(JSON.stringify({ dataset: 'curvi', bbox: BBOX })));
      const names = planned.schema.fields.map((f) => f.name);
      for (const v of VARIABLES) expect(names).toContain(v.name);
      const got = new Map<string, Row[]>(VARIABLES.map((v) => [v.name, []]));
      for (const t of planned.tickets) {
        for await (const m of core.streamTicket(t.ticket)) {
          if (!(m instanceof RecordBatch)) continue;
          for (let i = 0; i < m.numRows; i++) {
            const row = m.get(i)!.toJSON() as Record<string, unknown>;
            for (const v of VARIABLES) {
              if (row[v.name] === null || row[v.name] === undefined) continue;
              const time = row.time === null || row.time === undefined ? null : Number(row.time) * (typeof row.time === 'number' ? 1000 : 1);
              got.get(v.name)!.push({ time, level: (row.level as number | null) ?? null, lat: row.lat as number, lon: row.lon as number, value: row[v.name] as number });
            }
          }
        }
      }
      VARIABLES.forEach((v, vi) => expectSameRows(got.get(v.name)!, expectedRows(vi).filter(inBbox)));
    } finally {
      await pool.close();
    }
  });
});

/**
 * Projected x/y with a CF grid mapping (polar stereographic, as in polar_stereographic.nc, whose
 * lat/lon projected.test.ts checks against GDAL/PROJ) in other dimension orders: every cell of
 * `(x, y)`, `(y, time, x)` and `(x, time, y)` has the lat/lon of the same cell of the `(time, y, x)`
 * variable, native x/y equal to the written coordinates, and the written value.
 */
describe('projected x/y grids in any dimension order', () => {
  const PT = 2;
  const PY = 6;
  const PX = 5;
  const PSIZES: Record<string, number> = { time: PT, y: PY, x: PX };
  const xAt = (i: number) => -1500 + 100 * i;
  const yAt = (j: number) => 1200 - 100 * j;
  const PVARS = [
    { name: 'p', dims: ['time', 'y', 'x'] }, // the usual order, as a reference
    { name: 'q', dims: ['x', 'y'] },
    { name: 'r', dims: ['y', 'time', 'x'] },
    { name: 's', dims: ['x', 'time', 'y'] },
  ];
  const pvalue = (vi: number, at: Record<string, number>) => vi * 1000 + (at.time ?? 0) * 100 + at.y! * 10 + at.x!;
  let ppath: string;

  beforeAll(() => {
    mkdirSync(join(root, 'proj'));
    ppath = join(root, 'proj', 'proj.nc');
    const pfill = (dims: string[], f: (at: Record<string, number>) => number) => {
      const n = dims.reduce((p, d) => p * PSIZES[d]!, 1);
      return Float64Array.from({ length: n }, (_, k) => {
        const at: Record<string, number> = {};
        let rest = k;
        for (let i = dims.length - 1; i >= 0; i--) {
          at[dims[i]!] = rest % PSIZES[dims[i]!]!;
          rest = Math.floor(rest / PSIZES[dims[i]!]!);
        }
        return f(at);
      });
    };
    writeNetcdf3(
      ppath,
      [['time', PT], ['y', PY], ['x', PX]],
      [
        { name: 'time', dims: ['time'], type: 'double', attrs: { standard_name: 'time', units: 'days since 2024-01-01' }, values: [0, 1] },
        { name: 'x', dims: ['x'], type: 'double', attrs: { units: 'km', standard_name: 'projection_x_coordinate', axis: 'X' }, values: Array.from({ length: PX }, (_, i) => xAt(i)) },
        { name: 'y', dims: ['y'], type: 'double', attrs: { units: 'km', standard_name: 'projection_y_coordinate', axis: 'Y' }, values: Array.from({ length: PY }, (_, j) => yAt(j)) },
        {
          name: 'stereographic',
          dims: [],
          type: 'int',
          attrs: {
            grid_mapping_name: 'polar_stereographic',
            latitude_of_projection_origin: [90],
            straight_vertical_longitude_from_pole: [-45],
            standard_parallel: [70],
            false_easting: [0],
            false_northing: [0],
            semi_major_axis: [6378273],
            semi_minor_axis: [6356889.449],
          },
          values: [0],
        },
        ...PVARS.map((v, vi): NcVarSpec => ({ name: v.name, dims: v.dims, type: 'double', attrs: { units: '1', grid_mapping: 'stereographic' }, values: pfill(v.dims, (at) => pvalue(vi, at)) })),
      ],
    );
  });

  interface PRow {
    time: number | null;
    x: number;
    y: number;
    lat: number;
    lon: number;
    value: number;
  }
  async function prows(name: string, bbox?: [number, number, number, number]): Promise<PRow[]> {
    const desc = await netcdfDecoder.describe(ppath);
    const g = desc.groups.find((x) => x.variables.some((v) => v.name === name))!;
    expect(g.grid.kind).toBe('projected');
    const p = plan([{ key: 'proj', description: desc }], { bbox, variables: [name] }, 4);
    expect(p.group.id).toBe(g.id);
    const batches: ColumnBatch[] = [];
    for (const part of p.partitions) {
      for await (const raw of netcdfDecoder.read(ppath, { group: part.group, variables: part.variables, time: part.time, level: part.level, y: part.y, x: part.x, maxBatchBytes: 200 })) {
        const b = bbox ? filterRows(raw, { bbox }) : raw;
        if (b.numRows) batches.push(b);
      }
    }
    const n = batches.reduce((s, b) => s + b.numRows, 0);
    const hasTime = g.coordinates.some((c) => c.name === 'time');
    return Array.from({ length: n }, (_, i) => ({
      time: hasTime ? Number(valueAt(batches, 'time', i)) : null,
      x: valueAt(batches, 'x', i)!,
      y: valueAt(batches, 'y', i)!,
      lat: valueAt(batches, 'lat', i)!,
      lon: valueAt(batches, 'lon', i)!,
      value: valueAt(batches, name, i)!,
    }));
  }
  const cell = (r: PRow) => `${r.x}|${r.y}`;

  it.each(PVARS.slice(1).map((v) => [v.name, v.dims.join(','), PVARS.indexOf(v)] as const))('%s(%s): each cell at the position of the same cell in (time, y, x)', async (name, _dims, vi) => {
    const ref = new Map((await prows('p')).map((r) => [cell(r), r]));
    expect(ref.size).toBe(PY * PX);
    const dims = PVARS[vi]!.dims;
    const got = await prows(name);
    expect(got.length).toBe((dims.includes('time') ? PT : 1) * PY * PX);
    const seen = new Set<string>();
    for (const r of got) {
      const i = (r.x + 1500) / 100;
      const j = (1200 - r.y) / 100;
      expect(Number.isInteger(i) && i >= 0 && i < PX && Number.isInteger(j) && j >= 0 && j < PY, `x/y ${cell(r)} written`).toBe(true);
      const t = r.time === null ? 0 : (r.time - T0_US) / (24 * HOUR_US);
      expect(r.value).toBe(pvalue(vi, { time: t, y: j, x: i }));
      expect([r.lat, r.lon]).toEqual([ref.get(cell(r))!.lat, ref.get(cell(r))!.lon]);
      seen.add(`${t}|${cell(r)}`);
    }
    expect(seen.size).toBe(got.length);
  });

  it('a bbox finds the same cells in every order', async () => {
    const all = await prows('p');
    // South-west part of the grid's own extent (whatever the projection puts it at).
    const med = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const bbox: [number, number, number, number] = [Math.min(...all.map((r) => r.lon)) - 1, Math.min(...all.map((r) => r.lat)) - 1, med(all.map((r) => r.lon)), med(all.map((r) => r.lat))];
    const inside = new Set(all.filter((r) => r.lat >= bbox[1] && r.lat <= bbox[3] && r.lon >= bbox[0] && r.lon <= bbox[2]).map(cell));
    expect(inside.size).toBeGreaterThan(0);
    expect(inside.size).toBeLessThan(PY * PX);
    for (const v of PVARS) {
      const got = await prows(v.name, bbox);
      expect(new Set(got.map(cell)), v.name).toEqual(inside);
      expect(got.length).toBe(inside.size * (v.dims.includes('time') ? PT : 1));
    }
  });
});
