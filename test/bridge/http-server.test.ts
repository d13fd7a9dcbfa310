/**
 * The HTTP Arrow stream, read by a real socket client that reads slowly (so the server waits on
 * backpressure many times): the stream is complete and equal to the plan, and waiting leaves no
 * listeners behind (no MaxListenersExceededWarning).
 */
import { request } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RecordBatch, Table, tableFromIPC } from 'apache-arrow';
import { BridgeCore } from '../../src/bridge/core.js';
import { startHttpServer } from '../../src/bridge/http-server.js';
import { parseCommand } from '../../src/bridge/query.js';
import { Catalog } from '../../src/catalog/catalog.js';
import { EMBEDDED_CATALOG, LocalSource } from '../../src/catalog/local-source.js';
import { DecodePool } from '../../src/workers/decode-pool.js';

let pool: DecodePool;
let http: Awaited<ReturnType<typeof startHttpServer>>;

beforeAll(async () => {
  pool = new DecodePool({ size: 1 });
  const catalog = new Catalog([new LocalSource(EMBEDDED_CATALOG)], (p) => pool.describe(p));
  http = await startHttpServer(new BridgeCore(catalog, pool, { targetRows: 20_000, secret: 'test' }), '127.0.0.1', 0);
});

afterAll(async () => {
  await http?.close();
  await pool?.close();
});

function get(path: string, slow: boolean): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    // A tiny receive buffer and pauses make the server hit backpressure again and again.
    // A fresh connection each time: a kept-alive one the server closes when idle races the next request (ECONNRESET).
    const req = request({ host: '127.0.0.1', port: http.port, path, highWaterMark: 1024, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        if (slow) {
          res.pause();
          setTimeout(() => res.resume(), 1);
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('socket', (s) => s.setRecvBufferSize?.(4096));
    req.on('error', reject);
    req.end();
  });
}

it('streams every planned row to a slow reader without leaking listeners', async () => {
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on('warning', onWarning);
  try {
    const plan = JSON.parse((await get('/plan?dataset=cmems-currents', false)).body.toString()) as { total_records: number; tickets: unknown[] };
    expect(plan.tickets.length).toBeGreaterThan(12); // more backpressure waits than the default listener limit
    const { status, body } = await get('/stream?dataset=cmems-currents', true);
    expect(status).toBe(200);
    const table = tableFromIPC(body);
    expect(table.numRows).toBe(plan.total_records);
    await new Promise((r) => setTimeout(r, 50)); // warnings are emitted on the next tick
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  } finally {
    process.off('warning', onWarning);
  }
}, 120_000);

it('answers an unknown dataset with 404 and a JSON error', async () => {
  const { status, body } = await get('/stream?dataset=nope', false);
  expect(status).toBe(404);
  expect(JSON.parse(body.toString()).error).toMatch(/unknown dataset "nope"/);
});

/** Every row of a query read through the core (what Flight's DoGet of each endpoint sends). */
async function coreTable(query: Record<string, unknown>) {
  const core = new BridgeCore(new Catalog([new LocalSource(EMBEDDED_CATALOG)], (p) => pool.describe(p)), pool, { targetRows: 20_000, secret: 'test', cacheBytes: 0 });
  const planned = await core.planQuery(parseCommand(JSON.stringify(query)));
  const batches: RecordBatch[] = [];
  for (const t of planned.tickets) for await (const m of core.streamTicket(t.ticket)) if (m instanceof RecordBatch) batches.push(m);
  return new Table(planned.schema, batches);
}

it('/stream and /plan with group= read that variable group only (ids with commas too)', async () => {
  const gridGroup = 'time,latitude,longitude';
  const grid = await get(`/stream?dataset=cmems-currents&group=${encodeURIComponent(gridGroup)}&variables=uo&bbox=-30,10,20,45`, false);
  expect(grid.status).toBe(200);
  const t = tableFromIPC(grid.body);
  expect(t.schema.metadata.get('wekeo.group')).toBe(gridGroup);
  expect(t.schema.fields.map((f) => f.name)).toEqual(['time', 'lat', 'lon', 'uo']);
  const expected = await coreTable({ dataset: 'cmems-currents', group: gridGroup, variables: ['uo'], bbox: [-30, 10, 20, 45] });
  expect(t.numRows).toBe(expected.numRows);
  expect(t.numRows).toBeGreaterThan(1000);
  for (const name of ['time', 'lat', 'lon', 'uo']) expect(t.getChild(name)!.toArray()).toEqual(expected.getChild(name)!.toArray());

  // The scalar `depth` lives in an array-layout group of its own: named, it is read alone.
  const scalar = await get(`/stream?dataset=cmems-currents&group=${encodeURIComponent('(scalar)')}`, false);
  expect(scalar.status).toBe(200);
  const s = tableFromIPC(scalar.body);
  expect(s.schema.metadata.get('wekeo.group')).toBe('(scalar)');
  expect(s.schema.fields.map((f) => f.name)).toContain('depth');
  expect(s.schema.fields.map((f) => f.name)).not.toContain('uo');
  const sExpected = await coreTable({ dataset: 'cmems-currents', group: '(scalar)' });
  expect(s.numRows).toBe(sExpected.numRows);
  expect(s.getChild('depth')!.toArray()).toEqual(sExpected.getChild('depth')!.toArray());

  const plan = JSON.parse((await get(`/plan?dataset=cmems-currents&group=${encodeURIComponent(gridGroup)}&variables=uo&bbox=-30,10,20,45`, false)).body.toString()) as { total_records: number; fields: Array<{ name: string }> };
  expect(plan.total_records).toBe(t.numRows);
  expect(plan.fields.map((f) => f.name)).toEqual(['time', 'lat', 'lon', 'uo']);
});

it('/stream with an unknown group= is a typed JSON error naming it', async () => {
  const { status, body } = await get('/stream?dataset=cmems-currents&group=no-such-group', false);
  expect(status).toBe(400);
  expect(JSON.parse(body.toString()).error).toMatch(/no variable group "no-such-group"; groups: .*time,latitude,longitude/);
});
