/**
 * Scale-out across real bridges on loopback: every instance plans the same endpoints with the
 * same locations (owner by rendezvous hashing first), owners spread evenly, a ticket planned on
 * one bridge is served by another, a third bridge takes over about a third of the partitions,
 * and a stopped bridge goes to the end of every list while each endpoint stays readable at
 * another location.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Table, tableToIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeCore } from '../../src/bridge/core.js';
import { doGetWithFallback, FlightClient, type FlightInfoResult } from '../../src/bridge/flight-client.js';
import { startFlightServer, type RunningFlightServer } from '../../src/bridge/flight-server.js';
import { normalizeUri, parsePeerList, PeerConfigError, PeerSet } from '../../src/bridge/peers.js';
import { Catalog } from '../../src/catalog/catalog.js';
import { EMBEDDED_CATALOG, LocalSource } from '../../src/catalog/local-source.js';
import { DecodePool } from '../../src/workers/decode-pool.js';

describe('PeerSet placement', () => {
  const uris = ['grpc://10.0.0.1:8815', 'grpc://10.0.0.2:8815', 'grpc://10.0.0.3:8815'];
  const keys = Array.from({ length: 3000 }, (_, i) => `{"dataset":"era5","fileKey":"f${i % 17}.nc","time":[${i},${i}]}`);

  it('orders by name, not by list position, and spreads owners evenly', () => {
    const a = new PeerSet(uris[0]!, { peers: uris });
    const b = new PeerSet(uris[2]!, { peers: [...uris].reverse() });
    const counts = new Map<string, number>();
    for (const k of keys) {
      const la = a.locationsFor(k);
      expect(b.locationsFor(k)).toEqual(la);
      expect([...la].sort()).toEqual(uris);
      counts.set(la[0]!, (counts.get(la[0]!) ?? 0) + 1);
    }
    for (const u of uris) expect(Math.abs(counts.get(u)! - 1000)).toBeLessThan(200);
  });

  it('moves only the partitions a new peer wins when it is added', () => {
    const two = new PeerSet(uris[0]!, { peers: uris.slice(0, 2) });
    const three = new PeerSet(uris[0]!, { peers: uris });
    const moved = keys.filter((k) => two.locationsFor(k)[0] !== three.locationsFor(k)[0]);
    expect(moved.length / keys.length).toBeGreaterThan(0.25);
    expect(moved.length / keys.length).toBeLessThan(0.42);
    for (const k of moved) expect(three.locationsFor(k)[0]).toBe(uris[2]);
  });

  it('parses and checks peer lists', () => {
    expect(parsePeerList('grpc://h1:8815, grpc+tcp://H2:8815/', '--peers').map((u) => normalizeUri(u, 'x'))).toEqual(['grpc://h1:8815', 'grpc://h2:8815']);
    expect(parsePeerList('# bridges\ngrpc://h1:1\n\ngrpc://h2:2 # second\n', 'file')).toEqual(['grpc://h1:1', 'grpc://h2:2']);
    expect(() => parsePeerList('grpc://h1:8815,http://h2:80', '--peers')).toThrow(PeerConfigError);
    expect(() => parsePeerList("grpc://h1", "--peers")).toThrow(/an entry of --peers must be a location like grpc:\/\/host:8815 or grpc\+tls:\/\/host:8815, got "grpc:\/\/h1"/);
    expect(normalizeUri("grpc+tls://Bridge.example:443", "x")).toBe("grpc+tls://bridge.example:443");
    expect(new PeerSet('grpc://h1:1', {}).locationsFor('k')).toEqual(['grpc://h1:1']);
  });
});

interface Bridge {
  core: BridgeCore;
  server: RunningFlightServer;
  uri: string;
  client: FlightClient;
  peers?: PeerSet;
}

// Generous timeouts: on a loaded machine (CI, shared hosts) worker start-up alone can take a minute.
describe('bridges on loopback', { timeout: 240_000 }, () => {
  const bridges: Bridge[] = [];
  let dir: string;
  let peersFile: string;
  // One decode pool for all (worker start-up is the slow part here); each bridge has its own
  // catalog, cache, server and peer set, as separate processes would.
  const pool = new DecodePool({ size: 1 });

  async function startBridge(): Promise<Bridge> {
    const cat = new Catalog([new LocalSource(EMBEDDED_CATALOG)], (p) => pool.describe(p));
    // The same catalog, secret and target rows on every instance: the same plan everywhere.
    const core = new BridgeCore(cat, pool, { targetRows: 200, secret: 'shared-secret' });
    const server = await startFlightServer(core, '127.0.0.1', 0);
    const uri = `grpc://127.0.0.1:${server.port}`;
    const b = { core, server, uri, client: new FlightClient(uri) };
    bridges.push(b);
    return b;
  }

  async function joinPeers(b: Bridge): Promise<void> {
    b.peers = new PeerSet(b.uri, { file: peersFile, intervalMs: 1000, timeoutMs: 5000 });
    b.core.peers = b.peers;
    await b.peers.start();
  }

  const owners = (info: FlightInfoResult) => info.endpoints.map((e) => e.locations[0]!);
  const many = FlightClient.command({ dataset: 'cmems-currents' });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wekeo-peers-'));
    peersFile = join(dir, 'peers.txt');
    const [a, b] = [await startBridge(), await startBridge()];
    writeFileSync(peersFile, `${a.uri}\n${b.uri}\n`);
    await joinPeers(a);
    await joinPeers(b);
  });

  afterAll(async () => {
    for (const b of bridges) {
      b.peers?.close();
      b.client.close();
      await b.server.close();
    }
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('plans the same endpoints on every instance, owners spread within 20% of even', async () => {
    const [a, b] = bridges as [Bridge, Bridge];
    const [ia, ib] = [await a.client.getFlightInfo(many), await b.client.getFlightInfo(many)];
    expect(ia.endpoints.length).toBeGreaterThan(1000);
    expect(ib.endpoints.map((e) => [e.ticket.toString(), e.locations])).toEqual(ia.endpoints.map((e) => [e.ticket.toString(), e.locations]));
    const n = ia.endpoints.length;
    for (const u of [a.uri, b.uri]) {
      const owned = owners(ia).filter((o) => o === u).length;
      expect(Math.abs(owned - n / 2)).toBeLessThan(0.2 * (n / 2));
    }
    expect(ia.endpoints.every((e) => e.locations.length === 2)).toBe(true);
  });

  it('serves on B a ticket planned on A, equal to what A serves', async () => {
    const [a, b] = bridges as [Bridge, Bridge];
    const info = await a.client.getFlightInfo(FlightClient.command({ dataset: 'era5-pressure-levels' }));
    const e = info.endpoints.find((x) => x.locations[0] === a.uri)!;
    const read = async (c: FlightClient) => {
      const batches = [];
      for await (const batch of c.doGet(e.ticket)) batches.push(batch);
      return Buffer.from(tableToIPC(new Table(batches)));
    };
    const [fromA, fromB] = [await read(a.client), await read(b.client)];
    expect(new Table(info.schema!, []).numCols).toBeGreaterThan(0);
    expect(Buffer.compare(fromA, fromB)).toBe(0);
    expect(fromA.length).toBeGreaterThan(0);
  });

  it('gives a third bridge about a third of the partitions, taking them from the others only', async () => {
    const [a, b] = bridges as [Bridge, Bridge];
    const before = owners(await a.client.getFlightInfo(many));
    const c = await startBridge();
    writeFileSync(peersFile, `# three bridges\n${a.uri}\n${b.uri}\n${c.uri}\n`);
    await joinPeers(c);
    await a.core.reloadPeers();
    await b.core.reloadPeers();
    const infos = await Promise.all([a, b, c].map((x) => x.client.getFlightInfo(many)));
    expect(owners(infos[1]!)).toEqual(owners(infos[0]!));
    expect(owners(infos[2]!)).toEqual(owners(infos[0]!));
    const after = owners(infos[0]!);
    const moved = after.filter((o, i) => o !== before[i]);
    expect(moved.every((o) => o === c.uri)).toBe(true);
    expect(moved.length / after.length).toBeGreaterThan(0.8 / 3);
    expect(moved.length / after.length).toBeLessThan(1.2 / 3);
    for (const u of [a.uri, b.uri, c.uri]) {
      const owned = after.filter((o) => o === u).length;
      expect(Math.abs(owned - after.length / 3)).toBeLessThan(0.2 * (after.length / 3));
    }
  });

  it('puts a stopped bridge last and every endpoint stays readable at another location', async () => {
    const [a, b, c] = bridges as [Bridge, Bridge, Bridge];
    const query = FlightClient.command({ dataset: 'ncep-air', bbox: [200, 20, 260, 60] });
    const planned = await a.client.getFlightInfo(query); // planned while c is up: c first for some
    expect(planned.endpoints.some((e) => e.locations[0] === c.uri)).toBe(true);
    c.client.close();
    await c.server.close();
    await a.peers!.checkNow();
    expect(a.peers!.status().find((p) => p.uri === c.uri)!.up).toBe(true); // one failure is not enough
    await a.peers!.checkNow();
    expect(a.peers!.status().find((p) => p.uri === c.uri)!.up).toBe(false);
    const replanned = await a.client.getFlightInfo(query);
    expect(replanned.endpoints.every((e) => e.locations[2] === c.uri)).toBe(true);
    // The stale plan still names c first: the client falls back to the next location.
    let rows = 0;
    for (const e of planned.endpoints) for await (const batch of doGetWithFallback(e)) rows += batch.numRows;
    expect(rows).toBe(planned.totalRecords);
  });
});
