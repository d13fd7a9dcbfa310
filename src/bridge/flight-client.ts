/**
 * A small Arrow Flight client for Node (used by `wekeo export --endpoint`, tests, benchmarks and
 * tools): GetFlightInfo, GetSchema, ListFlights and DoGet into Arrow record batches, over
 * `grpc://` or `grpc+tls://` (trusting `tlsRootCerts`, else the system's roots), with a bearer
 * token on every call when given.
 */
import * as grpc from '@grpc/grpc-js';
import { RecordBatch, RecordBatchReader, Schema } from 'apache-arrow';
import { decodeFlightData, flightDataToIpc, parseIpcSchema, type DecodedFlightData } from './flight-data.js';
import { loadFlightService } from './flight-server.js';

export interface FlightEndpointInfo {
  ticket: Buffer;
  locations: string[];
}

export interface FlightInfoResult {
  schema: Schema | null;
  endpoints: FlightEndpointInfo[];
  totalRecords: number;
  descriptor: { type: string; cmd: Buffer; path: string[] };
}

interface RawFlightInfo {
  schema: Buffer;
  flight_descriptor?: { type: string; cmd: Buffer; path: string[] };
  endpoint: Array<{ ticket?: { ticket: Buffer }; location: Array<{ uri: string }> }>;
  total_records: string;
}

type Callback<T> = (err: grpc.ServiceError | null, v?: T) => void;

interface RawClient extends grpc.Client {
  GetFlightInfo(d: unknown, md: grpc.Metadata, cb: Callback<RawFlightInfo>): void;
  GetSchema(d: unknown, md: grpc.Metadata, cb: Callback<{ schema: Buffer }>): void;
  ListFlights(c: unknown, md: grpc.Metadata): grpc.ClientReadableStream<RawFlightInfo>;
  DoGet(t: unknown, md: grpc.Metadata): grpc.ClientReadableStream<DecodedFlightData>;
  DoAction(a: unknown, md: grpc.Metadata): grpc.ClientReadableStream<{ body: Buffer }>;
}

export interface FlightClientOptions {
  /** Sent as `authorization: Bearer <token>` on every call (a bridge with --auth-token-file). */
  token?: string;
  /** PEM certificates trusted for `grpc+tls://` (a self-signed bridge certificate); default: the system's roots. */
  tlsRootCerts?: Buffer;
}

/** A location the client can dial: `grpc://`, `grpc+tcp://` or `grpc+tls://` host:port. */
const LOCATION = /^grpc(\+tcp|\+tls)?:\/\/([^/]+?)\/?$/;

export class FlightClient {
  private readonly client: RawClient;
  private readonly token: string | undefined;

  constructor(
    readonly uri: string,
    opts: FlightClientOptions = {},
  ) {
    const m = LOCATION.exec(uri);
    if (!m) throw new Error(`not a Flight location: ${JSON.stringify(uri.slice(0, 100))} (expected grpc://host:port or grpc+tls://host:port)`);
    const tls = m[1] === '+tls';
    const base = loadFlightService();
    const def: grpc.ServiceDefinition = {
      ...base,
      DoGet: { ...base.DoGet!, responseDeserialize: (b: Buffer) => decodeFlightData(b) },
    };
    const Ctor = grpc.makeGenericClientConstructor(def, 'FlightService');
    this.token = opts.token;
    this.client = new Ctor(m[2]!, tls ? grpc.credentials.createSsl(opts.tlsRootCerts ?? null) : grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': -1,
      'grpc-node.flow_control_window': 16 << 20,
    }) as unknown as RawClient;
  }

  /** Per-call headers: the bearer token (channel call credentials would need TLS even on loopback). */
  private metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    if (this.token !== undefined) md.set('authorization', `Bearer ${this.token}`);
    return md;
  }

  static command(query: Record<string, unknown>): { type: string; cmd: Buffer } {
    return { type: 'CMD', cmd: Buffer.from(JSON.stringify(query)) };
  }

  getFlightInfo(descriptor: { type: string; cmd?: Buffer; path?: string[] }): Promise<FlightInfoResult> {
    return new Promise((res, rej) =>
      this.client.GetFlightInfo(descriptor, this.metadata(), (err, info) => (err ? rej(err) : res(toInfo(info!)))),
    );
  }

  getSchema(descriptor: { type: string; cmd?: Buffer; path?: string[] }): Promise<Schema> {
    return new Promise((res, rej) =>
      this.client.GetSchema(descriptor, this.metadata(), (err, r) => (err ? rej(err) : res(parseIpcSchema(r!.schema)))),
    );
  }

  async listFlights(): Promise<FlightInfoResult[]> {
    const out: FlightInfoResult[] = [];
    for await (const info of this.client.ListFlights({ expression: Buffer.alloc(0) }, this.metadata()) as AsyncIterable<RawFlightInfo>) out.push(toInfo(info));
    return out;
  }

  /** Streams the batches of one ticket. */
  async *doGet(ticket: Buffer): AsyncGenerator<RecordBatch> {
    const call = this.client.DoGet({ ticket }, this.metadata());
    const reader = await RecordBatchReader.from(flightDataToIpc(call as AsyncIterable<DecodedFlightData>));
    for await (const batch of reader) yield batch;
  }

  /** The result bodies of one action (see actions.ts). */
  async doAction(type: string, body: Buffer = Buffer.alloc(0)): Promise<Buffer[]> {
    const out: Buffer[] = [];
    for await (const r of this.client.DoAction({ type, body }, this.metadata()) as AsyncIterable<{ body: Buffer }>) out.push(r.body);
    return out;
  }

  /** Raw FlightData messages of one ticket (framing tests). */
  rawDoGet(ticket: Buffer): AsyncIterable<DecodedFlightData> {
    return this.client.DoGet({ ticket }, this.metadata()) as AsyncIterable<DecodedFlightData>;
  }

  close(): void {
    this.client.close();
  }
}

function toInfo(info: RawFlightInfo): FlightInfoResult {
  return {
    schema: info.schema && info.schema.length ? parseIpcSchema(info.schema) : null,
    endpoints: info.endpoint.map((e) => ({ ticket: e.ticket!.ticket, locations: e.location.map((l) => l.uri) })),
    totalRecords: Number(info.total_records),
    descriptor: info.flight_descriptor ?? { type: 'UNKNOWN', cmd: Buffer.alloc(0), path: [] },
  };
}

/**
 * Streams one endpoint from the first of its locations that answers: with scale-out the owner
 * comes first and the other bridges after it, so a bridge that is down (UNAVAILABLE before any
 * batch) is skipped. A stream that fails midway is not retried elsewhere (rows would repeat).
 */
export async function* doGetWithFallback(endpoint: FlightEndpointInfo, planner?: string, opts: FlightClientOptions = {}): AsyncGenerator<RecordBatch> {
  // An endpoint without locations is served by the bridge that planned it.
  const locations = endpoint.locations.length ? endpoint.locations : planner ? [planner] : [];
  let last: unknown = new Error('the endpoint has no location and no planner was given');
  for (const uri of locations) {
    const client = new FlightClient(uri, opts);
    let started = false;
    try {
      for await (const batch of client.doGet(endpoint.ticket)) {
        started = true;
        yield batch;
      }
      return;
    } catch (e) {
      if (started || (e as Partial<grpc.ServiceError>).code !== grpc.status.UNAVAILABLE) throw e;
      last = e;
    } finally {
      client.close();
    }
  }
  throw last;
}
