/**
 * The bridge's Prometheus metrics, one registry per BridgeCore (so tests and several bridges in
 * one process never share counts). Transports report finished requests through `record` (see
 * request-log.ts) and stream progress through `streamOpened`/`sent`; everything the bridge
 * already counts elsewhere (the partition cache, the decode pool, HDA traffic) is read when
 * scraped, through collect callbacks, so those modules keep no dependency on prom-client.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { hdaStats } from '../hda/stats.js';
import type { PartitionCacheStats } from './partition-cache.js';

/** What one finished request (a Flight RPC or an HTTP route) reports. */
export interface RequestRecord {
  /** Flight RPC name (`DoGet`) or HTTP route (`GET /stream`). */
  method: string;
  /** gRPC status name for Flight (`OK`, `INVALID_ARGUMENT`, `CANCELLED`), HTTP status code for HTTP. */
  status: string;
  dataset?: string;
  rows: number;
  bytes: number;
  ms: number;
}

export interface MetricSources {
  cacheStats(): PartitionCacheStats;
  /** Decode tasks a caller is waiting on. */
  decodeQueueDepth(): number;
}

/**
 * Decode wait per partition, in seconds: from a few ms (a small slice) to minutes (a whole
 * GRIB file behind a slow codec); Prometheus' default buckets stop at 10 s.
 */
const DECODE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export class BridgeMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'rpc' | 'status'>;
  private readonly rows: Counter<'dataset'>;
  private readonly bytes: Counter<'dataset'>;
  private readonly decode: Histogram;
  private readonly streams: Gauge;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'wekeo_requests_total', help: 'Finished requests by Flight RPC or HTTP route and status', labelNames: ['rpc', 'status'], registers });
    this.rows = new Counter({ name: 'wekeo_rows_sent_total', help: 'Arrow rows sent to clients', labelNames: ['dataset'], registers });
    this.bytes = new Counter({ name: 'wekeo_bytes_sent_total', help: 'Arrow IPC / FlightData bytes sent to clients', labelNames: ['dataset'], registers });
    this.decode = new Histogram({ name: 'wekeo_decode_seconds', help: 'Time a partition stream waited for the decode pool (cache misses)', buckets: DECODE_BUCKETS, registers });
    this.streams = new Gauge({ name: 'wekeo_streams_in_flight', help: 'Data streams (DoGet, HTTP /stream and /ticket) being sent', registers });
    new Gauge({
      name: 'wekeo_decode_queue_depth',
      help: 'Decode tasks a stream or planner is waiting on',
      registers,
      collect() {
        this.set(sources.decodeQueueDepth());
      },
    });
    counterFrom('wekeo_cache_hits_total', 'Partitions served from the decoded-partition cache', () => sources.cacheStats().hits, registers);
    counterFrom('wekeo_cache_misses_total', 'Partitions decoded because the cache did not hold them', () => sources.cacheStats().misses, registers);
    // Per tier (memory, and disk with --cache-dir): what it holds against its budget, and what it dropped.
    const tiers = () => {
      const t = sources.cacheStats().tiers;
      return t.disk ? ([['memory', t.memory], ['disk', t.disk]] as const) : ([['memory', t.memory]] as const);
    };
    for (const [name, help, field] of [
      ['wekeo_cache_bytes', 'Bytes a cache tier holds (memory: Arrow buffers; disk: IPC files, including entries being written)', 'bytes'],
      ['wekeo_cache_budget_bytes', 'Budget of a cache tier (--cache-mem, --cache-disk)', 'budgetBytes'],
      ['wekeo_cache_entries', 'Partitions a cache tier holds', 'entries'],
    ] as const) {
      new Gauge({
        name,
        help,
        labelNames: ['tier'],
        registers,
        collect() {
          this.reset();
          for (const [tier, st] of tiers()) this.set({ tier }, st[field]);
        },
      });
    }
    new Counter({
      name: 'wekeo_cache_evictions_total',
      help: 'Partitions a cache tier dropped to stay within its budget',
      labelNames: ['tier'],
      registers,
      collect() {
        this.reset();
        for (const [tier, st] of tiers()) this.inc({ tier }, st.evictions);
      },
    });
    new Counter({
      name: 'wekeo_hda_requests_total',
      help: 'HTTP responses from the WEkEO HDA broker by status ("error": no response)',
      labelNames: ['status'],
      registers,
      collect() {
        this.reset();
        for (const [status, n] of hdaStats.requests) this.inc({ status }, n);
      },
    });
    counterFrom('wekeo_hda_retries_total', 'Waits before another attempt of an HDA request (backoff, quota)', () => hdaStats.retries, registers);
    counterFrom('wekeo_hda_bytes_downloaded_total', 'Product bytes downloaded from WEkEO HDA', () => hdaStats.bytesDownloaded, registers);
  }

  record(r: RequestRecord): void {
    this.requests.inc({ rpc: r.method, status: r.status });
  }

  /** A data stream starts; the returned function ends it (idempotent). */
  streamOpened(): () => void {
    this.streams.inc();
    let open = true;
    return () => {
      if (open) this.streams.dec();
      open = false;
    };
  }

  sent(dataset: string, rows: number, bytes: number): void {
    this.rows.inc({ dataset }, rows);
    this.bytes.inc({ dataset }, bytes);
  }

  observeDecode(seconds: number): void {
    this.decode.observe(seconds);
  }

  /** The exposition text and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** A counter whose value is read from an existing monotonic count when scraped. */
function counterFrom(name: string, help: string, read: () => number, registers: Registry[]): void {
  new Counter({
    name,
    help,
    registers,
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}
