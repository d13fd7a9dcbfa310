/**
 * CancelFlightInfo against a real Flight server: a DoGet of the cancelled FlightInfo that is
 * still streaming (its client paused, so the server waits on backpressure) ends with CANCELLED
 * and stops decoding; the bookkeeping forgets finished streams.
 */
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANCEL_STATUS, RunningStreams } from '../../src/bridge/actions.js';
import { BridgeCore } from '../../src/bridge/core.js';
import { loadFlightService, PROTO_PATH, startFlightServer, type RunningFlightServer } from '../../src/bridge/flight-server.js';
import { Catalog } from '../../src/catalog/catalog.js';
import { EMBEDDED_CATALOG, LocalSource } from '../../src/catalog/local-source.js';
import { DecodePool } from '../../src/workers/decode-pool.js';

interface RawClient extends grpc.Client {
  GetFlightInfo(req: unknown, cb: (err: grpc.ServiceError | null, v?: Record<string, unknown>) => void): void;
  DoGet(req: unknown): grpc.ClientReadableStream<unknown>;
  DoAction(req: unknown): grpc.ClientReadableStream<{ body: Buffer }>;
}

let pool: DecodePool;
let server: RunningFlightServer;
let client: RawClient;
const root = protobuf.loadSync(PROTO_PATH);

beforeAll(async () => {
  pool = new DecodePool({ size: 1 });
  const catalog = new Catalog([new LocalSource(EMBEDDED_CATALOG)], (p) => pool.describe(p));
  // One partition of the whole file: several 2 MiB messages, so the stream is still running when paused.
  const core = new BridgeCore(catalog, pool, { targetRows: 1e9, targetBytes: 2 ** 40, cacheBytes: 0 });
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

