/**
 * Decoded partitions kept in memory, so a slice read twice (a Spark retry or speculative task, a
 * second notebook run, an ML epoch) streams without decoding. An LRU counted in Arrow buffer
 * bytes. Keys hold the file's identity (path, size, mtime) and the whole slice, so a changed
 * file is never served stale. A miss collects its batches while it streams and is stored only
 * when the stream completes; what misses may hold while collecting is itself bounded, so the
 * cache adds at most budget × 1.25 to the bridge's memory however many streams are open.
 */
import type { ColumnBatch } from '../decoders/types.js';

export interface PartitionCacheStats {
  budgetBytes: number;
  bytes: number;
  entries: number;
  hits: number;
  misses: number;
  evictions: number;
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

  constructor(readonly budgetBytes: number) {
    this.maxEntryBytes = Math.floor(budgetBytes / 4);
  }

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
   * Collects a miss's batches; `add` returns the batch and silently stops collecting once the
   * entry or the shared collecting budget would be exceeded. `commit` stores what was complete.
   */
  collector(key: string): { add(b: ColumnBatch): void; commit(): void; abandon(): void } | undefined {
    if (this.budgetBytes <= 0) return undefined;
    let batches: ColumnBatch[] | undefined = [];
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
      commit: () => {
        if (batches) this.store(key, batches, held);
        release();
      },
      abandon: release,
    };
  }

  stats(): PartitionCacheStats {
    return { budgetBytes: this.budgetBytes, bytes: this.bytes, entries: this.entries.size, hits: this.hits, misses: this.misses, evictions: this.evictions };
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
