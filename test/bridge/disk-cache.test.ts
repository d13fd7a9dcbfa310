/**
 * The disk tier of the decoded-partition cache, through a real Flight server and real files: a
 * second read is a disk hit that never reaches the decode pool and is byte-equal to the first, a
 * touched file is decoded again, a restarted bridge with the same --cache-dir hits, an abandoned
 * write leaves no file, a disk hit is promoted into the memory tier (so the next read is a memory
 * hit), and 16 concurrent streams never push either tier over its budget.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Table, tableFromArrays, tableToIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BridgeCore } from '../../src/bridge/core.js';
import { DiskCache } from '../../src/bridge/disk-cache.js';
import { FlightClient } from '../../src/bridge/flight-client.js';
import { startFlightServer, type RunningFlightServer } from '../../src/bridge/flight-server.js';
import { Catalog } from '../../src/catalog/catalog.js';
import { LocalSource } from '../../src/catalog/local-source.js';
import { DecodePool } from '../../src/workers/decode-pool.js';
import { repoRoot } from '../support/corpus.js';

let root: string;
let catalogDir: string;
let pool: DecodePool;
const running: Array<{ server: RunningFlightServer; client: FlightClient }> = [];

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'wekeo-disk-cache-'));
  catalogDir = join(root, 'catalog');
  mkdirSync(join(catalogDir, 'air'), { recursive: true });
  copyFileSync(join(repoRoot, 'samples/era5-pressure-levels/test4.nc'), join(catalogDir, 'air', 'test4.nc'));
  pool = new DecodePool({ size: 1 });
});

afterAll(async () => {
  for (const r of running) {
    r.client.close();
    await r.server.close();
  }
  await pool?.close();
  rmSync(root, { recursive: true, force: true });
});

/** A bridge with its own catalog and cache tiers over the shared decode pool. */
async function bridge(opts: { cacheDir: string; diskBytes: number; memBytes: number; targetRows?: number }): Promise<{ core: BridgeCore; client: FlightClient; disk: DiskCache }> {
  const disk = await DiskCache.open(opts.cacheDir, opts.diskBytes);
  const core = new BridgeCore(new Catalog([new LocalSource(catalogDir)], (p) => pool.describe(p)), pool, {
    secret: 's',
    cacheBytes: opts.memBytes,
    diskCache: disk,
    targetRows: opts.targetRows,
  });
  const server = await startFlightServer(core, '127.0.0.1', 0);
  const client = new FlightClient(`grpc://127.0.0.1:${server.port}`);
  running.push({ server, client });
  return { core, client, disk };
}

async function read(client: FlightClient, ticket: Buffer): Promise<Buffer> {
  const batches = [];
  for await (const b of client.doGet(ticket)) batches.push(b);
  return Buffer.from(tableToIPC(new Table(batches)));
}

const entries = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.arrows'));
const temps = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.tmp'));
function dirBytes(dir: string): number {
  let n = 0;
  for (const f of readdirSync(dir)) n += statSync(join(dir, f), { throwIfNoEntry: false })?.size ?? 0; // files may go meanwhile
  return n;
}

// Generous timeouts: on a loaded machine decode worker start-up alone can take a minute.
describe('disk cache', { timeout: 240_000 }, () => {
  it('serves a second read from disk without decoding, equal to the first; a touched file misses; a restart hits', async () => {
    const cacheDir = join(root, 'cache-a');
    // Memory tier off: every hit here comes from disk.
    const a = await bridge({ cacheDir, diskBytes: 64 * 2 ** 20, memBytes: 0 });
    const info = await a.client.getFlightInfo(FlightClient.command({ dataset: 'air', bbox: [0, 40, 20, 60] }));
    const ticket = info.endpoints[0]!.ticket;
    const reads = vi.spyOn(pool, 'read');

    const first = await read(a.client, ticket);
    expect(reads).toHaveBeenCalledTimes(1);
    expect(entries(cacheDir)).toHaveLength(1);
    expect(temps(cacheDir)).toHaveLength(0);
    const s1 = a.core.cache.stats();
    expect(s1.tiers.disk).toMatchObject({ entries: 1, hits: 0, misses: 1 });
    expect(s1.tiers.disk!.bytes).toBe(dirBytes(cacheDir));

    const second = await read(a.client, ticket);
    expect(reads).toHaveBeenCalledTimes(1); // no decode
    expect(Buffer.compare(first, second)).toBe(0);
    expect(a.core.cache.stats()).toMatchObject({ hits: s1.hits + 1, misses: s1.misses, tiers: { disk: { hits: 1 } } });

    // A new mtime is a new file version: decoded again, equal (same bytes), a second entry.
    const later = new Date(Date.now() + 5000);
    utimesSync(join(catalogDir, 'air', 'test4.nc'), later, later);
    const third = await read(a.client, ticket);
    expect(reads).toHaveBeenCalledTimes(2);
    expect(Buffer.compare(first, third)).toBe(0);
    expect(entries(cacheDir)).toHaveLength(2);

    // A restarted bridge on the same directory finds the entry: a disk hit, no decode.
    const b = await bridge({ cacheDir, diskBytes: 64 * 2 ** 20, memBytes: 0 });
    expect(b.disk.stats().entries).toBe(2);
    const fourth = await read(b.client, ticket);
    expect(reads).toHaveBeenCalledTimes(2);
    expect(Buffer.compare(first, fourth)).toBe(0);
    expect(b.core.cache.stats().tiers.disk).toMatchObject({ hits: 1, misses: 0 });
    reads.mockRestore();
  });

  it('promotes a disk hit into the memory tier within its budget: the next read is a memory hit', async () => {
    const cacheDir = join(root, 'cache-p');
    const q = FlightClient.command({ dataset: 'air', bbox: [0, 40, 20, 60] });
    const a = await bridge({ cacheDir, diskBytes: 64 * 2 ** 20, memBytes: 0 });
    const ticket = (await a.client.getFlightInfo(q)).endpoints[0]!.ticket;
    const first = await read(a.client, ticket); // decoded, written to disk
    const reads = vi.spyOn(pool, 'read');

    // A restarted bridge (empty memory tier) on the same directory: disk hit, then memory hits.
    const b = await bridge({ cacheDir, diskBytes: 64 * 2 ** 20, memBytes: 8 * 2 ** 20 });
    const fromDisk = await read(b.client, ticket);
    expect(Buffer.compare(fromDisk, first)).toBe(0);
    const s1 = b.core.cache.stats();
    expect(s1.tiers.disk).toMatchObject({ hits: 1, misses: 0 });
    expect(s1.tiers.memory).toMatchObject({ hits: 0, misses: 1, entries: 1 });
    // The promoted entry holds the batches as sent: about the Arrow bytes the disk file holds.
    expect(s1.bytes).toBeGreaterThan(0.9 * (s1.tiers.disk!.bytes - 4096));
    expect(s1.bytes).toBeLessThanOrEqual(s1.tiers.disk!.bytes);
    for (let i = 0; i < 2; i++) expect(Buffer.compare(await read(b.client, ticket), first)).toBe(0);
    expect(b.core.cache.stats()).toMatchObject({ hits: 3, misses: 0, tiers: { memory: { hits: 2, misses: 1, entries: 1 }, disk: { hits: 1, misses: 0 } } });
    expect(reads).not.toHaveBeenCalled(); // never decoded
    const metrics = (await b.core.metrics.scrape()).body;
    expect(metrics).toMatch(/^wekeo_cache_hits_total 3$/m);
    expect(metrics).toMatch(/^wekeo_cache_misses_total 0$/m);

    // A memory tier too small for the entry (entries up to a quarter of the budget) is not filled:
    // every read stays a disk hit.
    const c = await bridge({ cacheDir, diskBytes: 64 * 2 ** 20, memBytes: Math.floor(s1.bytes * 2) });
    for (let i = 0; i < 2; i++) expect(Buffer.compare(await read(c.client, ticket), first)).toBe(0);
    expect(c.core.cache.stats()).toMatchObject({ bytes: 0, tiers: { memory: { entries: 0, hits: 0 }, disk: { hits: 2 } } });
    expect(reads).not.toHaveBeenCalled();
    reads.mockRestore();
  });

  it('keeps nothing of an abandoned write, and commits atomically', async () => {
    const cacheDir = join(root, 'cache-b');
    const disk = await DiskCache.open(cacheDir, 2 ** 20);
    const table = tableFromArrays({ v: Float64Array.from({ length: 1000 }, (_, i) => i * 0.5) });
    const w = disk.writer('k1', table.schema)!;
    for (const b of table.batches) await w.write(b);
    expect(entries(cacheDir)).toHaveLength(0); // nothing under a final name before commit
    await w.abandon();
    expect(readdirSync(cacheDir)).toHaveLength(0);
    expect(disk.stats()).toMatchObject({ entries: 0, bytes: 0 });
    const w2 = disk.writer('k1', table.schema)!;
    for (const b of table.batches) await w2.write(b);
    await w2.commit();
    expect(entries(cacheDir)).toHaveLength(1);
    expect(temps(cacheDir)).toHaveLength(0);
    const back = [];
    for await (const b of (await disk.get('k1'))!) back.push(b);
    expect(Buffer.compare(Buffer.from(tableToIPC(new Table(back))), Buffer.from(tableToIPC(table)))).toBe(0);
    // A leftover temporary file (a crash mid-write) is removed when the cache is opened again.
    writeFileSync(join(cacheDir, `${'a'.repeat(64)}.0123abcd.tmp`), Buffer.alloc(1000));
    const reopened = await DiskCache.open(cacheDir, 2 ** 20);
    expect(temps(cacheDir)).toHaveLength(0);
    expect(reopened.stats().entries).toBe(1);
  });

  it('never exceeds either budget under 16 concurrent streams, and serves equal data', async () => {
    const cacheDir = join(root, 'cache-c');
    // Partitions are ~34 KB: the memory tier holds 4 of them, so evictions happen whatever the stream timing.
    const memBytes = 160 * 1024;
    const diskBytes = 512 * 1024;
    const d = await bridge({ cacheDir, diskBytes, memBytes, targetRows: 400 });
    const info = await d.client.getFlightInfo(FlightClient.command({ dataset: 'air' }));
    const tickets = info.endpoints.slice(0, 32).map((e) => e.ticket);
    expect(tickets.length).toBe(32);
    let maxMem = 0, maxDisk = 0;
    const sample = () => {
      const s = d.core.cache.stats();
      maxMem = Math.max(maxMem, s.bytes);
      maxDisk = Math.max(maxDisk, s.tiers.disk!.bytes);
    };
    const timer = setInterval(sample, 5);
    const firstPass = new Map<number, Buffer>();
    try {
      // Two passes of 16 streams at a time, the second in reverse order (most recent first): it
      // mixes memory hits, disk hits and misses.
      for (let pass = 0; pass < 2; pass++) {
        const order = pass === 0 ? [...tickets.keys()] : [...tickets.keys()].reverse();
        let next = 0;
        await Promise.all(
          Array.from({ length: 16 }, async () => {
            while (next < order.length) {
              const i = order[next++]!;
              const bytes = await read(d.client, tickets[i]!);
              sample();
              if (pass === 0) firstPass.set(i, bytes);
              else expect(Buffer.compare(bytes, firstPass.get(i)!)).toBe(0);
            }
          }),
        );
        // At rest, what the tier counts is what the directory holds (no stray temporary files).
        expect(dirBytes(cacheDir)).toBe(d.core.cache.stats().tiers.disk!.bytes);
        expect(temps(cacheDir)).toHaveLength(0);
      }
    } finally {
      clearInterval(timer);
    }
    const s = d.core.cache.stats();
    expect(maxMem).toBeLessThanOrEqual(memBytes);
    expect(maxDisk).toBeLessThanOrEqual(diskBytes);
    // The budgets were small enough to matter: both tiers evicted, and both served hits.
    expect(s.evictions).toBeGreaterThan(0);
    expect(s.tiers.disk!.evictions).toBeGreaterThan(0);
    expect(s.tiers.memory.hits + s.tiers.disk!.hits).toBe(s.hits);
    expect(s.tiers.memory.hits).toBeGreaterThan(0);
    expect(s.tiers.disk!.hits).toBeGreaterThan(0);
    expect(s.hits + s.misses).toBe(64);
    // /metrics reports each tier's bytes, budget, entries and evictions as cache-stats does.
    const m = (await d.core.metrics.scrape()).body;
    const metric = (name: string, tier: string) => Number(new RegExp(`^${name}\\{tier="${tier}"\\} (\\S+)$`, 'm').exec(m)?.[1]);
    const now = d.core.cache.stats();
    for (const [tier, st] of [['memory', now.tiers.memory], ['disk', now.tiers.disk!]] as const) {
      expect(metric('wekeo_cache_bytes', tier)).toBe(st.bytes);
      expect(metric('wekeo_cache_budget_bytes', tier)).toBe(st.budgetBytes);
      expect(metric('wekeo_cache_entries', tier)).toBe(st.entries);
      expect(metric('wekeo_cache_evictions_total', tier)).toBe(st.evictions);
    }
    expect(metric('wekeo_cache_evictions_total', 'disk')).toBeGreaterThan(0);
    expect(metric('wekeo_cache_budget_bytes', 'memory')).toBe(memBytes);
  });
});
