/**
 * The HTTP Arrow stream, read by a real socket client that reads slowly (so the server waits on
 * backpressure many times): the stream is complete and equal to the plan, and waiting leaves no
 * listeners behind (no MaxListenersExceededWarning).
 */
import { request } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tableFromIPC } from 'apache-arrow';
import { BridgeCore } from '../../src/bridge/core.js';
import { startHttpServer } from '../../src/bridge/http-server.js';
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
    const req = request({ host: '127.0.0.1', port: http.port, path, highWaterMark: 1024 }, (res) => {
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
