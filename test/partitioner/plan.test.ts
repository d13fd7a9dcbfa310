import { describe, expect, it } from 'vitest';
import type { FileDescription, VariableGroup } from '../../src/decoders/types.js';
import { lonOverlaps } from '../../src/geo/longitude.js';
import { chooseGroup, latitudeBands, latRange, lonRanges, plan, PlanError, timeRange } from '../../src/partitioner/plan.js';
import { TicketCodec, ticketFor } from '../../src/partitioner/ticket.js';

const HOUR = 3_600_000_000;

function regularGroup(id: string, vars: string[], nt: number, nl: number, lats: number[], lons: number[]): VariableGroup {
  return {
    id,
    variables: vars.map((name) => ({ name, type: 'float32', attributes: {} })),
    coordinates: [],
    times: Array.from({ length: nt }, (_, i) => Date.UTC(2024, 0, 1) * 1000 + i * HOUR),
    levels: Array.from({ length: nl }, (_, i) => 1000 - i * 100),
    grid: { kind: 'regular', ny: lats.length, nx: lons.length, rowLat: lats.map((v) => [v, v]), colLon: lons.map((v) => [v, v]) },
  };
}

const lats = Array.from({ length: 181 }, (_, i) => 90 - i);
const lons = Array.from({ length: 360 }, (_, i) => i);

function file(key: string, groups: VariableGroup[]): { key: string; description: FileDescription } {
  return { key, description: { path: `/x/${key}`, format: 'netcdf4', sizeBytes: 1, groups, attributes: {} } };
}

describe('partition planning', () => {
  it('picks the largest variable group by default and the group holding requested variables otherwise', () => {
    const big = regularGroup('time,lat,lon', ['t2m', 'u10'], 24, 0, lats, lons);
    const small = regularGroup('lat,lon', ['lsm'], 0, 0, lats, lons);
    expect(chooseGroup([small, big]).id).toBe('time,lat,lon');
    expect(chooseGroup([small, big], ['lsm']).id).toBe('lat,lon');
    expect(() => chooseGroup([small, big], ['t2m', 'lsm'])).toThrow(/different dimensions/);
    expect(() => chooseGroup([small, big], ['nope'])).toThrow(/unknown variable\(s\) "nope"; available: lsm, t2m, u10/);
  });

  it('splits whole time steps into partitions of about targetRows rows', () => {
    const g = regularGroup('g', ['t2m'], 24, 0, lats, lons); // 65,160 rows per step
    const p = plan([file('a.nc', [g])], {}, 200_000);
    expect(p.partitions.map((x) => x.time)).toEqual([[0, 3], [3, 6], [6, 9], [9, 12], [12, 15], [15, 18], [18, 21], [21, 24]]);
    expect(p.totalRows).toBe(24 * 181 * 360);
    expect(p.partitions.every((x) => x.rows <= 200_000)).toBe(true);
  });

  it('splits a large time step into latitude bands', () => {
    const g = regularGroup('g', ['t'], 2, 3, lats, lons); // 3 levels x 65,160 = 195,480 rows per step
    const p = plan([file('a.nc', [g])], {}, 50_000);
    const bands = p.partitions.filter((x) => x.time[0] === 0).map((x) => x.y);
    expect(bands[0]).toEqual([0, 46]); // floor(50000 / (3*360)) = 46 rows
    expect(bands.at(-1)![1]).toBe(181);
    expect(p.partitions.every((x) => x.rows <= 50_000 && x.level[1] === 3)).toBe(true);
    expect(p.partitions.reduce((s, x) => s + x.rows, 0)).toBe(2 * 3 * 181 * 360);
  });

  it('prunes by bbox and time window from metadata', () => {
    const g = regularGroup('g', ['t2m'], 24, 0, lats, lons);
    const start = Date.UTC(2024, 0, 1, 5) * 1000;
    const end = Date.UTC(2024, 0, 1, 7) * 1000;
    const p = plan([file('a.nc', [g])], { bbox: [10, 40, 20, 50], startUs: start, endUs: end }, 1_000_000);
    expect(p.partitions).toHaveLength(1);
    expect(p.partitions[0]).toMatchObject({ time: [5, 8], y: [40, 51], x: [[10, 21]][0] });
    expect(plan([file('a.nc', [g])], { startUs: Date.UTC(2030, 0, 1) * 1000 }).partitions).toEqual([]);
  });

  it('maps a -180..180 bbox onto a 0..360 grid, splitting at the seam', () => {
    expect(lonRanges(lons.map((v) => [v, v]), -10, 10)).toEqual([[0, 11], [350, 360]]);
    expect(lonRanges(lons.map((v) => [v, v]), 170, -170)).toEqual([[170, 191]]);
    expect(lonOverlaps(354, 354, -5, 5)).toBe(false);
    expect(lonOverlaps(356, 356, -5, 5)).toBe(true);
  });

  it('handles descending and ascending latitude and missing time axes', () => {
    expect(latRange(lats.map((v) => [v, v]), 0, 10)).toEqual([80, 91]);
    expect(latRange([...lats].reverse().map((v) => [v, v]), 0, 10)).toEqual([90, 101]);
    expect(timeRange([], 0, 1)).toEqual([0, 1]);
    expect(timeRange([5, 6, 7], 6, 6)).toEqual([1, 2]);
  });

  it('is deterministic across file order and reads every group by default, one group when named', () => {
    const g = regularGroup('g', ['t2m'], 4, 0, lats, lons);
    const other = regularGroup('h', ['sst'], 4, 0, lats, lons);
    const a = plan([file('b.nc', [g]), file('a.nc', [g]), file('c.nc', [other])], {}, 100_000);
    const b = plan([file('c.nc', [other]), file('a.nc', [g]), file('b.nc', [g])], {}, 100_000);
    expect(a).toEqual(b);
    expect(new Set(a.partitions.map((p) => p.fileKey))).toEqual(new Set(['a.nc', 'b.nc', 'c.nc']));
    expect(a.variables).toEqual(['t2m', 'sst']);
    expect(a.partitions.find((p) => p.fileKey === 'c.nc')!.variables).toEqual(['sst']);
    const one = plan([file('a.nc', [g]), file('c.nc', [other])], { group: 'h' }, 100_000);
    expect(one.groups.map((x) => x.id)).toEqual(['h']);
    expect(new Set(one.partitions.map((p) => p.fileKey))).toEqual(new Set(['c.nc']));
    expect(() => plan([file('a.nc', [g])], { group: 'nope' })).toThrow(/no variable group "nope"; groups: g/);
    expect(() => plan([], {})).toThrow(PlanError);
  });

  it('reads every group holding a requested variable, each partition the variables its group has', () => {
    const iso = regularGroup('iso', ['t', 'u'], 1, 3, lats, lons);
    const tropo = regularGroup('tropopause', ['t'], 1, 0, lats, lons);
    const p = plan([file('a.grib', [iso, tropo])], { variables: ['t', 'u'] }, 10_000_000);
    expect(p.groups.map((g) => g.id)).toEqual(['iso', 'tropopause']);
    expect(p.partitions.map((x) => [x.group, x.variables])).toEqual([['iso', ['t', 'u']], ['tropopause', ['t']]]);
    expect(() => plan([file('a.grib', [iso])], { variables: ['t', 'zz'] })).toThrow(/unknown variable\(s\) "zz"/);
  });
});

describe('tickets', () => {
  it('round-trip and reject forgeries or another secret', () => {
    const codec = new TicketCodec('s3cret');
    const body = ticketFor('era5', { fileKey: 'a.nc', group: 'g', variables: ['t2m'], time: [0, 3], level: [0, 1], y: [0, 181], x: [0, 360], rows: 1 }, { bbox: [0, 0, 1, 1] });
    const t = codec.encode(body);
    expect(codec.decode(t)).toEqual(body);
    expect(new TicketCodec('s3cret').decode(t)).toEqual(body);
    expect(() => new TicketCodec('other').decode(t)).toThrow(/signature/);
    const forged = Buffer.from(t.toString().replace('wkb1.', 'wkb1.x'));
    expect(() => codec.decode(forged)).toThrow(/signature|JSON/);
    expect(() => codec.decode(Buffer.from('garbage'))).toThrow(/not a wekeo-bridge ticket/);
  });
});

describe('tiles layout planning', () => {
  it('grows windows to whole chips anchored at the grid origin and counts chips as rows', () => {
    const g = regularGroup('g', ['t2m'], 2, 0, lats, lons);
    const p = plan([file('a.nc', [g])], { bbox: [10, 40, 20, 50], tile: [32, 32] }, 1_000_000);
    expect(p.partitions).toHaveLength(1);
    expect(p.partitions[0]).toMatchObject({ y: [32, 64], x: [0, 32], time: [0, 2] });
    expect(p.partitions[0]!.rows).toBe(2); // one chip per time step
  });

  it('cuts latitude bands on chip boundaries', () => {
    const g = regularGroup('g', ['t2m'], 1, 0, lats, lons);
    const p = plan([file('a.nc', [g])], { tile: [16, 16] }, 20_000);
    for (const part of p.partitions) {
      expect(part.y[0] % 16).toBe(0);
      if (part.y[1] !== 181) expect(part.y[1] % 16).toBe(0);
    }
    expect(p.totalRows).toBe(Math.ceil(181 / 16) * Math.ceil(360 / 16));
  });

  it('cuts latitude bands evenly and only at decoder block boundaries', () => {
    // 721 rows of 1440 cells, 1 M rows per partition: two even bands, not 694 + 27.
    expect(latitudeBands([0, 721], 1440, 1_000_000, 1)).toEqual([[0, 361], [361, 721]]);
    // A block of all 721 rows (a GRIB field, a whole-grid NetCDF-4 chunk) is never split.
    expect(latitudeBands([0, 721], 1440, 1_000_000, 721)).toEqual([[0, 721]]);
    // 256-row tiles: boundaries on multiples of 256 counted from row 0, also for a bbox window.
    expect(latitudeBands([100, 4000], 4000, 4_000_000, 256)).toEqual([[100, 1280], [1280, 2304], [2304, 3328], [3328, 4000]]);
    for (const [y, cells, target, unit] of [[[0, 999], 7, 100, 5], [[3, 50], 1000, 1, 4]] as const) {
      const bands = latitudeBands([y[0], y[1]], cells, target, unit);
      expect(bands[0]![0]).toBe(y[0]);
      expect(bands[bands.length - 1]![1]).toBe(y[1]);
      for (let i = 1; i < bands.length; i++) {
        expect(bands[i]![0]).toBe(bands[i - 1]![1]);
        expect(bands[i]![0] % unit).toBe(0);
      }
    }
  });
});

describe('partition sizing by Arrow bytes', () => {
  // 40 float32 variables: 160 B per row plus the width of the coordinates the callback adds.
  const wide = regularGroup('g', Array.from({ length: 40 }, (_, i) => `v${i}`), 4, 0, lats, lons);
  const rowBytes = (_gs: VariableGroup[], vars: string[]) => vars.length * 4 + 24 + (vars.length + 3) / 8;

  it('cuts partitions so neither the row nor the byte target is exceeded', () => {
    const perRow = rowBytes([wide], wide.variables.map((v) => v.name));
    const p = plan([file('a.nc', [wide])], {}, { rows: 1_000_000, bytes: 4 * 2 ** 20, rowBytes });
    expect(p.partitions.length).toBeGreaterThan(4 * 2); // 65,160 rows of ~190 B per step is ~12 MiB: bands
    for (const x of p.partitions) {
      expect(x.bytes).toBe(Math.ceil(x.rows * perRow));
      expect(x.bytes).toBeLessThanOrEqual(4 * 2 ** 20);
    }
    expect(p.totalRows).toBe(4 * 181 * 360);
    // The row target still binds when it is the tighter one.
    const byRows = plan([file('a.nc', [wide])], {}, { rows: 10_000, bytes: 2 ** 40, rowBytes });
    expect(byRows.partitions.every((x) => x.rows <= 10_000)).toBe(true);
    // Few variables: the same byte target gives whole time steps.
    const narrow = plan([file('a.nc', [wide])], { variables: ['v0'] }, { rows: 1_000_000, bytes: 8 * 2 ** 20, rowBytes }); // 28.5 B per row
    expect(narrow.partitions.map((x) => x.time)).toEqual([[0, 4]]);
  });

  it('keeps band boundaries on decoder block multiples when bytes bind', () => {
    const g = { ...wide, grid: { ...wide.grid, blockRows: 16 } };
    const p = plan([file('a.nc', [g])], {}, { rows: 1_000_000, bytes: 2 * 2 ** 20, rowBytes });
    const bands = p.partitions.filter((x) => x.time[0] === 0).map((x) => x.y);
    expect(bands.length).toBeGreaterThan(2);
    for (const [, y1] of bands.slice(0, -1)) expect(y1 % 16).toBe(0);
    expect(bands.at(-1)![1]).toBe(181);
  });

  it('gives every partition its time and lat/lon extent', () => {
    const p = plan([file('a.nc', [wide])], { bbox: [10, 40, 20, 50] }, { rows: 1_000_000, bytes: 2 ** 30, rowBytes });
    expect(p.partitions).toHaveLength(1);
    expect(p.partitions[0]!.extent).toEqual({ startUs: wide.times[0], endUs: wide.times[3], bbox: [10, 40, 20, 50] });
    const array = { ...wide, times: [], grid: { kind: 'array' as const, ny: 4, nx: 5, rowLat: [], colLon: [] } };
    expect(plan([file('b.nc', [array])], {}).partitions[0]!.extent).toEqual({});
  });

  it('counts the rows the exact row filter keeps, and says when the description cannot tell', () => {
    const coords = ['time', 'lat', 'lon'].map((name) => ({ name, type: 'float64' as const, nullable: false }));
    const g = { ...regularGroup('g', ['t2m'], 4, 0, lats, lons), coordinates: coords };
    // 11 latitudes (40..50) x 11 longitudes (10..20) of the 1-degree grid, 2 of 4 steps.
    const q = { bbox: [10, 40, 20, 50] as [number, number, number, number], startUs: g.times[1], endUs: g.times[2] };
    const p = plan([file('a.nc', [g])], q, 5);
    expect(p.exact).toBe(true);
    expect(p.totalRows).toBe(2 * 11 * 11);
    // Unsorted times: the window spans all four steps, two of which are in range.
    const unsorted = { ...g, times: [g.times[1]!, g.times[0]!, g.times[3]!, g.times[2]!] };
    expect(plan([file('a.nc', [unsorted])], q).totalRows).toBe(2 * 11 * 11);
    // A curvilinear grid's rows span latitudes: the filter tests each cell, the plan cannot count them.
    const curved = { ...g, grid: { ...g.grid, kind: 'curvilinear' as const, rowLat: lats.map((v) => [v - 1.5, v + 1.5] as [number, number]) } };
    const c = plan([file('a.nc', [curved])], q);
    expect(c.exact).toBe(false);
    expect(c.totalRows).toBeGreaterThan(2 * 11 * 11);
    expect(plan([file('a.nc', [curved])], { startUs: g.times[1] }).exact).toBe(true);
    // Members on a group with both a level and a member axis are left to the filter.
    const both = { ...regularGroup('g', ['t'], 1, 3, lats, lons), coordinates: [...coords, { name: 'level', type: 'float64' as const, nullable: false }, { name: 'number', type: 'int32' as const, nullable: true }] };
    expect(plan([file('a.nc', [both])], { numbers: [1] }).exact).toBe(false);
    expect(plan([file('a.nc', [both])], { levels: [1000] })).toMatchObject({ exact: true, totalRows: 181 * 360 });
  });
});
