/**
 * Transport-independent bridge logic shared by the Flight and HTTP servers: list datasets, plan
 * a query into signed tickets, and stream the Arrow record batches of one ticket.
 */
import type { RecordBatch, Schema } from 'apache-arrow';
import { rowBytes, schemaFor, sliceBatch, toRecordBatch } from '../arrow/batch.js';
import type { Catalog } from '../catalog/catalog.js';
import type { DatasetInfo } from '../catalog/types.js';
import { fileIdentity } from '../decoders/file-state.js';
import { DEFAULT_BATCH_BYTES } from '../decoders/window.js';
import type { ColumnBatch, ColumnSpec, VariableGroup } from '../decoders/types.js';
import { DEFAULT_TARGET_BYTES, DEFAULT_TARGET_ROWS, plan, PlanError, type PartitionExtent, type PlannedFile } from '../partitioner/plan.js';
import { TicketCodec, ticketFor, type TicketBody } from '../partitioner/ticket.js';
import type { DecodePool } from '../workers/decode-pool.js';
import { RunningStreams } from './actions.js';
import { MAX_FLIGHT_MESSAGE_BYTES } from './flight-data.js';
import { renameFile } from './errors.js';
import { BridgeMetrics } from './metrics.js';
import type { DiskCache } from './disk-cache.js';
import { PartitionCache } from './partition-cache.js';
import { RequestLog, RequestTracker, type LogFormat } from './request-log.js';
import type { PeerSet } from './peers.js';
import type { BridgeQuery } from './query.js';
import { DEFAULT_TILE, TileAssembler, tileColumns } from './tiles.js';
import { unionColumns, widenBatch } from './union.js';
import { projectBatch } from '../workers/row-filter.js';
import { quote } from '../text/quote.js';

export interface BridgeOptions {
  targetRows?: number;
  /** Estimated Arrow bytes per partition (DEFAULT_TARGET_BYTES); the tighter of this and targetRows wins. */
  targetBytes?: number;
  secret?: string;
  /** Memory for decoded partitions (Arrow bytes); 0 disables the memory tier. */
  cacheBytes?: number;
  /** The disk tier (`--cache-dir`), opened by the caller. */
  diskCache?: DiskCache;
  /** Per-request log lines on stderr; off unless asked for (`wekeo serve` defaults to text). */
  logFormat?: LogFormat;
}

/**
 * Default memory tier of the decoded-partition cache (issue 11: 512 MiB). It is bounded on its
 * own (at most × 1.25 while misses collect), on top of what open streams need: the memory
 * suite of benchmarks/ measures streams with the cache off for that reason.
 */
export const DEFAULT_CACHE_BYTES = 512 * 2 ** 20;

export interface PlannedQuery {
  schema: Schema;
  /** `key` names the partition for placement among peers (the same on every instance). */
  tickets: Array<{ ticket: Buffer; rows: number; key: string; bytes: number; extent: PartitionExtent }>;
  totalRows: number;
  /** Whether totalRows is exactly what DoGet of every ticket returns (see plan.ts, keptCounter); else an upper bound. */
  exact: boolean;
  /** Estimated Arrow in-memory bytes of all partitions. */
  totalBytes: number;
}

export class BridgeCore {
  readonly tickets: TicketCodec;
  readonly targetRows: number;
  readonly targetBytes: number;
  readonly cache: PartitionCache;
  readonly metrics: BridgeMetrics;
  readonly requestLog: RequestLog;
  /** Streams running by ticket, Flight DoGet and HTTP alike, so CancelFlightInfo stops and refuses both. */
  readonly streams = new RunningStreams();
  /** Flight endpoint as clients reach it (set once the Flight server is bound), for pages and snippets. */
  flightUri: string | undefined;
  /** The instances sharing this catalog and secret (`--peers`); absent for a lone bridge. */
  peers: PeerSet | undefined;

  constructor(
    readonly catalog: Catalog,
    readonly pool: DecodePool,
    opts: BridgeOptions = {},
  ) {
    this.tickets = new TicketCodec(opts.secret);
    this.targetRows = opts.targetRows ?? DEFAULT_TARGET_ROWS;
    this.targetBytes = opts.targetBytes ?? DEFAULT_TARGET_BYTES;
    this.cache = new PartitionCache(opts.cacheBytes ?? DEFAULT_CACHE_BYTES, opts.diskCache);
    this.metrics = new BridgeMetrics({ cacheStats: () => this.cache.stats(), decodeQueueDepth: () => this.pool.queueLength });
    this.requestLog = new RequestLog(opts.logFormat ?? 'off');
  }

  /** Starts the log line and metrics of one request (see request-log.ts). */
  track(method: string): RequestTracker {
    return new RequestTracker(method, this.requestLog, this.metrics);
  }

  listDatasets(): Promise<DatasetInfo[]> {
    return this.catalog.list();
  }

  async planQuery(q: BridgeQuery): Promise<PlannedQuery> {
    if (q.empty) {
      // Contradictory ranges answer no rows; the schema still comes from the dataset's files without them.
      const { schema } = await this.planQuery({ ...q, empty: false, bbox: undefined, startUs: undefined, endUs: undefined, levels: undefined, numbers: undefined });
      return { schema, tickets: [], totalRows: 0, exact: true, totalBytes: 0 };
    }
    const files = await this.catalog.files(q.dataset, {
      bbox: q.bbox,
      start: q.startUs !== undefined ? new Date(q.startUs / 1000) : undefined,
      end: q.endUs !== undefined ? new Date(q.endUs / 1000) : undefined,
      variables: q.variables,
      filters: q.filters,
    });
    if (files.length === 0) throw new PlanError(`dataset "${q.dataset}" has no files matching the query`);
    const planned: PlannedFile[] = await Promise.all(
      files.map(async (f) => ({ key: f.key, description: await this.catalog.describe(f.path).catch((e: unknown) => Promise.reject(renameFile(e, f.path, `${q.dataset}/${f.key}`))) })),
    );
    const tile = q.layout === 'tiles' ? (q.tile ?? [DEFAULT_TILE.h, DEFAULT_TILE.w]) : undefined;
    const limits = { rows: this.targetRows, bytes: this.targetBytes, rowBytes: (gs: VariableGroup[], vars: string[]) => arrowRowBytes(queryColumns(gs, vars, tile)) };
    const p = plan(planned, { bbox: q.bbox, startUs: q.startUs, endUs: q.endUs, variables: q.variables, group: q.group, tile, levels: q.levels, numbers: q.numbers }, limits);
    const ids = [...new Set(p.groups.map((g) => g.id))];
    if (tile && ids.length > 1) {
      throw new PlanError(`the tiles layout reads one variable group; ${q.dataset} has ${ids.length} for this query (${ids.join(', ')}): name one with "group"`);
    }
    if (tile && (p.group.grid.kind === 'array' || !p.group.coordinates.some((c) => c.name === 'lat'))) {
      throw new PlanError(`the tiles layout needs a latitude/longitude grid; group "${p.group.id}" of ${q.dataset} is an array without one (use the points layout)`);
    }
    // Several groups share one schema (their union); a ticket of such a query carries it.
    const union = tile ? undefined : unionOf(p.groups, p.variables);
    const columns = union ?? outputColumns(p.group, p.variables, tile);
    if (q.columns) {
      const unknown = q.columns.filter((c) => !columns.some((a) => a.name === c));
      if (unknown.length) throw new PlanError(`unknown column(s) ${unknown.map(quote).join(', ')}; ${q.dataset} has ${columns.map((a) => a.name).join(', ')}`);
    }
    const schema = schemaFor(pick(columns, q.columns), schemaMetadata(q.dataset, ids, tile));
    const pushed = { send: q.columns, levels: q.levels, numbers: q.numbers };
    const filters = { bbox: q.bbox, startUs: q.startUs, endUs: q.endUs, tile, columns: p.groups.length > 1 ? union : undefined, groups: ids.length > 1 ? ids : undefined, ...pushed };
    const tickets = p.partitions.map((part) => {
      const body = ticketFor(q.dataset, part, filters);
      return { ticket: this.tickets.encode(body), rows: part.rows, key: JSON.stringify(body), bytes: part.bytes, extent: part.extent };
    });
    // Tickets are deterministic: planning the query again is how a client reads what it cancelled.
    this.streams.reissue(tickets.map((t) => t.ticket));
    return {
      schema,
      tickets,
      totalRows: p.totalRows,
      exact: p.exact,
      totalBytes: p.partitions.reduce((s, part) => s + part.bytes, 0),
    };
  }

  /** Where a planned partition can be read: its owner first, then fallbacks (just `self` without peers). */
  locationsFor(key: string, self: string): string[] {
    return this.peers ? this.peers.locationsFor(key) : [self];
  }

  /** Re-reads the peers file (`--peers-file`); the refresh-catalog action calls it. */
  async reloadPeers(): Promise<void> {
    await this.peers?.reloadPeers();
  }

  /** Schema of what a query returns, without planning partitions' tickets. */
  async schemaOf(q: BridgeQuery): Promise<Schema> {
    return (await this.planQuery(q)).schema;
  }

  /**
   * Streams one ticket: first the schema, then record batches no larger than a Flight message.
   * `isCancelled` is polled between batches so an abandoned stream stops decoding.
   */
  async *streamTicket(ticket: Uint8Array, isCancelled: () => boolean = () => false): AsyncGenerator<Schema | RecordBatch> {
    const t: TicketBody = this.tickets.decode(ticket);
    const path = await this.catalog.resolve(t.dataset, t.fileKey);
    try {
      yield* this.streamFile(t, path, isCancelled);
    } catch (e) {
      throw renameFile(e, path, `${t.dataset}/${t.fileKey}`);
    }
  }

  private async *streamFile(t: TicketBody, path: string, isCancelled: () => boolean): AsyncGenerator<Schema | RecordBatch> {
    const desc = await this.catalog.describe(path);
    const group = desc.groups.find((g) => g.id === t.group);
    if (!group) throw new PlanError(`file ${t.fileKey} of ${t.dataset} no longer has group ${t.group}`);
    const points = columnsFor(group, t.variables);
    const columns = pick(t.columns ?? outputColumns(group, t.variables, t.tile), t.send);
    const schema = schemaFor(columns, schemaMetadata(t.dataset, t.groups ?? [t.group], t.tile));
    // A union schema is widened first (nulls for what this group lacks), then pruned to the columns sent.
    const sentUnion = t.columns ? pick(t.columns, t.send) : undefined;
    const widen = sentUnion ? (b: ColumnBatch) => widenBatch(b, group, sentUnion) : (b: ColumnBatch) => b;
    yield schema;
    const perMessage = rowsPerMessage(columns);
    const id = await fileIdentity(path);
    const key = JSON.stringify([id.path, id.size, id.mtimeMs, t.group, t.variables, t.time, t.level, t.y, t.x, t.bbox, t.startUs, t.endUs, t.tile, t.send, t.levels, t.numbers]);
    // The disk tier holds batches as sent (widened, with the schema's metadata): its key adds those.
    const diskKey = JSON.stringify([key, t.dataset, t.columns ?? null, t.groups ?? null]);
    const hit = await this.cache.lookup(key, diskKey);
    if (hit && 'sent' in hit) {
      for await (const batch of hit.sent) {
        if (isCancelled()) return;
        yield batch;
      }
      return;
    }
    const cached = hit?.batches;
    const collect = cached ? undefined : this.cache.collector(key, { key: diskKey, schema });
    let complete = false;
    try {
      for await (const batch of cached ?? this.decode(path, t, points)) {
        if (isCancelled()) return;
        collect?.add(batch);
        for (let start = 0; start < batch.numRows; start += perMessage) {
          const out = toRecordBatch(schema, widen(start === 0 && batch.numRows <= perMessage ? batch : sliceBatch(batch, start, Math.min(batch.numRows, start + perMessage))));
          await collect?.sent(out);
          yield out;
        }
      }
      complete = true;
    } finally {
      if (complete) await collect?.commit();
      else await collect?.abandon();
    }
  }

  /** The slice's batches decoded by the pool: points filtered exactly in the worker, or assembled into tiles. */
  private async *decode(path: string, t: TicketBody, points: ColumnSpec[]): AsyncGenerator<ColumnBatch> {
    const tiles = t.tile ? new TileAssembler(points, t.variables, { h: t.tile[0], w: t.tile[1] }, t.y, t.x) : undefined;
    // Tiles keep whole chips (a bbox selects the chips it touches), so they are not row-filtered.
    // Variables that are not sent are not decoded: a pruned scan (Spark's count(*) sends no column,
    // `select(t2m)` one of several) reads only coordinates and what it sends. Rows are grid points,
    // whatever their values, so the row count does not depend on the variables read.
    const variables = !tiles && t.send ? t.variables.filter((v) => t.send!.includes(v)) : t.variables;
    const selection = { group: t.group, variables, time: t.time, level: t.level, y: t.y, x: t.x, maxBatchBytes: DEFAULT_BATCH_BYTES };
    const levelFilter = { levels: t.levels, numbers: t.numbers };
    const filter = tiles ? levelFilter : { bbox: t.bbox, startUs: t.startUs, endUs: t.endUs, ...levelFilter };
    // Points of one group are pruned to the sent columns in the worker; chips after assembly (which
    // needs every point column), a union's batches after widening (see streamFile).
    const keep = t.send && !t.columns ? new Set(t.send) : undefined;
    const reader = this.pool.read(path, selection, filter, tiles || t.columns ? undefined : t.send);
    // Only the time spent waiting for the pool is decode time (not the consumer's backpressure).
    let waited = 0;
    try {
      for (;;) {
        const t0 = performance.now();
        const next = await reader.next();
        waited += performance.now() - t0;
        if (next.done) break;
        if (!tiles) yield next.value;
        else for (const chip of tiles.push(next.value)) yield keep ? projectBatch(chip, keep) : chip;
      }
      tiles?.finish();
      this.metrics.observeDecode(waited / 1000);
    } finally {
      await reader.return(undefined);
    }
  }
}

/** One schema for several groups: their columns' union (each group's rows null in the others' variables). */
function unionOf(groups: VariableGroup[], variables: string[]): ColumnSpec[] {
  return unionColumns(groups.map((g) => ({ group: g, columns: columnsFor(g, variables.filter((v) => g.variables.some((gv) => gv.name === v))) })), variables);
}

/** The output columns of a query reading these groups (what every partition's rows hold). */
function queryColumns(groups: VariableGroup[], variables: string[], tile?: [number, number]): ColumnSpec[] {
  return tile ? outputColumns(groups[0]!, variables, tile) : unionOf(groups, variables);
}

/** The columns named in `names` (all when absent), in schema order. */
function pick(columns: ColumnSpec[], names?: string[]): ColumnSpec[] {
  return names ? columns.filter((c) => names.includes(c.name)) : columns;
}

function outputColumns(group: VariableGroup, variables: string[], tile?: [number, number]): ColumnSpec[] {
  const points = columnsFor(group, variables);
  return tile ? tileColumns(points, variables, { h: tile[0], w: tile[1] }) : points;
}

/**
 * `wekeo.groups`: JSON array of the groups the schema covers (their union when several);
 * `wekeo.group`: the group's id when there is one (ids may hold commas, so they are not joined).
 */
function schemaMetadata(dataset: string, groups: string[], tile?: [number, number]): Record<string, string> {
  const m: Record<string, string> = { 'wekeo.dataset': dataset, 'wekeo.groups': JSON.stringify(groups), 'wekeo.layout': tile ? 'tiles' : 'points' };
  if (groups.length === 1) m['wekeo.group'] = groups[0]!;
  if (tile) m['wekeo.tile_shape'] = `${tile[0]},${tile[1]}`;
  return m;
}

/** Output columns: the group's coordinates, then the requested variables in request order. */
export function columnsFor(group: VariableGroup, variables: string[]): ColumnSpec[] {
  const vars = variables.map((name) => {
    const v = group.variables.find((gv) => gv.name === name);
    if (!v) throw new PlanError(`variable ${name} is not in group ${group.id}`);
    const metadata: Record<string, string> = {};
    if (v.units) metadata.units = v.units;
    if (v.longName) metadata.long_name = v.longName;
    metadata['wekeo.role'] = 'variable';
    return { name: v.name, type: v.type, nullable: true, metadata } satisfies ColumnSpec;
  });
  // Clients (the Spark shim) tell coordinates from variables by this field metadata.
  const coords = group.coordinates.map((c) => ({ ...c, metadata: { ...(c.metadata ?? {}), 'wekeo.role': 'coordinate' } }));
  return [...coords, ...vars];
}

/** Arrow in-memory bytes of one row: values plus one validity bit per (nullable) column. */
export function arrowRowBytes(columns: ColumnSpec[]): number {
  return rowBytes(columns) + columns.length / 8;
}

/**
 * Rows per Flight message so that the body stays under MAX_FLIGHT_MESSAGE_BYTES, counting
 * validity bitmaps, and a multiple of 8 so validity slices stay byte-aligned (zero-copy).
 */
export function rowsPerMessage(columns: ColumnSpec[]): number {
  const perRow = arrowRowBytes(columns);
  const budget = MAX_FLIGHT_MESSAGE_BYTES - columns.length * 128; // headroom for per-buffer padding
  return Math.max(8, Math.floor(budget / perRow / 8) * 8);
}
