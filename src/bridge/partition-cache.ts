/**
 * The decoded-partition cache, so a slice read twice (a Spark retry or speculative task, a
 * second notebook run, an ML epoch) streams without decoding. Two tiers: an LRU in memory
 * counted in Arrow buffer bytes, and optionally Arrow IPC files on disk (disk-cache.ts), asked
 * when memory misses. Keys hold the file's identity (path, size, mtime) and the whole slice, so
 * a changed file is never served stale. A miss collects its batches while it streams and is
 * stored only when the stream completes; what misses may hold while collecting is itself
 * bounded, so the memory tier adds at most budget × 1.25 to the bridge's memory however many
 * streams are open. A disk hit is promoted: the record batches it streams are kept (under the
 * same bounds) as a memory entry of batches as sent, so the next read of that slice is a memory hit.
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

/**
 * A hit: decoded batches from memory, or record batches as sent (from a disk entry, or from
 * memory where a disk hit was promoted), which stream as they are.
 */
export type CacheHit = { tier: 'memory'; batches: ColumnBatch[] } | { tier: 'memory' | 'disk'; sent: AsyncIterable<RecordBatch> | RecordBatch[] };

/** Collects a miss while it streams: decoded batches for memory, sent record batches for disk. */
export interface CacheCollector {
  add(b: ColumnBatch): void;
  /** A record batch as sent to the client (written to the disk tier). */
  sent(b: RecordBatch): Promise<void>;
  commit(): Promise<void>;
  abandon(): Promise<void>;
}

type Entry = { batches: ColumnBatch[]; bytes: number } | { sent: RecordBatch[]; bytes: number };

/** Memory keys of promoted disk entries (batches as sent), apart from decoded entries' keys. */
const SENT = 'sent\0';

/** Buffer bytes of a record batch (what it holds in memory). */
export function recordBatchBytes(b: RecordBatch): number {
  let n = 0;
  const visit = (d: RecordBatch['data']) => {
    for (const buf of [d.values, d.nullBitmap, d.valueOffsets, d.typeIds] as Array<ArrayBufferView | undefined>) n += buf?.byteLength ?? 0;
    for (const c of d.children) visit(c as RecordBatch['data']);
  };
  visit(b.data);
  return n;
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

  /**
   * Memory first (decoded, then promoted disk entries), then disk, whose entries hold batches as
   * sent (`diskKey` names those). One lookup counts one hit or one miss per tier asked.
   */
  async lookup(key: string, diskKey = key): Promise<CacheHit | undefined> {
    const e = this.touch(key) ?? this.touch(SENT + diskKey);
    if (e) {
      this.hits++;
      return 'batches' in e ? { tier: 'memory', batches: e.batches } : { tier: 'memory', sent: e.sent };
    }
    this.misses++;
    const fromDisk = await this.disk?.get(diskKey);
    return fromDisk ? { tier: 'disk', sent: this.promote(SENT + diskKey, fromDisk) } : undefined;
  }

  /** The memory tier's decoded entries only. */
  get(key: string): ColumnBatch[] | undefined {
    const e = this.touch(key);
    if (e) this.hits++;
    else this.misses++;
    return e && 'batches' in e ? e.batches : undefined;
  }

  private touch(key: string): Entry | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    this.entries.set(key, e);
    return e;
  }

  /**
   * Streams a disk hit while keeping its batches, within the entry size and the shared collecting
   * budget as for a miss; stored in memory only when the stream completes.
   */
  private async *promote(key: string, batches: AsyncGenerator<RecordBatch>): AsyncGenerator<RecordBatch> {
    let kept: RecordBatch[] | undefined = this.budgetBytes > 0 ? [] : undefined;
    let held = 0;
    let complete = false;
    try {
      for await (const b of batches) {
        if (kept) {
          const n = recordBatchBytes(b);
          if (held + n > this.maxEntryBytes || this.collecting + n > this.budgetBytes / 4) {
            this.collecting -= held;
            held = 0;
            kept = undefined;
          } else {
            kept.push(b);
            held += n;
            this.collecting += n;
          }
        }
        yield b;
      }
      complete = true;
    } finally {
      this.collecting -= held;
      if (complete && kept) this.store(key, { sent: kept, bytes: held });
      await batches.return(undefined);
    }
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
        if (batches) this.store(key, { batches, bytes: held });
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

  private store(key: string, entry: Entry): void {
    const old = this.entries.get(key);
    if (old) {
      this.bytes -= old.bytes;
      this.entries.delete(key);
    }
    while (this.entries.size && this.bytes + entry.bytes > this.budgetBytes) {
      const [k, e] = this.entries.entries().next().value!;
      this.entries.delete(k);
      this.bytes -= e.bytes;
      this.evictions++;
    }
    if (this.bytes + entry.bytes > this.budgetBytes) return;
    this.entries.set(key, entry);
    this.bytes += entry.bytes;
  }
}
