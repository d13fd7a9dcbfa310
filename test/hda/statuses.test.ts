/**
 * What a Flight client is told when the HDA side fails, through real bridges on the local test
 * broker: product limit -> RESOURCE_EXHAUSTED naming --hda-max-products (and `wekeo serve` has
 * that flag), the bridge's WEkEO credentials refused -> FAILED_PRECONDITION, broker down after
 * the retries -> UNAVAILABLE, an unknown HDA filter -> INVALID_ARGUMENT; the same statuses over
 * HTTP, and never the password or a server path in the message.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BridgeCore } from '../../src/bridge/core.js';
import { FlightClient } from '../../src/bridge/flight-client.js';
import { startFlightServer, type RunningFlightServer } from '../../src/bridge/flight-server.js';
import { startHttpServer } from '../../src/bridge/http-server.js';
import { Catalog } from '../../src/catalog/catalog.js';
import { HdaSource, type HdaSourceOptions } from '../../src/catalog/hda-source.js';
import { LocalSource } from '../../src/catalog/local-source.js';
import { DownloadCache } from '../../src/hda/cache.js';
import { HdaClient } from '../../src/hda/client.js';
import { DecodePool } from '../../src/workers/decode-pool.js';
import { repoRoot } from '../support/corpus.js';
import { CMEMS, S3, testDatasets } from './fixtures.js';
import { PASSWORD, startFakeHda, USER, type FakeHda } from './server.js';

let hda: FakeHda;
let tmp: string;
let pool: DecodePool;
const closers: Array<() => unknown> = [];

beforeAll(async () => {
  hda = await startFakeHda(testDatasets(), { pollsBefore200: 1 });
  tmp = mkdtempSync(join(tmpdir(), 'wekeo-hda-status-'));
  mkdirSync(join(tmp, 'catalog'));
  pool = new DecodePool({ size: 1 });
});
afterAll(async () => {
  for (const c of closers.reverse()) await c();
  await pool?.close();
  await hda?.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function bridge(password: string, opts: HdaSourceOptions = {}): Promise<{ flight: FlightClient; httpPort: number }> {
  const client = new HdaClient({ url: hda.url, user: USER, password, source: '/home/u/.hdarc' }, { acceptTerms: true, retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 10, maxQuotaWaitMs: 10, timeoutMs: 5000 }, poll: { firstDelayMs: 5, maxDelayMs: 10, deadlineMs: 5000 } });
  const cache = new DownloadCache(join(tmp, `cache-${closers.length}`), { log: null });
  const core = new BridgeCore(new Catalog([new LocalSource(join(tmp, 'catalog')), new HdaSource(client, cache, opts)], (p) => pool.describe(p)), pool, { secret: 's' });
  const server: RunningFlightServer = await startFlightServer(core, '127.0.0.1', 0);
  const http = await startHttpServer(core, '127.0.0.1', 0);
  const flight = new FlightClient(`grpc://127.0.0.1:${server.port}`);
  closers.push(() => client.close(), () => server.close(), () => http.close(), () => flight.close());
  return { flight, httpPort: http.port };
}

function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    })
      .on('error', reject)
      .end();
  });
}

it('too many products: RESOURCE_EXHAUSTED (HTTP 429) telling to narrow the query or raise --hda-max-products', async () => {
  const b = await bridge(PASSWORD, { maxProducts: 5 });
  const err = await b.flight.getFlightInfo(FlightClient.command({ dataset: S3 })).catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 8, details: expect.stringMatching(/matches more than 5 WEkEO HDA products.*narrow bbox, start\/end or filters, or start the bridge with a higher --hda-max-products/) });
  const h = await httpGet(b.httpPort, `/stream?dataset=${encodeURIComponent(S3)}`);
  expect(h.status).toBe(429);
  expect(JSON.parse(h.body)).toMatchObject({ status: 'RESOURCE_EXHAUSTED', error: expect.stringMatching(/--hda-max-products/) });
});

it('the bridge\'s WEkEO login refused: FAILED_PRECONDITION naming the credential source, without the password', async () => {
  const b = await bridge('wrong-secret-123');
  const err = (await b.flight.getFlightInfo(FlightClient.command({ dataset: CMEMS })).catch((e: unknown) => e)) as { code: number; details: string };
  expect(err.code).toBe(9);
  expect(err.details).toMatch(/WEkEO login failed for user "alice" \(credentials from \.hdarc\): Invalid user credentials/);
  expect(err.details).not.toContain('wrong-secret-123');
  expect(err.details).not.toContain('/home/u');
  expect((await httpGet(b.httpPort, `/stream?dataset=${encodeURIComponent(CMEMS)}`)).status).toBe(412);
});

it('broker down after the bounded retries: UNAVAILABLE (HTTP 503)', async () => {
  const b = await bridge(PASSWORD);
  hda.faults.push({ route: 'any', kind: 'status', status: 503, times: 6 });
  const err = await b.flight.getFlightInfo(FlightClient.command({ dataset: CMEMS })).catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 14, details: expect.stringMatching(/HTTP 503/) });
  hda.faults.length = 0;
});

it('an unknown HDA filter: INVALID_ARGUMENT naming it', async () => {
  const b = await bridge(PASSWORD);
  const err = await b.flight.getFlightInfo(FlightClient.command({ dataset: S3, filters: { nope: '1' } })).catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 3, details: expect.stringMatching(/has no filter "nope"/) });
});

it('`wekeo serve --hda-max-products N` sets the limit', async () => {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', '-e', `import('./src/cli/main.ts').then(async (m) => process.exit(await m.run(process.argv.slice(1))))`, 'serve', '--port', '0', '--catalog', join(tmp, 'catalog'), '--hda-max-products', '4', '--hda-cache', join(tmp, 'serve-cache'), '--accept-terms', '--workers', '1'],
    { cwd: repoRoot, env: { ...process.env, HDA_USER: USER, HDA_PASSWORD: PASSWORD, HDA_URL: hda.url }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  closers.push(() => child.kill('SIGTERM'));
  const first = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
  const uri = /listening on (grpc:\/\/\S+)/.exec(first)![1]!;
  const flight = new FlightClient(uri);
  closers.push(() => flight.close());
  await expect(flight.getFlightInfo(FlightClient.command({ dataset: S3 }))).rejects.toMatchObject({ code: 8, details: expect.stringMatching(/more than 4 WEkEO HDA products/) });
});
