/**
 * Flight actions (DoAction, described by ListActions): operations a client or an operator runs
 * over the Flight port itself, without the HTTP port: `health`, `cache-stats`,
 * `refresh-catalog`, `count`, and the standard `CancelFlightInfo`. Action results are JSON (one Result
 * per action) except CancelFlightInfo, whose request and result are the protobuf messages of
 * Flight.proto, as Flight clients send and expect them.
 *
 * Planning is synchronous, so a FlightInfo has no server-side query to stop; its cancel stops
 * the DoGet streams of its endpoints still running and refuses its endpoints afterwards
 * (RunningStreams) until a new plan issues those tickets again; tickets themselves stay stateless.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { BridgeCore } from './core.js';
import { parseDescriptor, QueryError } from './query.js';
import { quote } from '../text/quote.js';

export interface ActionType {
  type: string;
  description: string;
}

export const ACTIONS: ActionType[] = [
  { type: 'health', description: 'JSON {status, detail, workers, uptime (s), version}; status is ok, starting or broken (decode pool)' },
  { type: 'cache-stats', description: 'JSON statistics of the decoded-partition cache (bytes, entries, hits, misses, evictions, ...)' },
  {
    type: 'count',
    description: 'body: a query (the JSON of a CMD descriptor); JSON {rows, exact}: the rows DoGet of every endpoint of its FlightInfo returns, exactly when exact is true (else an upper bound)',
  },
  { type: 'refresh-catalog', description: 'rescan catalog folders (and the peers file) now; JSON {datasets, added, removed}' },
  {
    type: 'CancelFlightInfo',
    description: 'standard Flight action: body a serialized CancelFlightInfoRequest; stops the running DoGet streams of its endpoints and refuses later ones (CANCELLED); answers a CancelFlightInfoResult',
  },
];

/** A DoGet stopped, or refused, because its FlightInfo was cancelled (CancelFlightInfo). */
export class StreamCancelledError extends Error {
  override readonly name = 'StreamCancelledError';
  constructor() {
    super('cancelled: the FlightInfo of this ticket was cancelled (CancelFlightInfo); plan the query again to read it');
  }
}

/** CancelStatus of Flight.proto. */
export const CANCEL_STATUS = { UNSPECIFIED: 0, CANCELLED: 1, CANCELLING: 2, NOT_CANCELLABLE: 3 } as const;

/** Cancelled tickets remembered (oldest forgotten first), so endpoints not yet read are refused too. */
export const CANCELLED_TICKETS_KEPT = 4096;

/**
 * DoGet streams in progress by ticket, so CancelFlightInfo can stop the ones of a FlightInfo,
 * and the tickets cancelled lately, so a DoGet of an endpoint read after the cancel is refused.
 */
export class RunningStreams {
  private readonly byTicket = new Map<string, Set<() => void>>();
  private readonly cancelled = new Set<string>();

  isCancelled(ticket: Uint8Array): boolean {
    return this.cancelled.has(Buffer.from(ticket).toString('base64'));
  }

  /** Registers a stream's cancel function; the returned function unregisters it. */
  add(ticket: Uint8Array, cancel: () => void): () => void {
    const key = Buffer.from(ticket).toString('base64');
    let set = this.byTicket.get(key);
    if (!set) this.byTicket.set(key, (set = new Set()));
    set.add(cancel);
    return () => {
      set!.delete(cancel);
      if (set!.size === 0) this.byTicket.delete(key);
    };
  }

  /** Cancels every running stream of these tickets; returns how many were stopped. */
  cancel(tickets: Uint8Array[]): number {
    let n = 0;
    for (const t of tickets) {
      const key = Buffer.from(t).toString('base64');
      this.cancelled.delete(key);
      this.cancelled.add(key);
      if (this.cancelled.size > CANCELLED_TICKETS_KEPT) this.cancelled.delete(this.cancelled.values().next().value!);
      const set = this.byTicket.get(key);
      for (const c of [...(set ?? [])]) {
        c();
        n++;
      }
    }
    return n;
  }

  /**
   * A new plan gave these tickets again (tickets are deterministic, so a re-planned query has the
   * same ones): they are no longer refused. Streams of the cancelled FlightInfo already stopped.
   */
  reissue(tickets: Uint8Array[]): void {
    if (this.cancelled.size === 0) return;
    for (const t of tickets) this.cancelled.delete(Buffer.from(t).toString('base64'));
  }

  get size(): number {
    let n = 0;
    for (const s of this.byTicket.values()) n += s.size;
    return n;
  }
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const STARTED = Date.now();

let messages: { request: protobuf.Type; result: protobuf.Type } | undefined;
function cancelMessages(): { request: protobuf.Type; result: protobuf.Type } {
  if (!messages) {
    const root = protobuf.loadSync(join(ROOT, 'proto', 'Flight.proto'));
    messages = { request: root.lookupType('arrow.flight.protocol.CancelFlightInfoRequest'), result: root.lookupType('arrow.flight.protocol.CancelFlightInfoResult') };
  }
  return messages;
}

interface CancelRequest {
  info?: { endpoint?: Array<{ ticket?: { ticket?: Uint8Array } }> };
}

/** Runs one action; its results are the bodies of the Result messages. Bad input throws QueryError. */
export async function runAction(core: BridgeCore, streams: RunningStreams, type: string, body: Uint8Array): Promise<Buffer[]> {
  const json = (v: unknown) => [Buffer.from(JSON.stringify(v))];
  switch (type) {
    case 'health': {
      const h = core.pool.health();
      return json({ status: h.state, detail: h.detail, workers: core.pool.size, uptime: Math.round((Date.now() - STARTED) / 1000), version: VERSION, streams: streams.size });
    }
    case 'cache-stats':
      return json(core.cache.stats());
    case 'refresh-catalog': {
      const r = await core.catalog.refresh();
      await core.reloadPeers();
      return json(r);
    }
    case 'count': {
      // Planned, not read: the count comes from file descriptions (COUNT(*) pushdown of the Spark shim).
      const planned = await core.planQuery(parseDescriptor({ type: 'CMD', cmd: body }));
      return json({ rows: planned.totalRows, exact: planned.exact });
    }
    case 'CancelFlightInfo':
      return [cancelFlightInfo(core, streams, body)];
    default:
      throw new QueryError(`unknown action ${quote(type)}; actions: ${ACTIONS.map((a) => a.type).join(', ')}`);
  }
}

function cancelFlightInfo(core: BridgeCore, streams: RunningStreams, body: Uint8Array): Buffer {
  const { request, result } = cancelMessages();
  let req: CancelRequest;
  try {
    req = request.toObject(request.decode(body)) as CancelRequest;
  } catch {
    throw new QueryError('CancelFlightInfo body must be a serialized CancelFlightInfoRequest');
  }
  const tickets = (req.info?.endpoint ?? []).map((e) => e.ticket?.ticket).filter((t): t is Uint8Array => !!t && t.length > 0);
  if (!req.info || tickets.length === 0) throw new QueryError('CancelFlightInfoRequest has no FlightInfo with endpoints');
  // Only FlightInfos this bridge (or a peer with the same secret) issued: a forged ticket is refused.
  for (const t of tickets) core.tickets.decode(t);
  streams.cancel(tickets);
  return Buffer.from(result.encode(result.fromObject({ status: CANCEL_STATUS.CANCELLED })).finish());
}
