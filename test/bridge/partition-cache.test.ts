/**
 * The decoded-partition cache: LRU within its byte budget, bounded collection by misses, and
 * through a real Flight server: a second read of a ticket is served without decoding and equal
 * to the first; rewriting the file invalidates it.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableToIPC, Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeCore } from '../../src/bridge/core.js';
import { FlightClient } from '../../src/bridge/flight-client.js';
import { startFlightServer, type RunningFlightServer } from '../../src/bridge/flight-server.js';
import { PartitionCache } from '../../src/bridge/partition-cache.js';
import { Catalog } from '../../src/catalog/catalog.js';
import { LocalSource } from '../../src/catalog/local-source.js';
import type { ColumnBatch } from '../../src/decoders/types.js';
import { parseSize } from '../../src/text/size.js';
import { DecodePool } from '../../src/workers/decode-pool.js';
import { repoRoot } from '../support/corpus.js';

const batch = (bytes: number): ColumnBatch => ({ numRows: bytes / 4, columns: [{ name: 'v', values: new Float32Array(bytes / 4), nullCount: 0 }] });

describe('PartitionCache', () => {
  it('keeps the most recently used entries within its budget', () => {
    const c = new PartitionCache(4000);
    for (const k of ['a', 'b', 'c']) {
      const col = c.collector(k)!;
      col.add(batch(1000));
      col.commit();
    }
    expect(c.get('a')).toBeDefined(); // a is now the most recent
    const col = c.collector('d')!;
    col.add(batch(1000));
    col.add(batch(800)); // 1800 > maxEntryBytes (1000): too big to admit
    col.commit();
    expect(c.get('d')).toBeUndefined();
    const e = c.collector('e')!;
    e.add(batch(1000));
    e.commit();
    const f = c.collector('f')!;
    f.add(batch(1000));
    f.commit(); // 5 KB > budget: the least recent (b) goes
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBeDefined();
    const s = c.stats();
    expect(s.bytes).toBeLessThanOrEqual(4000);
    expect(s.evictions).toBe(1);
  });

  it('bounds what concurrent misses hold while collecting, and stores nothing abandoned', () => {
    const c = new PartitionCache(16000); // collecting budget 4000, entries up to 4000
    const cols = [0, 1, 2, 3, 4].map((i) => c.collector(`k${i}`)!);
    for (const col of cols) col.add(batch(1000));
    cols.forEach((col) => col.commit());
    expect(c.stats().entries).toBe(4); // the fifth exceeded the collecting budget
    const x = c.collector('x')!;
    x.add(batch(1000));
    x.abandon();
    expect(c.get('x')).toBeUndefined();
    expect(new PartitionCache(0).collector('z')).toBeUndefined();
  });

  it('parses sizes as written on the command line', () => {
    expect(parseSize('256MiB', '--cache-mem')).toBe(256 * 2 ** 20);
    expect(parseSize('2GiB', '--cache-mem')).toBe(2 * 2 ** 30);
    expect(parseSize('1000', '--cache-mem')).toBe(1000);
    expect(() => parseSize('lots', '--cache-mem')).toThrow(/--cache-mem must be a size/);
  });
});

// Generous timeout: on a loaded machine decode worker start-up alone can take a minute.
describe('cache through Flight', { timeout: 240_000 }, () => {
  let dir: string;
  let pool: DecodePool;
  let server: RunningFlightServer;
  let client: FlightClient;
  let core: BridgeCore;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wekeo-cache-'));
    mkdirSync(join(dir, 'air'));
    copyFileSync(join(repoRoot, 'samples/era5-pressure-levels/test4.nc'), join(dir, 'air', 'test4.nc'));
    pool = new DecodePool({ size: 1 });
    core = new BridgeCore(new Catalog([new LocalSource(dir)], (p) => pool.describe(p)), pool, { secret: 's' });
    server = await startFlightServer(core, '127.0.0.1', 0);
    client = new FlightClient(`grpc://127.0.0.1:${server.port}`);
  });

  afterAll(async () => {
    client?.close();
    await server?.close();
    await pool?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function read(ticket: Buffer): Promise<Uint8Array> {
    const batches = [];
    for await (const b of client.doGet(ticket)) batches.push(b);
    return tableToIPC(new Table(batches));
  }

  it('serves a second read from the cache, equal to the first, and re-decodes a touched file', async () => {
    const info = await client.getFlightInfo(FlightClient.command({ dataset: 'air', bbox: [0, 40, 20, 60] }));
    const ticket = info.endpoints[0]!.ticket;
    const first = await read(ticket);
    const afterFirst = core.cache.stats();
    expect(afterFirst.entries).toBe(1);
    const second = await read(ticket);
    expect(core.cache.stats().hits).toBe(afterFirst.hits + 1);
    expect(Buffer.compare(Buffer.from(first), Buffer.from(second))).toBe(0);
    // A new mtime is a new file version: a miss, decoded again (and equal: same bytes).
    const later = new Date(Date.now() + 5000);
    utimesSync(join(dir, 'air', 'test4.nc'), later, later);
    const third = await read(ticket);
    expect(core.cache.stats().misses).toBe(afterFirst.misses + 1);
    expect(Buffer.compare(Buffer.from(first), Buffer.from(third))).toBe(0);
  });
});
