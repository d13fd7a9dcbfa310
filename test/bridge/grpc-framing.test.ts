/**
 * Zero-copy DoGet sends: the grpc-js hook must be active on the pinned grpc-js (so an upgrade
 * that moves its internals fails here, not silently in production), pass other messages through
 * untouched, and pooled message buffers must never be reused while HTTP/2 still sends them:
 * several concurrent DoGets of the same data return identical bytes.
 */
import { tableToIPC, Table } from 'apache-arrow';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BridgeCore } from '../../src/bridge/core.js';
import { FlightClient } from '../../src/bridge/flight-client.js';
import { startFlightServer, type RunningFlightServer } from '../../src/bridge/flight-server.js';
import { framed, GRPC_PREFIX_BYTES, zeroCopySends } from '../../src/bridge/grpc-framing.js';
import { Catalog } from '../../src/catalog/catalog.js';
import { EMBEDDED_CATALOG, LocalSource } from '../../src/catalog/local-source.js';
import { DecodePool } from '../../src/workers/decode-pool.js';

let pool: DecodePool;
let server: RunningFlightServer;

beforeAll(async () => {
  pool = new DecodePool({ size: 2 });
  // No partition cache: every read decodes, so buffers are recycled while other streams run.
  const core = new BridgeCore(new Catalog([new LocalSource(EMBEDDED_CATALOG)], (p) => pool.describe(p)), pool, { cacheBytes: 0, targetRows: 200_000 });
  server = await startFlightServer(core, '127.0.0.1', 0);
});

afterAll(async () => {
  await server?.close();
  await pool?.close();
});

it('is active on this grpc-js and writes the gRPC length prefix', () => {
  expect(zeroCopySends).toBe(true);
  const b = framed(Buffer.alloc(GRPC_PREFIX_BYTES + 300));
  expect(b[0]).toBe(0);
  expect(b.readUInt32BE(1)).toBe(300);
});

it('sends identical bytes to concurrent readers of the same tickets', async () => {
  const clients = [0, 1, 2, 3].map(() => new FlightClient(`grpc://127.0.0.1:${server.port}`));
  try {
    const info = await clients[0]!.getFlightInfo(FlightClient.command({ dataset: 'cmems-currents' }));
    const readAll = async (c: FlightClient) => {
      const batches = [];
      for (const e of info.endpoints) for await (const b of c.doGet(e.ticket)) batches.push(b);
      return Buffer.from(tableToIPC(new Table(batches)));
    };
    const results = await Promise.all(clients.map(readAll));
    expect(results[0]!.byteLength).toBeGreaterThan(4 << 20); // several pooled 2 MiB messages per reader
    for (const r of results.slice(1)) expect(Buffer.compare(r, results[0]!)).toBe(0);
    // Control RPCs (proto-loader's serializer) are untouched by the hook.
    expect((await clients[0]!.listFlights()).length).toBeGreaterThan(0);
  } finally {
    for (const c of clients) c.close();
  }
}, 120_000);
