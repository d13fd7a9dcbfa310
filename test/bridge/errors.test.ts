/**
 * What a client is told when things go wrong, through a real Flight server and HTTP server: exact
 * statuses, messages naming datasets and files as the client knows them (never a server path),
 * and bounded quoting of user input.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeCore } from '../../src/bridge/core.js';
import { scrubPaths } from '../../src/bridge/errors.js';
import { FlightClient } from '../../src/bridge/flight-client.js';
import { startFlightServer, type RunningFlightServer } from '../../src/bridge/flight-server.js';
import { startHttpServer } from '../../src/bridge/http-server.js';
import { Catalog } from '../../src/catalog/catalog.js';
import { LocalSource } from '../../src/catalog/local-source.js';
import { TicketCodec, type TicketBody } from '../../src/partitioner/ticket.js';
import { DecodePool } from '../../src/workers/decode-pool.js';
import { repoRoot } from '../support/corpus.js';

const SECRET = 'errors-test';
let dir: string;
let pool: DecodePool;
let flight: RunningFlightServer;
let http: Awaited<ReturnType<typeof startHttpServer>>;
let client: FlightClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wekeo-errors-'));
  for (const ds of ['air', 'other']) {
    mkdirSync(join(dir, ds));
    copyFileSync(join(repoRoot, 'samples/era5-pressure-levels/test4.nc'), join(dir, ds, 'test4.nc'));
  }
  pool = new DecodePool({ size: 1 });
  const core = new BridgeCore(new Catalog([new LocalSource(dir)], (p) => pool.describe(p)), pool, { secret: SECRET });
  flight = await startFlightServer(core, '127.0.0.1', 0);
  http = await startHttpServer(core, '127.0.0.1', 0);
  client = new FlightClient(`grpc://127.0.0.1:${flight.port}`);
});

afterAll(async () => {
  client?.close();
  await flight?.close();
  await http?.close();
  await pool?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function planned(): Promise<TicketBody> {
  const info = await client.getFlightInfo(FlightClient.command({ dataset: 'air' }));
  return new TicketCodec(SECRET).decode(info.endpoints[0]!.ticket);
}

async function doGetError(body: unknown): Promise<grpc.ServiceError> {
  const ticket = new TicketCodec(SECRET).encode(body as TicketBody);
  try {
    for await (const _ of client.doGet(ticket)) void _;
  } catch (e) {
    return e as grpc.ServiceError;
  }
  throw new Error('DoGet unexpectedly succeeded');
}

function httpGet(path: string): Promise<{ status: number; body: { error: string; status: string } }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port: http.port, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }));
    })
      .on('error', reject)
      .end();
  });
}

describe('error statuses', () => {
  it('refuses a signed ticket whose file key escapes its dataset with PERMISSION_DENIED', async () => {
    const body = await planned();
    for (const fileKey of ['../../etc/passwd', '/etc/passwd', '../other/test4.nc']) {
      const err = await doGetError({ ...body, fileKey });
      expect(err.code).toBe(grpc.status.PERMISSION_DENIED);
      expect(err.details).toMatch(/escapes dataset air/);
      const res = await httpGet(`/ticket/${new TicketCodec(SECRET).encode({ ...body, fileKey }).toString('base64url')}`);
      expect(res.status).toBe(403);
    }
  });

  it('says NOT_FOUND, naming the dataset and file (not the server path), when a file vanished after planning', async () => {
    const body = await planned();
    const moved = join(dir, 'air', 'test4.nc');
    copyFileSync(moved, join(dir, 'keep.nc'));
    rmSync(moved);
    try {
      const err = await doGetError(body);
      expect(err.code).toBe(grpc.status.NOT_FOUND);
      expect(err.details).toContain('air/test4.nc');
      expect(err.details).toMatch(/plan the query again/);
      expect(err.details).not.toContain(dir);
    } finally {
      copyFileSync(join(dir, 'keep.nc'), moved);
    }
  });

  it('answers a malformed ticket body (variables: null) with INVALID_ARGUMENT', async () => {
    const err = await doGetError({ ...(await planned()), variables: null });
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/ticket field "variables"/);
  });

  it('quotes at most ~200 characters of a huge dataset name, key or variable', async () => {
    const huge = 'x'.repeat(10 << 20);
    for (const q of [{ dataset: huge }, { dataset: 'air', [huge]: 1 }, { dataset: 'air', variables: [huge] }]) {
      const err = await client.getFlightInfo(FlightClient.command(q)).catch((e: grpc.ServiceError) => e);
      expect((err as grpc.ServiceError).code).toBe(q.dataset === huge ? grpc.status.NOT_FOUND : grpc.status.INVALID_ARGUMENT);
      expect((err as grpc.ServiceError).details.length).toBeLessThan(1200);
      expect((err as grpc.ServiceError).details).toMatch(/10485760 characters/);
    }
  });

  it('reports an out-of-range window without the server path', async () => {
    const err = await doGetError({ ...(await planned()), time: [0, 99999] });
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toContain('air/test4.nc');
    expect(err.details).not.toContain(dir);
  });

  it('maps the same errors to the same HTTP statuses', async () => {
    expect((await httpGet('/plan?dataset=nope')).status).toBe(404);
    const bad = await httpGet('/plan?dataset=air&bbx=1,2,3,4');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ status: 'INVALID_ARGUMENT' });
    expect(bad.body.error).toMatch(/unknown query key "bbx"/);
  });
});

describe('scrubPaths', () => {
  it('cuts absolute paths to their file name', () => {
    expect(scrubPaths("ENOENT: no such file or directory, stat '/srv/data/air/air.nc'")).toBe("ENOENT: no such file or directory, stat 'air.nc'");
    expect(scrubPaths('ratio 1/2 and http://x/y stay')).toBe('ratio 1/2 and http://x/y stay');
  });
});
