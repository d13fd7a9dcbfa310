/**
 * End to end: a Flight query with bbox and time on HDA datasets served by the local broker
 * returns the same rows as decoding the source files directly with the same filter.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Table } from 'apache-arrow';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BridgeCore } from '../../src/bridge/core.js';
import { FlightClient } from '../../src/bridge/flight-client.js';
import { startFlightServer, type RunningFlightServer } from '../../src/bridge/flight-server.js';
import { filterRows } from '../../src/workers/row-filter.js';
import { Catalog } from '../../src/catalog/catalog.js';
import { HdaSource } from '../../src/catalog/hda-source.js';
import { LocalSource } from '../../src/catalog/local-source.js';
import { netcdfDecoder } from '../../src/decoders/netcdf/index.js';
import { DownloadCache } from '../../src/hda/cache.js';
import { HdaClient } from '../../src/hda/client.js';
import { DecodePool } from '../../src/workers/decode-pool.js';
import { CMEMS, cmemsPath, ERA5, era5Path, testDatasets } from './fixtures.js';
import { PASSWORD, startFakeHda, USER, type FakeHda } from './server.js';

let hda: FakeHda;
let tmp: string;
let pool: DecodePool;
let server: RunningFlightServer;
let flight: FlightClient;
let client: HdaClient;

beforeAll(async () => {
  hda = await startFakeHda(testDatasets(), { pollsBefore200: 1 });
  tmp = mkdtempSync(join(tmpdir(), 'wekeo-hda-bridge-'));
  mkdirSync(join(tmp, 'catalog'));
  client = new HdaClient({ url: hda.url, user: USER, password: PASSWORD, source: 'test' }, { acceptTerms: true, retry: { attempts: 4, baseDelayMs: 5, maxDelayMs: 20, maxQuotaWaitMs: 100, timeoutMs: 5000 }, poll: { firstDelayMs: 5, maxDelayMs: 20, deadlineMs: 5000 } });
  pool = new DecodePool({ size: 2 });
  const catalog = new Catalog([new LocalSource(join(tmp, 'catalog')), new HdaSource(client, new DownloadCache(join(tmp, 'cache')), { announce: [CMEMS] })], (p) => pool.describe(p));
  server = await startFlightServer(new BridgeCore(catalog, pool, { targetRows: 40_000, secret: 's' }), '127.0.0.1', 0);
  flight = new FlightClient(`grpc://127.0.0.1:${server.port}`);
});

afterAll(async () => {
  flight?.close();
  await server?.close();
  await pool?.close();
  await client?.close();
  await hda?.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function viaFlight(query: Record<string, unknown>): Promise<Table> {
  const info = await flight.getFlightInfo(FlightClient.command(query));
  const batches = [];
  for (const e of info.endpoints) for await (const b of flight.doGet(e.ticket)) batches.push(b);
  return new Table(info.schema!, batches);
}

/** The reference: decode the original file ourselves and apply the same bbox/time filter. */
async function direct(path: string, variable: string, f: { bbox?: [number, number, number, number]; startUs?: number; endUs?: number }): Promise<Map<string, number | null>> {
  const desc = await netcdfDecoder.describe(path);
  const g = desc.groups.find((x) => x.variables.some((v) => v.name === variable))!;
  const out = new Map<string, number | null>();
  for await (const raw of netcdfDecoder.read(path, { group: g.id, variables: [variable] })) {
    const b = filterRows(raw, f);
    const col = (n: string) => b.columns.find((c) => c.name === n)!;
    const v = col(variable);
    for (let i = 0; i < b.numRows; i++) {
      const key = `${col('time').values[i]}|${col('lat').values[i]}|${col('lon').values[i]}|${b.columns.some((c) => c.name === 'level') ? col('level').values[i] : ''}`;
      out.set(key, v.validity && !(v.validity[i >> 3]! & (1 << (i & 7))) ? null : Number(v.values[i]));
    }
  }
  return out;
}

function rows(t: Table, variable: string): Map<string, number | null> {
  const out = new Map<string, number | null>();
  const time = t.getChild('time')!;
  const lat = t.getChild('lat')!;
  const lon = t.getChild('lon')!;
  const level = t.getChild('level');
  const v = t.getChild(variable)!;
  let k = 0;
  for (const d of time.data) {
    const tv = d.values as BigInt64Array;
    for (let i = 0; i < d.length; i++, k++) out.set(`${tv[i]}|${lat.get(k)}|${lon.get(k)}|${level ? level.get(k) : ''}`, v.get(k));
  }
  return out;
}

it('serves a CMEMS product (zipped NetCDF) for a bbox and time window, equal to decoding it directly', async () => {
  const bbox: [number, number, number, number] = [-40, -10, 30, 50];
  const q = { dataset: CMEMS, bbox, start: '2024-01-08T00:00:00Z', end: '2024-01-20T00:00:00Z', variables: ['uo'] };
  const t = await viaFlight(q);
  const expected = await direct(cmemsPath, 'uo', { bbox, startUs: Date.parse(q.start) * 1000, endUs: Date.parse(q.end) * 1000 });
  expect(t.numRows).toBe(expected.size);
  expect(t.numRows).toBeGreaterThan(1000);
  expect(rows(t, 'uo')).toEqual(expected);
  const listed = await flight.listFlights();
  expect(listed.map((i) => i.descriptor.path[0])).toContain(CMEMS);
});

it('maps time onto ERA5 year/month/day request fields and serves the pressure-level product', async () => {
  const q = { dataset: ERA5, start: '2007-01-01T00:00:00Z', end: '2007-01-01T23:00:00Z', variables: ['t'] };
  const t = await viaFlight(q);
  const expected = await direct(era5Path, 't', { startUs: Date.parse(q.start) * 1000, endUs: Date.parse(q.end) * 1000 });
  expect(t.numRows).toBe(2 * 181 * 360);
  expect(rows(t, 't')).toEqual(expected);
  const orders = hda.hits.order ?? 0;
  await viaFlight(q); // cached: no second order
  expect(hda.hits.order).toBe(orders);
});

it('answers a query that matches no product with NOT_FOUND and what to do', async () => {
  await expect(flight.getFlightInfo(FlightClient.command({ dataset: CMEMS, start: '2030-01-01', end: '2030-01-02' }))).rejects.toMatchObject({
    code: 5,
    details: expect.stringMatching(/^no WEkEO HDA product of "EO:MO:DAT:.*" matches the query \(bbox, start\/end, filters\): widen it/),
  });
});
