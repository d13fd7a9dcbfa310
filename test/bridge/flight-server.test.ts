import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Table } from 'apache-arrow';
import { BridgeCore } from '../../src/bridge/core.js';
import { FlightClient } from '../../src/bridge/flight-client.js';
import { MAX_FLIGHT_MESSAGE_BYTES } from '../../src/bridge/flight-data.js';
import { startFlightServer, type RunningFlightServer } from '../../src/bridge/flight-server.js';
import { Catalog } from '../../src/catalog/catalog.js';
import { EMBEDDED_CATALOG, LocalSource } from '../../src/catalog/local-source.js';
import { DecodePool } from '../../src/workers/decode-pool.js';
import { readOracle, repoRoot } from '../support/corpus.js';
import { join } from 'node:path';

interface NcOracle { variables: Array<{ name: string; decoded: { valid: number; missing: number; min: number; max: number; mean: number } }> }
const cmemsOracle = readOracle<NcOracle>(join(repoRoot, 'test/fixtures/netcdf/cmems_mod_glo_phy-cur_anfc_0.083deg_P1D-m_2024-01_1deg_5day.nc.oracle.json'));
const uoOracle = cmemsOracle.variables.find((v) => v.name === 'uo')!.decoded;

let pool: DecodePool;
let server: RunningFlightServer;
let client: FlightClient;
let uri: string;

beforeAll(async () => {
  pool = new DecodePool({ size: 2 });
  const catalog = new Catalog([new LocalSource(EMBEDDED_CATALOG)], (p) => pool.describe(p));
  const core = new BridgeCore(catalog, pool, { targetRows: 50_000, secret: 'test' });
  server = await startFlightServer(core, '127.0.0.1', 0);
  uri = `grpc://127.0.0.1:${server.port}`;
  client = new FlightClient(uri);
});

afterAll(async () => {
  client?.close();
  await server?.close();
  await pool?.close();
});

async function readAll(query: Record<string, unknown>): Promise<Table> {
  const info = await client.getFlightInfo(FlightClient.command(query));
  const batches = [];
  for (const e of info.endpoints) for await (const b of client.doGet(e.ticket)) batches.push(b);
  return new Table(info.schema!, batches);
}

describe('Flight service over the embedded catalog', () => {
  it('lists every sample dataset with its schema', async () => {
    const infos = await client.listFlights();
    const datasets = infos.filter((i) => i.descriptor.path.length === 1);
    expect(datasets.map((i) => i.descriptor.path[0]).sort()).toEqual(['cams-chemistry', 'cmems-currents', 'era5-ensemble', 'era5-pressure-levels', 'ncep-air']);
    expect(infos.every((i) => i.schema && i.totalRecords > 0)).toBe(true);
    // cmems-currents has a grid group and a scalar one: each is listed as PATH [dataset, group].
    const groups = infos.filter((i) => i.descriptor.path.length === 2);
    expect(groups.map((i) => i.descriptor.path.join('/')).sort()).toEqual(['cmems-currents/(scalar)', 'cmems-currents/time,latitude,longitude']);
  });

  it('plans several endpoints at the bridge location and streams oracle-equal data', async () => {
    const info = await client.getFlightInfo(FlightClient.command({ dataset: 'cmems-currents', variables: ['uo'] }));
    expect(info.endpoints.length).toBeGreaterThan(1);
    expect(info.endpoints.every((e) => e.locations[0] === uri)).toBe(true);
    const t = await readAll({ dataset: 'cmems-currents', variables: ['uo'] });
    expect(t.numRows).toBe(info.totalRecords);
    const uo = t.getChild('uo')!;
    let n = 0, sum = 0, min = Infinity, max = -Infinity;
    for (const d of uo.data) {
      const v = d.values as Float32Array;
      for (let i = 0; i < d.length; i++) {
        if (!d.getValid(i)) continue;
        n++; sum += v[i]!; if (v[i]! < min) min = v[i]!; if (v[i]! > max) max = v[i]!;
      }
    }
    expect(n).toBe(uoOracle.valid);
    expect(t.numRows - n).toBe(uoOracle.missing);
    expect(min).toBeCloseTo(uoOracle.min, 12);
    expect(max).toBeCloseTo(uoOracle.max, 12);
    expect(sum / n).toBeCloseTo(uoOracle.mean, 9);
  });

  it('keeps every FlightData message under the 2 MiB limit and sends the schema first', async () => {
    const info = await client.getFlightInfo(FlightClient.command({ dataset: 'era5-pressure-levels' }));
    let first = true;
    let count = 0;
    for await (const m of client.rawDoGet(info.endpoints[0]!.ticket)) {
      const size = (m.header?.byteLength ?? 0) + (m.body?.byteLength ?? 0);
      expect(size).toBeLessThanOrEqual(MAX_FLIGHT_MESSAGE_BYTES);
      if (first) expect(m.body?.byteLength ?? 0).toBe(0);
      first = false;
      count++;
    }
    expect(count).toBeGreaterThan(1);
  });

  it('answers NOT_FOUND and INVALID_ARGUMENT with clear messages', async () => {
    await expect(client.getFlightInfo(FlightClient.command({ dataset: 'nope' }))).rejects.toMatchObject({ code: 5, details: expect.stringMatching(/unknown dataset "nope"; available: cams-chemistry, cmems-currents/) });
    await expect(client.getFlightInfo(FlightClient.command({ dataset: 'cmems-currents', variables: ['sst'] }))).rejects.toMatchObject({ code: 3, details: expect.stringMatching(/unknown variable\(s\) "sst"/) });
    const bad = client.doGet(Buffer.from('wkb1.e30.xx'));
    await expect(bad.next()).rejects.toMatchObject({ code: 3 });
  });

  it('serves two clients concurrently while one of them reads slowly', async () => {
    const info = await client.getFlightInfo(FlightClient.command({ dataset: 'cmems-currents' }));
    const slow = client.doGet(info.endpoints[0]!.ticket);
    await slow.next(); // hold this stream open without reading further
    const other = new FlightClient(uri);
    const t0 = Date.now();
    let rows = 0;
    for await (const b of other.doGet(info.endpoints[1]!.ticket)) rows += b.numRows;
    expect(rows).toBe(info.endpoints.length > 1 ? rows : 0);
    expect(rows).toBeGreaterThan(0);
    expect(Date.now() - t0).toBeLessThan(20_000);
    await slow.return(undefined);
    other.close();
  });
});
