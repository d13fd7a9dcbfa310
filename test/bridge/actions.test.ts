/**
 * CancelFlightInfo against a real Flight server: a DoGet of the cancelled FlightInfo that is
 * still streaming (its client paused, so the server waits on backpressure) ends with CANCELLED
 * and stops decoding; the bookkeeping forgets finished streams. The HTTP /ticket route shares
 * that bookkeeping: its running stream is cut off and the ticket refused afterwards.
 */
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { request } from 'node:http';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANCEL_STATUS, RunningStreams } from '../../src/bridge/actions.js';
import { BridgeCore } from '../../src/bridge/core.js';
import { loadFlightService, PROTO_PATH, startFlightServer, type RunningFlightServer } from '../../src/bridge/flight-server.js';
import { startHttpServer } from '../../src/bridge/http-server.js';
import { Catalog } from '../../src/catalog/catalog.js';
import { EMBEDDED_CATALOG, LocalSource } from '../../src/catalog/local-source.js';
import { DecodePool } from '../../src/workers/decode-pool.js';

interface RawClient extends grpc.Client {
  GetFlightInfo(req: unknown, cb: (err: grpc.ServiceError | null, v?: Record<string, unknown>) => void): void;
  DoGet(req: unknown): grpc.ClientReadableStream<unknown>;
  DoAction(req: unknown): grpc.ClientReadableStream<{ body: Buffer }>;
}

let pool: DecodePool;
let core: BridgeCore;
let server: RunningFlightServer;
let client: RawClient;
const root = protobuf.loadSync(PROTO_PATH);

beforeAll(async () => {
  pool = new DecodePool({ size: 1 });
  const catalog = new Catalog([new LocalSource(EMBEDDED_CATALOG)], (p) => pool.describe(p));
  // One partition of the whole file: several 2 MiB messages, so the stream is still running when paused.
  core = new BridgeCore(catalog, pool, { targetRows: 1e9, targetBytes: 2 ** 40, cacheBytes: 0 });
  server = await startFlightServer(core, '127.0.0.1', 0);
  const Ctor = grpc.makeGenericClientConstructor(loadFlightService(), 'FlightService');
  client = new Ctor(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure()) as unknown as RawClient;
});

afterAll(async () => {
  client?.close();
  await server?.close();
  await pool?.close();
});

describe('CancelFlightInfo', () => {
  it('stops a running DoGet of the cancelled FlightInfo with CANCELLED', async () => {
    const cmd = Buffer.from(JSON.stringify({ dataset: 'cmems-currents' }));
    const info = await new Promise<Record<string, unknown>>((res, rej) => client.GetFlightInfo({ type: 'CMD', cmd }, (e, v) => (e ? rej(e) : res(v!))));
    const endpoints = info.endpoint as Array<{ ticket: { ticket: Buffer } }>;
    expect(endpoints).toHaveLength(1);

    const stream = client.DoGet({ ticket: endpoints[0]!.ticket.ticket });
    const ended = new Promise<grpc.ServiceError | 'end'>((resolve) => {
      stream.on('error', resolve);
      stream.on('end', () => resolve('end'));
    });
    await new Promise<void>((resolve) => stream.once('data', () => resolve()));
    stream.pause();

    const Req = root.lookupType('arrow.flight.protocol.CancelFlightInfoRequest');
    const Info = root.lookupType('arrow.flight.protocol.FlightInfo');
    const body = Buffer.from(Req.encode(Req.fromObject({ info: Info.toObject(Info.fromObject(info)) })).finish());
    const results: Buffer[] = [];
    for await (const r of client.DoAction({ type: 'CancelFlightInfo', body }) as AsyncIterable<{ body: Buffer }>) results.push(r.body);
    const Result = root.lookupType('arrow.flight.protocol.CancelFlightInfoResult');
    expect(results.map((b) => Result.toObject(Result.decode(b)))).toEqual([{ status: CANCEL_STATUS.CANCELLED }]);

    stream.resume();
    const outcome = await ended;
    expect(outcome).not.toBe('end');
    expect((outcome as grpc.ServiceError).code).toBe(grpc.status.CANCELLED);
  });

  it('tracks running streams by ticket and forgets them when they end', () => {
    const s = new RunningStreams();
    let stopped = 0;
    const done = s.add(Buffer.from('a'), () => stopped++);
    s.add(Buffer.from('b'), () => stopped++);
    expect(s.size).toBe(2);
    expect(s.cancel([Buffer.from('a')])).toBe(1);
    expect(stopped).toBe(1);
    expect(s.isCancelled(Buffer.from('a'))).toBe(true);
    expect(s.isCancelled(Buffer.from('b'))).toBe(false);
    done();
    expect(s.size).toBe(1);
  });
});


describe('CancelFlightInfo over HTTP', () => {
  let http: Awaited<ReturnType<typeof startHttpServer>>;
  beforeAll(async () => {
    http = await startHttpServer(core, '127.0.0.1', 0);
  });
  afterAll(async () => http?.close());

  /** A GET whose reading pauses after the first chunk until resume(); `done` tells how it ended. */
  function pausedGet(path: string) {
    let resume: () => void = () => {};
    let firstChunk: () => void = () => {};
    const first = new Promise<void>((r) => (firstChunk = r));
    const done = new Promise<{ status: number; body: Buffer; outcome: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: http.port, path, agent: false, highWaterMark: 1024 }, (res) => {
        const chunks: Buffer[] = [];
        const finish = (outcome: string) => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), outcome });
        res.on('data', (c: Buffer) => {
          if (chunks.length === 0) {
            res.pause();
            resume = () => res.resume();
            firstChunk();
          }
          chunks.push(c);
        });
        res.on('end', () => finish('end'));
        res.on('error', (e: NodeJS.ErrnoException) => finish(e.code ?? e.message));
        res.on('close', () => finish(res.complete ? 'end' : 'aborted'));
      });
      req.on('socket', (sock) => sock.setRecvBufferSize?.(4096));
      req.on('error', reject);
      req.end();
    });
    return { first, done, resume: () => resume() };
  }

  it('cuts off a running /ticket stream of the cancelled FlightInfo, refuses the ticket (409 CANCELLED) until the query is planned again', async () => {
    // One partition of uo only (not the ticket cancelled above): MBs, still streaming when paused.
    const cmd = Buffer.from(JSON.stringify({ dataset: 'cmems-currents', variables: ['uo'] }));
    const info = await new Promise<Record<string, unknown>>((res, rej) => client.GetFlightInfo({ type: 'CMD', cmd }, (e, v) => (e ? rej(e) : res(v!))));
    const ticket = (info.endpoint as Array<{ ticket: { ticket: Buffer } }>)[0]!.ticket.ticket;
    const path = `/ticket/${Buffer.from(ticket).toString('base64url')}`;

    const running = pausedGet(path);
    await running.first;
    expect(core.streams.size).toBe(1);
    const Req = root.lookupType('arrow.flight.protocol.CancelFlightInfoRequest');
    const Info = root.lookupType('arrow.flight.protocol.FlightInfo');
    const body = Buffer.from(Req.encode(Req.fromObject({ info: Info.toObject(Info.fromObject(info)) })).finish());
    for await (const _ of client.DoAction({ type: 'CancelFlightInfo', body }) as AsyncIterable<unknown>) void _;
    running.resume();
    const r = await running.done;
    expect(r.status).toBe(200);
    expect(r.outcome).not.toBe('end');
    // Cut off: the connection reset before the end-of-stream marker, with part of the rows.
    expect(r.body.subarray(-8).equals(Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]))).toBe(false);
    let rows = 0;
    try {
      rows = tableFromIPC(r.body).numRows;
    } catch {
      /* cut inside a message */
    }
    expect(rows).toBeLessThan(Number(info.total_records));
    await new Promise((res) => setTimeout(res, 50));
    expect(core.streams.size).toBe(0); // unregistered

    // Later requests of the ticket, alone or inside /stream, are refused before any byte.
    const again = pausedGet(path);
    const refused = await again.done;
    expect(refused.status).toBe(409);
    expect(JSON.parse(refused.body.toString())).toMatchObject({ status: 'CANCELLED', error: expect.stringMatching(/FlightInfo of this ticket was cancelled/) });
    // Planning the query again (over HTTP here) gives the same ticket, readable again in full.
    const planReq = pausedGet(`/plan?dataset=cmems-currents&variables=uo`);
    await planReq.first;
    planReq.resume();
    const replanned = JSON.parse((await planReq.done).body.toString()) as { tickets: Array<{ ticket: string }> };
    expect(replanned.tickets.map((t) => t.ticket)).toEqual([Buffer.from(ticket).toString('base64url')]);
    const full = pausedGet(path);
    await full.first;
    full.resume();
    const whole = await full.done;
    expect(whole.status).toBe(200);
    expect(tableFromIPC(whole.body).numRows).toBe(Number(info.total_records));
    const metrics = await core.metrics.scrape();
    expect(metrics.body).toMatch(/wekeo_requests_total\{rpc="GET \/ticket",status="409"\} 1/);
  });
});
