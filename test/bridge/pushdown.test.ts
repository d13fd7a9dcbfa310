/**
 * Query fields that clients (the Spark shim) push down: `columns` prunes what is sent (a count
 * sends no column at all), `levels`/`numbers` slice the vertical and member axes before sizing
 * partitions, and contradictory ranges answer zero endpoints. Each result is compared with the
 * full read filtered here, through a real Flight server on the embedded samples.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Table } from 'apache-arrow';
import { BridgeCore } from '../../src/bridge/core.js';
import { FlightClient } from '../../src/bridge/flight-client.js';
import { startFlightServer, type RunningFlightServer } from '../../src/bridge/flight-server.js';
import { Catalog } from '../../src/catalog/catalog.js';
import { EMBEDDED_CATALOG, LocalSource } from '../../src/catalog/local-source.js';
import { DecodePool } from '../../src/workers/decode-pool.js';

let pool: DecodePool;
let server: RunningFlightServer;
let client: FlightClient;

beforeAll(async () => {
  pool = new DecodePool({ size: 2 });
  const catalog = new Catalog([new LocalSource(EMBEDDED_CATALOG)], (p) => pool.describe(p));
  // No cache: every read below decodes, so byte counts are what a fresh read sends.
  const core = new BridgeCore(catalog, pool, { targetRows: 50_000, secret: 'test', cacheBytes: 0 });
  server = await startFlightServer(core, '127.0.0.1', 0);
  client = new FlightClient(`grpc://127.0.0.1:${server.port}`);
  // Starts both decode workers and describes the sample files, slow on a loaded machine.
  await client.getFlightInfo(FlightClient.command({ dataset: 'cmems-currents' }));
}, 300_000);

afterAll(async () => {
  client?.close();
  await server?.close();
  await pool?.close();
});

async function read(query: Record<string, unknown>): Promise<{ table: Table; endpoints: number; totalRecords: number; bodyBytes: number }> {
  const info = await client.getFlightInfo(FlightClient.command(query));
  const batches = [];
  let bodyBytes = 0;
  for (const e of info.endpoints) {
    for await (const b of client.doGet(e.ticket)) {
      batches.push(b);
      for (const f of b.schema.fields) for (const d of b.getChild(f.name)!.data) bodyBytes += d.byteLength;
    }
  }
  return { table: new Table(info.schema!, batches), endpoints: info.endpoints.length, totalRecords: info.totalRecords, bodyBytes };
}

function column(t: Table, name: string): number[] {
  return Array.from(t.getChild(name)!.toArray() as ArrayLike<number | bigint>, Number);
}

describe('pushed-down query fields', () => {
  it('columns: only the named columns are sent, and a count with columns [] sends rows without columns', async () => {
    const full = await read({ dataset: 'cmems-currents', variables: ['uo'] });
    const onlyUo = await read({ dataset: 'cmems-currents', variables: ['uo'], columns: ['uo'] });
    expect(onlyUo.table.schema.fields.map((f) => f.name)).toEqual(['uo']);
    expect(onlyUo.table.numRows).toBe(full.table.numRows);
    expect(column(onlyUo.table, 'uo')).toEqual(column(full.table, 'uo'));
    // time (8) + lat (8) + lon (8) + uo (4) bytes a row before, 4 after.
    expect(onlyUo.bodyBytes).toBeLessThan(full.bodyBytes / 5);
    // What is not sent is not decoded: the workers are asked for the sent variables only.
    const reads = vi.spyOn(pool, 'read');
    const count = await read({ dataset: 'cmems-currents', variables: ['uo'], columns: [] });
    expect(count.table.schema.fields).toHaveLength(0);
    expect(count.table.numRows).toBe(6 * 171 * 360);
    expect(count.bodyBytes).toBe(0);
    expect(reads.mock.calls.length).toBeGreaterThan(0);
    expect(reads.mock.calls.every(([, sel]) => sel.variables.length === 0)).toBe(true);
    reads.mockClear();
    const both = await read({ dataset: 'cmems-currents', variables: ['uo', 'vo'] });
    const onlyVo = await read({ dataset: 'cmems-currents', variables: ['uo', 'vo'], columns: ['lat', 'vo'] });
    expect(column(onlyVo.table, 'vo')).toEqual(column(both.table, 'vo'));
    expect(column(onlyVo.table, 'lat')).toEqual(column(both.table, 'lat'));
    expect(reads.mock.calls.slice(-onlyVo.endpoints).every(([, sel]) => sel.variables.join() === 'vo')).toBe(true);
    reads.mockRestore();
  }, 120_000);

  it('columns with a bbox: the filter still uses lat/lon that are not sent', async () => {
    const bbox = [-30, 10, 20, 45];
    const full = await read({ dataset: 'cmems-currents', variables: ['uo'], bbox });
    const pruned = await read({ dataset: 'cmems-currents', variables: ['uo'], bbox, columns: ['lat', 'uo'] });
    expect(pruned.table.schema.fields.map((f) => f.name)).toEqual(['lat', 'uo']);
    expect(column(pruned.table, 'lat')).toEqual(column(full.table, 'lat'));
    expect(column(pruned.table, 'uo')).toEqual(column(full.table, 'uo'));
  });

  it('rejects unknown columns naming the available ones', async () => {
    await expect(client.getFlightInfo(FlightClient.command({ dataset: 'cmems-currents', columns: ['latitude'] }))).rejects.toMatchObject({ details: expect.stringMatching(/unknown column\(s\) "latitude".*time, lat, lon/) });
  });

  it('levels: a range and a list give exactly the full read filtered, with fewer rows planned', async () => {
    const full = await read({ dataset: 'era5-pressure-levels', variables: ['t'] });
    const levels = [...new Set(column(full.table, 'level'))].sort((a, b) => a - b);
    expect(levels.length).toBe(2);
    const one = levels[1]!;
    for (const sel of [{ min: one }, [one], { min: one, max: one }]) {
      const r = await read({ dataset: 'era5-pressure-levels', variables: ['t'], levels: sel });
      const lv = column(full.table, 'level');
      const want = column(full.table, 't').filter((_, i) => lv[i] === one);
      expect(column(r.table, 't')).toEqual(want);
      expect(r.totalRecords).toBe(want.length);
      expect(r.totalRecords).toBeLessThan(full.totalRecords);
    }
  });

  it('numbers: ensemble members kept exactly, on a GRIB group with levels and members', async () => {
    const full = await read({ dataset: 'era5-ensemble', variables: ['t'] });
    const r = await read({ dataset: 'era5-ensemble', variables: ['t'], numbers: [2, 5] });
    const num = column(full.table, 'number');
    const want = column(full.table, 't').filter((_, i) => num[i] === 2 || num[i] === 5);
    expect(want.length).toBeGreaterThan(0);
    expect([...new Set(column(r.table, 'number'))].sort()).toEqual([2, 5]);
    expect(column(r.table, 't')).toEqual(want);
    expect(r.bodyBytes).toBeLessThan(full.bodyBytes / 3);
  });

  // The count action (Spark's COUNT(*) pushdown) against DoGet of every endpoint of the same query.
  it.each([
    [{ dataset: 'cmems-currents' }, true],
    [{ dataset: 'cmems-currents', bbox: [-30.5, 10.2, 20.7, 45.1] }, true],
    [{ dataset: 'cmems-currents', bbox: [170, -20, -170, 20] }, true],
    [{ dataset: 'cmems-currents', start: '2024-01-10', end: '2024-01-20', variables: ['vo'] }, true],
    [{ dataset: 'cmems-currents', layout: 'tiles', tile: [16, 16], bbox: [0.5, 0.5, 30, 30] }, true],
    [{ dataset: 'era5-pressure-levels', levels: { min: 500, max: 850 } }, true],
    [{ dataset: 'era5-pressure-levels', levels: [850, 12345], bbox: [0, 40, 20, 60] }, true],
    [{ dataset: 'ncep-air' }, true],
    [{ dataset: 'cams-chemistry', bbox: [-5, 40, 15, 55] }, true],
    // era5-ensemble's GRIB group has both a level and a member axis: members are left to the row filter.
    [{ dataset: 'era5-ensemble', numbers: [2, 5] }, false],
    [{ dataset: 'era5-ensemble' }, true],
  ])('count action %j: rows of DoGet of every endpoint, exact %s', async (query, exact) => {
    const [body] = await client.doAction('count', Buffer.from(JSON.stringify(query)));
    const count = JSON.parse(body!.toString()) as { rows: number; exact: boolean };
    const r = await read({ ...query, columns: [] });
    expect(count.exact).toBe(exact);
    expect(count.rows).toBe(r.totalRecords);
    if (exact) expect(count.rows).toBe(r.table.numRows);
    else expect(count.rows).toBeGreaterThan(r.table.numRows);
  }, 120_000);

  it('count action: a bad query is a clear error', async () => {
    await expect(client.doAction('count', Buffer.from('{"dataset":"nope"}'))).rejects.toThrow(/nope/);
    await expect(client.doAction('count', Buffer.from('not json'))).rejects.toThrow(/JSON/i);
  });

  it.each([
    [{ bbox: [0, 50, 10, 40] }],
    [{ start: '2024-01-20', end: '2024-01-10' }],
  ])('an inverted range %j answers the schema and zero endpoints', async (range) => {
    const r = await read({ dataset: 'cmems-currents', ...range });
    expect(r.endpoints).toBe(0);
    expect(r.totalRecords).toBe(0);
    expect(r.table.schema.fields.map((f) => f.name)).toEqual(['time', 'lat', 'lon', 'uo', 'vo']);
  });
});
