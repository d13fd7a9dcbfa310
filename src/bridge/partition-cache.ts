/**
 * The decoded-partition cache, so a slice read twice (a Spark retry or speculative task, a
 * second notebook run, an ML epoch) streams without decoding. Two tiers: an LRU in memory
 * counted in Arrow buffer bytes, and optionally Arrow IPC files on disk (disk-cache.ts), asked
 * when memory misses. Keys hold the file's identity (path, size, mtime) and the whole slice, so
 * a changed file is never served stale. A miss collects its batches while it streams and is
 * stored only when the stream completes; what misses may hold while collecting is itself
 * bounded, so the memory tier adds at most budget × 1.25 to the bridge's memory however many
 * streams are open.
 */
import type { RecordBatch, Schema } from 'apache-arrow';
import type { ColumnBatch } from '../decoders/types.js';
import type { CacheTierStats, DiskCache, DiskEntryWriter } from './disk-cache.js';

/**
 * What stats() reports; a stable shape (the cache-stats action and /metrics read it). The top
 * level is the memory tier's budget, bytes, entries and evictions, with `hits` counting slices
 * served from either tier and `misses` the slices decoded; `tiers` has each tier's own counters
 * (`disk` is null without --cache-dir; a disk lookup happens only after a memory miss).
 */
export interface PartitionCacheStats extends CacheTierStats {
  tiers: { memory: CacheTierStats; disk: CacheTierStats | null };
}

export type { CacheTierStats };

/** A hit: decoded batches from memory, or the record batches a disk entry holds (as sent). */
export type CacheHit = { tier: 'memory'; batches: ColumnBatch[] } | { tier: 'disk'; batches: AsyncGenerator<RecordBatch> };

/** Collects a miss while it streams: decoded batches for memory, sent record batches for disk. */
export interface CacheCollector {
  add(b: ColumnBatch): void;
  /** A record batch as sent to the client (written to the disk tier). */
  sent(b: RecordBatch): Promise<void>;
  commit(): Promise<void>;
  abandon(): Promise<void>;
}

interface Entry {
  batches: ColumnBatch[];
  bytes: number;
}

export function batchBytes(b: ColumnBatch): number {
  let n = 0;
  for (const c of b.columns) n += c.values.byteLength + (c.validity?.byteLength ?? 0);
  return n;
}

export class PartitionCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private collecting = 0;
  private hits = 0;
  private misses = 0;
  private evictions = 0;
  /** Largest partition admitted; bigger ones would push out many small ones. */
  readonly maxEntryBytes: number;

  constructor(
    readonly budgetBytes: number,
    readonly disk?: DiskCache,
  ) {
    this.maxEntryBytes = Math.floor(budgetBytes / 4);
  }

  /** Memory first, then disk (whose entries hold batches as sent: `diskKey` names those). */
  async lookup(key: string, diskKey = key): Promise<CacheHit | undefined> {
    const batches = this.get(key);
    if (batches) return { tier: 'memory', batches };
    const fromDisk = await this.disk?.get(diskKey);
    return fromDisk ? { tier: 'disk', batches: fromDisk } : undefined;
  }

  /** The memory tier only. */
  get(key: string): ColumnBatch[] | undefined {
    const e = this.entries.get(key);
    if (!e) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.batches;
  }

  /**
   * Collects a miss's batches; `add` silently stops collecting for memory once the entry or the
   * shared collecting budget would be exceeded (the disk writer has its own budget). `commit`
   * stores what was complete. Undefined when both tiers are off.
   */
  collector(key: string, sent?: { key: string; schema: Schema }): CacheCollector | undefined {
    const disk: DiskEntryWriter | undefined = sent ? this.disk?.writer(sent.key, sent.schema) : undefined;
    if (this.budgetBytes <= 0 && !disk) return undefined;
    let batches: ColumnBatch[] | undefined = this.budgetBytes > 0 ? [] : undefined;
    let held = 0;
    const release = () => {
      this.collecting -= held;
      held = 0;
      batches = undefined;
    };
    return {
      add: (b) => {
        if (!batches) return;
        const n = batchBytes(b);
        if (held + n > this.maxEntryBytes || this.collecting + n > this.budgetBytes / 4) return release();
        batches.push(b);
        held += n;
        this.collecting += n;
      },
      sent: async (b) => {
        await disk?.write(b);
      },
      commit: async () => {
        if (batches) this.store(key, batches, held);
        release();
        await disk?.commit();
      },
      abandon: async () => {
        release();
        await disk?.abandon();
      },
    };
  }

  stats(): PartitionCacheStats {
    const memory: CacheTierStats = { budgetBytes: this.budgetBytes, bytes: this.bytes, entries: this.entries.size, hits: this.hits, misses: this.misses, evictions: this.evictions };
    const disk = this.disk?.stats() ?? null;
    return { ...memory, hits: memory.hits + (disk?.hits ?? 0), misses: disk ? disk.misses : memory.misses, tiers: { memory, disk } };
  }

  private store(key: string, batches: ColumnBatch[], bytes: number): void {
    const old = this.entries.get(key);
    if (old) {
      this.bytes -= old.bytes;
      this.entries.delete(key);
    }
    while (this.entries.size && this.bytes + bytes > this.budgetBytes) {
      const [k, e] = this.entries.entries().next().value!;
      this.entries.delete(k);
      this.bytes -= e.bytes;
      this.evictions++;
    }
    if (this.bytes + bytes > this.budgetBytes) return;
    this.entries.set(key, { batches, bytes });
    this.bytes += bytes;
  }
}
