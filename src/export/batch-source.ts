/**
 * Where an export's rows come from: a bridge core in this process (a catalog folder, or the
 * embedded samples, decoded here) or a running bridge over Flight (`--endpoint`). Both give the
 * plan's schema and row estimate first, then the batches of each partition in plan order, one
 * partition at a time, so memory holds about one batch whatever the dataset's size.
 */
import * as grpc from '@grpc/grpc-js';
import { RecordBatch, Schema } from 'apache-arrow';
import type { BridgeCore } from '../bridge/core.js';
import { FlightClient, type FlightClientOptions } from '../bridge/flight-client.js';
import { parseCommand } from '../bridge/query.js';
import { ExportError } from './export.js';

export interface ExportQuery {
  dataset: string;
  bbox?: [number, number, number, number];
  start?: string;
  end?: string;
  variables?: string[];
  layout?: 'points' | 'tiles';
  tile?: [number, number];
}

export interface PlannedExport {
  schema: Schema;
  /** Planned rows (the bridge's estimate, exact for gridded files). */
  rows: number;
  partitions: number;
  batches(): AsyncGenerator<RecordBatch>;
  close(): Promise<void>;
}

/** The query as the bridge's one query parser reads it (same keys as a Flight command). */
export function commandOf(q: ExportQuery): Record<string, unknown> {
  const cmd: Record<string, unknown> = { dataset: q.dataset };
  for (const k of ['bbox', 'start', 'end', 'variables', 'layout', 'tile'] as const) if (q[k] !== undefined) cmd[k] = q[k];
  return cmd;
}

export async function planLocal(core: BridgeCore, q: ExportQuery, close: () => Promise<void>): Promise<PlannedExport> {
  const planned = await core.planQuery(parseCommand(JSON.stringify(commandOf(q))));
  return {
    schema: planned.schema,
    rows: planned.totalRows,
    partitions: planned.tickets.length,
    async *batches() {
      for (const t of planned.tickets) {
        for await (const m of core.streamTicket(t.ticket)) if (m instanceof RecordBatch) yield m;
      }
    },
    close,
  };
}

/** A running bridge over Flight (`grpc://` or `grpc+tls://`, with a bearer token when given). */
export async function planRemote(endpoint: string, q: ExportQuery, opts: FlightClientOptions = {}): Promise<PlannedExport> {
  const client = new FlightClient(endpoint, opts);
  try {
    const info = await client.getFlightInfo(FlightClient.command(commandOf(q))).catch((e: unknown) => {
      throw remoteError(endpoint, e);
    });
    if (!info.schema) throw new ExportError(`the bridge at ${endpoint} answered without a schema`);
    return {
      schema: info.schema,
      rows: info.totalRecords,
      partitions: info.endpoints.length,
      async *batches() {
        try {
          for (const e of info.endpoints) yield* client.doGet(e.ticket);
        } catch (e) {
          throw remoteError(endpoint, e);
        }
      },
      close: async () => client.close(),
    };
  } catch (e) {
    client.close();
    throw e;
  }
}

/** A gRPC failure as a message naming the bridge and the status, e.g. UNAUTHENTICATED (no stack). */
function remoteError(endpoint: string, e: unknown): unknown {
  const err = e as Partial<grpc.ServiceError>;
  if (typeof err.code !== 'number') return e;
  const status = grpc.status[err.code] ?? String(err.code);
  const details = (err.details || err.message || '').replace(/\s*Resolution note:\s*$/, '');
  if (err.code === grpc.status.UNAVAILABLE) {
    const hint = /certificate/i.test(details) ? ' (a self-signed bridge: trust its certificate with --tls-root-certs FILE)' : '';
    return new ExportError(`no bridge answered at ${endpoint}: ${details}${hint}`);
  }
  return new ExportError(`the bridge at ${endpoint} answered ${status}: ${details}`);
}
