/**
 * The Arrow Flight service on @grpc/grpc-js: ListFlights, GetFlightInfo, PollFlightInfo,
 * GetSchema and DoGet. Control RPCs use proto-loader's codec; DoGet responses are pre-encoded
 * by our own FlightData writer (see flight-data.ts) so Arrow buffers are copied only once.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { RecordBatch, Schema } from 'apache-arrow';
import { ACTIONS, runAction, StreamCancelledError } from './actions.js';
import { AuthError, type AuthTokens } from './auth.js';
import type { GroupSummary } from '../catalog/types.js';
import type { BridgeCore, PlannedQuery } from './core.js';
import { clientMessage, GRPC_CODE, logUnexpected, statusOf } from './errors.js';
import { framed, GRPC_PREFIX_BYTES, zeroCopySends } from './grpc-framing.js';
import { encodeFlightData, ipcSchemaBytes, MessageBufferPool, recordBatchParts, schemaHeader } from './flight-data.js';
import { endWith, instrumentFlight } from './flight-telemetry.js';
import { parseDescriptor, type BridgeQuery, type DescriptorLike } from './query.js';

export const PROTO_PATH = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'), 'proto', 'Flight.proto');

export const PROTO_OPTIONS: protoLoader.Options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

export function loadFlightService(): grpc.ServiceDefinition {
  const def = protoLoader.loadSync(PROTO_PATH, PROTO_OPTIONS);
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    arrow: { flight: { protocol: { FlightService: { service: grpc.ServiceDefinition } } } };
  };
  return pkg.arrow.flight.protocol.FlightService.service;
}

interface FlightInfoMessage {
  schema: Buffer;
  flight_descriptor: { type: string; cmd: Buffer; path: string[] };
  endpoint: Array<{ ticket: { ticket: Buffer }; location: Array<{ uri: string }>; app_metadata?: Buffer }>;
  total_records: string;
  total_bytes: string;
  ordered: boolean;
  app_metadata?: Buffer;
}

/** A group flight's app_metadata: JSON {dataset-level facts of the group} (see README, Variable groups). */
function groupMetadata(g: GroupSummary): Record<string, unknown> {
  return { group: g.id, level_type: g.levelType ?? null, grid: g.grid, variables: g.variables, files: g.files, positioned: g.positioned };
}

export interface FlightServerOptions {
  /** The URI clients should use for DoGet, put in every endpoint (e.g. grpc://host:8815). */
  location: () => string;
  /** Tokens every RPC but Handshake must present; absent or empty: no authentication. */
  auth?: AuthTokens;
}

/** Authentication and transport security of a Flight server (see auth.ts, `wekeo serve --help`). */
export interface FlightSecurity {
  auth?: AuthTokens;
  /** PEM certificate chain and private key: serve grpc+tls://. */
  tls?: { cert: Buffer; key: Buffer };
}

export function statusFor(err: unknown): grpc.status {
  return GRPC_CODE[statusOf(err)];
}

function toServiceError(err: unknown, where = 'Flight'): grpc.ServiceError {
  logUnexpected(where, err);
  const message = clientMessage(err);
  return Object.assign(new Error(message), { code: statusFor(err), details: message, metadata: new grpc.Metadata() });
}

function unimplemented(message: string): grpc.ServiceError {
  return Object.assign(new Error(message), { code: grpc.status.UNIMPLEMENTED, details: message, metadata: new grpc.Metadata() });
}

const messageBuffers = new MessageBufferPool();

export function createFlightService(core: BridgeCore, opts: FlightServerOptions): { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation } {
  const base = loadFlightService();
  const definition: grpc.ServiceDefinition = {
    ...base,
    DoGet: { ...base.DoGet!, responseSerialize: (b: Buffer) => b },
  };

  const streams = core.streams;

  const flightInfo = async (q: BridgeQuery, descriptor: FlightInfoMessage['flight_descriptor']): Promise<FlightInfoMessage> => {
    const planned = await core.planQuery(q);
    const uri = opts.location();
    return {
      schema: Buffer.from(ipcSchemaBytes(planned.schema)),
      flight_descriptor: descriptor,
      endpoint: planned.tickets.map((t) => ({ ticket: { ticket: t.ticket }, location: core.locationsFor(t.key, uri).map((u) => ({ uri: u })), app_metadata: endpointMetadata(t) })),
      total_records: String(planned.totalRows),
      total_bytes: String(planned.totalBytes),
      ordered: false,
    };
  };

  const descriptorOut = (d: DescriptorLike & { type?: string }): FlightInfoMessage['flight_descriptor'] => ({
    type: String(d.type ?? 'CMD'),
    cmd: Buffer.from(d.cmd ?? new Uint8Array()),
    path: d.path ?? [],
  });

  const implementation: grpc.UntypedServiceImplementation = {
    Handshake: (call: grpc.ServerDuplexStream<unknown, unknown>) => {
      // With tokens, the credentials are in the call's headers (Bearer, or Basic with a token as
      // password) and the answer carries the bearer header the client then sends on every call.
      if (opts.auth?.enabled) {
        const token = opts.auth.handshakeToken(headerOf(call.metadata, 'authorization'));
        if (token === undefined) {
          call.emit('error', toServiceError(new AuthError()));
          return;
        }
        const md = new grpc.Metadata();
        md.set('authorization', `Bearer ${token}`);
        call.sendMetadata(md);
      }
      // Answer each handshake message so clients that always handshake proceed.
      call.on('data', () => call.write({ protocol_version: '0', payload: Buffer.alloc(0) }));
      call.on('end', () => call.end());
    },

    ListFlights: async (call: grpc.ServerWritableStream<unknown, FlightInfoMessage>) => {
      try {
        for (const d of await core.listDatasets()) {
          const descriptor = { type: 'PATH', cmd: Buffer.alloc(0), path: [d.name] };
          try {
            call.write(await flightInfo({ dataset: d.name }, descriptor));
          } catch (err) {
            // A dataset that cannot be planned is still listed, without schema or endpoints.
            call.write({ schema: Buffer.alloc(0), flight_descriptor: descriptor, endpoint: [], total_records: '-1', total_bytes: '-1', ordered: false });
            process.stderr.write(`ListFlights: ${d.name}: ${clientMessage(err)}\n`);
          }
          // A dataset of several variable groups also lists each group, addressable as PATH [dataset, group].
          const groups = await core.catalog.groups(d.name).catch(() => []);
          if (groups.length < 2) continue;
          for (const g of groups) {
            const gd = { type: 'PATH', cmd: Buffer.alloc(0), path: [d.name, g.id] };
            const app_metadata = Buffer.from(JSON.stringify(groupMetadata(g)));
            try {
              call.write({ ...(await flightInfo({ dataset: d.name, group: g.id }, gd)), app_metadata });
            } catch (err) {
              call.write({ schema: Buffer.alloc(0), flight_descriptor: gd, endpoint: [], total_records: '-1', total_bytes: '-1', ordered: false, app_metadata });
              process.stderr.write(`ListFlights: ${d.name}/${g.id}: ${clientMessage(err)}\n`);
            }
          }
        }
        call.end();
      } catch (err) {
        call.emit('error', toServiceError(err));
      }
    },

    GetFlightInfo: async (call: grpc.ServerUnaryCall<DescriptorLike, FlightInfoMessage>, cb: grpc.sendUnaryData<FlightInfoMessage>) => {
      try {
        cb(null, await flightInfo(parseDescriptor(call.request), descriptorOut(call.request as DescriptorLike & { type?: string })));
      } catch (err) {
        cb(toServiceError(err));
      }
    },

    PollFlightInfo: async (call: grpc.ServerUnaryCall<DescriptorLike, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      // Planning is synchronous from the client's view: the first poll returns the complete info.
      try {
        const info = await flightInfo(parseDescriptor(call.request), descriptorOut(call.request as DescriptorLike & { type?: string }));
        cb(null, { info, progress: 1 });
      } catch (err) {
        cb(toServiceError(err));
      }
    },

    GetSchema: async (call: grpc.ServerUnaryCall<DescriptorLike, { schema: Buffer }>, cb: grpc.sendUnaryData<{ schema: Buffer }>) => {
      try {
        const schema = await core.schemaOf(parseDescriptor(call.request));
        cb(null, { schema: Buffer.from(ipcSchemaBytes(schema)) });
      } catch (err) {
        cb(toServiceError(err));
      }
    },

    DoGet: async (call: grpc.ServerWritableStream<{ ticket: Buffer }, Buffer>) => {
      let cancelled = false;
      call.on('cancelled', () => (cancelled = true));
      const out = new BoundedWriter(call);
      const track = core.track('DoGet');
      const closeStream = core.metrics.streamOpened();
      call.on('close', closeStream);
      endWith(call, track);
      // CancelFlightInfo of this ticket's FlightInfo stops the stream with CANCELLED.
      const unregister = streams.add(call.request.ticket, () => {
        if (cancelled) return;
        cancelled = true;
        out.stop();
        call.emit('error', toServiceError(new StreamCancelledError()));
      });
      try {
        if (streams.isCancelled(call.request.ticket)) throw new StreamCancelledError();
        for await (const item of core.streamTicket(call.request.ticket, () => cancelled)) {
          if (item instanceof Schema) track.dataset = item.metadata.get('wekeo.dataset');
          const msg =
            item instanceof Schema
              ? encodeFlightData({ header: schemaHeader(item) })
              : zeroCopySends
                ? framed(encodeFlightData(recordBatchParts(item as RecordBatch), (n) => messageBuffers.acquire(n), GRPC_PREFIX_BYTES))
                : encodeFlightData(recordBatchParts(item as RecordBatch));
          if (cancelled) return;
          if (!(item instanceof Schema)) track.sent(item.numRows, msg.length);
          // A pooled buffer is reused only after HTTP/2 has sent it (the write callback).
          await out.write(msg, () => messageBuffers.release(msg));
        }
        call.end();
      } catch (err) {
        if (!cancelled) call.emit('error', toServiceError(err));
      } finally {
        unregister();
        closeStream();
      }
    },

    DoPut: (call: grpc.ServerDuplexStream<unknown, unknown>) => {
      call.emit('error', unimplemented('DoPut is not supported: the bridge is read-only'));
    },

    DoExchange: (call: grpc.ServerDuplexStream<unknown, unknown>) => {
      call.emit('error', unimplemented('DoExchange is not supported'));
    },

    DoAction: async (call: grpc.ServerWritableStream<{ type: string; body: Buffer }, { body: Buffer }>) => {
      try {
        for (const body of await runAction(core, streams, call.request.type, call.request.body ?? Buffer.alloc(0))) call.write({ body });
        call.end();
      } catch (err) {
        call.emit('error', toServiceError(err));
      }
    },

    ListActions: (call: grpc.ServerWritableStream<unknown, { type: string; description: string }>) => {
      for (const a of ACTIONS) call.write(a);
      call.end();
    },
  };
  const guarded = opts.auth?.enabled ? requireBearer(definition, implementation, opts.auth) : implementation;
  return { definition, implementation: instrumentFlight(core, definition, guarded) };
}

/**
 * Endpoint app_metadata: JSON with the partition's estimated `rows` and Arrow `bytes`, its first
 * and last time (`start`/`end`, ISO-8601 or null) and `bbox` ([w, s, e, n] or null), so clients
 * can schedule or skip endpoints without reading them.
 */
export function endpointMetadata(t: PlannedQuery['tickets'][number]): Buffer {
  const iso = (us: number | undefined) => (us === undefined ? null : new Date(Math.floor(us / 1000)).toISOString());
  return Buffer.from(JSON.stringify({ rows: t.rows, bytes: t.bytes, start: iso(t.extent.startUs), end: iso(t.extent.endUs), bbox: t.extent.bbox ?? null }));
}

function headerOf(md: grpc.Metadata, key: string): string | undefined {
  const v = md.get(key)[0];
  return v === undefined ? undefined : String(v);
}

/** Wraps every handler but Handshake so a call without a valid bearer token is refused before it runs. */
function requireBearer(definition: grpc.ServiceDefinition, impl: grpc.UntypedServiceImplementation, auth: AuthTokens): grpc.UntypedServiceImplementation {
  const out: grpc.UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(impl)) {
    const method = definition[name];
    if (name === 'Handshake' || !method) {
      out[name] = handler;
      continue;
    }
    const fn = handler as (...args: unknown[]) => unknown;
    const unary = !method.requestStream && !method.responseStream;
    out[name] = ((call: grpc.ServerUnaryCall<unknown, unknown> & grpc.ServerWritableStream<unknown, unknown>, cb?: grpc.sendUnaryData<unknown>) => {
      if (auth.allows(headerOf(call.metadata, 'authorization'))) return fn(call, cb);
      const err = toServiceError(new AuthError());
      if (unary && cb) cb(err);
      else call.emit('error', err);
      return undefined;
    }) as grpc.UntypedHandleCall;
  }
  return out;
}

/**
 * FlightData messages a DoGet may have handed to gRPC but not yet flushed to HTTP/2. The
 * Writable's own limit is 16 objects (32 MiB of 2 MiB messages) per stream. One is enough: its
 * write callback fires once HTTP/2 has handed the frames to the socket, whose kernel buffer keeps
 * the connection busy while the next message is encoded. A second cost ~2 MiB per slow stream
 * (memory suite, 8 streams: 15.5-18.4 -> 13.8-15.1 MiB/stream) and gained nothing measurable
 * (transport suite, 1 stream: 733-1064 MB/s with one, 765 with two, interleaved runs).
 */
export const MAX_MESSAGES_IN_FLIGHT = 1;

/** Writes to a gRPC server stream, waiting while MAX_MESSAGES_IN_FLIGHT are unflushed. */
class BoundedWriter {
  private inFlight = 0;
  private wake: (() => void) | undefined;

  constructor(private readonly call: grpc.ServerWritableStream<unknown, Buffer>) {
    call.on('cancelled', () => this.release());
    call.on('close', () => this.release());
  }

  /** `flushed` runs once gRPC no longer needs `msg` (it has copied it into its frame). */
  async write(msg: Buffer, flushed?: () => void): Promise<void> {
    this.inFlight++;
    this.call.write(msg, () => {
      this.inFlight--;
      flushed?.();
      this.release();
    });
    while (this.inFlight >= MAX_MESSAGES_IN_FLIGHT && !this.call.cancelled && !this.call.destroyed && !this.stopped) {
      await new Promise<void>((r) => (this.wake = r));
    }
  }

  private stopped = false;

  /** Stops waiting for the client (the stream was cancelled by the server). */
  stop(): void {
    this.stopped = true;
    this.release();
  }

  private release(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}

export interface RunningFlightServer {
  server: grpc.Server;
  port: number;
  /** What clients connect to: grpc:// or grpc+tls://, advertised host. */
  uri: string;
  close(): Promise<void>;
}

/** Binds the Flight service; port 0 picks a free port. */
export async function startFlightServer(core: BridgeCore, host: string, port: number, advertiseHost?: string, security: FlightSecurity = {}): Promise<RunningFlightServer> {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
  let bound = port;
  const adv = advertiseHost ?? (host === '0.0.0.0' || host === '::' ? 'localhost' : host);
  const scheme = security.tls ? 'grpc+tls' : 'grpc';
  const { definition, implementation } = createFlightService(core, { location: () => `${scheme}://${formatHost(adv)}:${bound}`, auth: security.auth });
  server.addService(definition, implementation);
  const credentials = security.tls
    ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: security.tls.cert, private_key: security.tls.key }], false)
    : grpc.ServerCredentials.createInsecure();
  bound = await new Promise<number>((res, rej) => server.bindAsync(`${formatHost(host)}:${port}`, credentials, (err, p) => (err ? rej(err) : res(p))));
  return {
    server,
    port: bound,
    uri: `${scheme}://${formatHost(adv)}:${bound}`,
    close: () =>
      new Promise<void>((res) => {
        server.tryShutdown(() => res());
        setTimeout(() => {
          server.forceShutdown();
          res();
        }, 2000).unref();
      }),
  };
}

function formatHost(h: string): string {
  return h.includes(':') && !h.startsWith('[') ? `[${h}]` : h;
}
