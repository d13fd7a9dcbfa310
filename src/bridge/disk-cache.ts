/**
 * The disk tier of the decoded-partition cache (`--cache-dir`, `--cache-disk`): each entry is one
 * Arrow IPC stream file holding exactly the record batches a DoGet sent, so a hit streams them
 * back without decoding, and survives a restart. Files are written to a temporary name and
 * renamed when the stream completed, so a crash never leaves a partial entry under a final name.
 * Bytes being written count against the budget as they are written (least recently used entries
 * are deleted to make room, a write that still does not fit is dropped): the directory never
 * holds more than the budget, however many streams write at once. One bridge per directory.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, stat, unlink, utimes, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { RecordBatch, RecordBatchReader, type Schema } from 'apache-arrow';
import { ipcMessage, recordBatchParts, schemaHeader } from './flight-data.js';

/** Counters of one cache tier (the memory and disk tiers report the same shape). */
export interface CacheTierStats {
  budgetBytes: number;
  bytes: number;
  entries: number;
  hits: number;
  misses: number;
  evictions: number;
}

/** Bumped when what an entry holds changes meaning: old files then never match a key. */
const FORMAT = 'wekeo-disk-cache-1';
const ENTRY = /^[0-9a-f]{64}\.arrows$/;
const TEMP = /^[0-9a-f]{64}\.[0-9a-f]+\.tmp$/;
const EOS = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
/** Bytes a writer may have queued for the disk before the stream waits for it. */
const MAX_PENDING_WRITE_BYTES = 8 * 2 ** 20;

export interface DiskEntryWriter {
  /** Appends one record batch (as sent); stops silently once the entry no longer fits. */
  write(batch: RecordBatch): Promise<void>;
  /** The stream completed: the entry becomes visible under its final name. */
  commit(): Promise<void>;
  /** The stream did not complete: the temporary file is deleted. */
  abandon(): Promise<void>;
}

export class DiskCache {
  /** File name → bytes, least recently used first. */
  private readonly entries = new Map<string, number>();
  private bytes = 0;
  private writing = 0;
  private hits = 0;
  private misses = 0;
  private evictions = 0;
  private lock: Promise<unknown> = Promise.resolve();
  /** Largest entry admitted (as in the memory tier: one big slice must not flush many small ones). */
  readonly maxEntryBytes: number;

  private constructor(
    readonly dir: string,
    readonly budgetBytes: number,
  ) {
    this.maxEntryBytes = Math.floor(budgetBytes / 4);
  }

  /**
   * Opens (creating) the directory, deletes temporary files a previous run left, and indexes
   * the entries already there, least recently used (oldest mtime) first, within the budget.
   */
  static async open(dir: string, budgetBytes: number): Promise<DiskCache> {
    const c = new DiskCache(dir, budgetBytes);
    await mkdir(dir, { recursive: true });
    const found: Array<{ name: string; size: number; mtimeMs: number }> = [];
    for (const name of await readdir(dir)) {
      if (TEMP.test(name)) await unlink(join(dir, name)).catch(() => {});
      else if (ENTRY.test(name)) {
        const st = await stat(join(dir, name)).catch(() => undefined);
        if (st?.isFile()) found.push({ name, size: st.size, mtimeMs: st.mtimeMs });
      }
    }
    found.sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const f of found) {
      c.entries.set(f.name, f.size);
      c.bytes += f.size;
    }
    await c.reserve(0);
    return c;
  }

  /** The entry's record batches, or undefined on a miss (or an unreadable file, which is dropped). */
  async get(key: string): Promise<AsyncGenerator<RecordBatch> | undefined> {
    const name = fileName(key);
    const bytes = this.entries.get(name);
    if (bytes === undefined) {
      this.misses++;
      return undefined;
    }
    const path = join(this.dir, name);
    let fh: FileHandle | undefined;
    try {
      fh = await open(path, 'r');
      const reader = await RecordBatchReader.from(fh);
      await reader.open();
      this.hits++;
      // Evicted while it was being opened: still served (the open file stays readable), not re-listed.
      if (this.entries.get(name) === bytes) {
        this.entries.delete(name);
        this.entries.set(name, bytes);
        // The mtime orders entries after a restart.
        const now = new Date();
        void utimes(path, now, now).catch(() => {});
      }
      return readAll(reader, fh);
    } catch {
      await fh?.close().catch(() => {});
      await this.drop(name); // deleted meanwhile, or damaged: decode again
      this.misses++;
      return undefined;
    }
  }

  /** A writer for a miss being streamed, or undefined when the budget is 0. */
  writer(key: string, schema: Schema): DiskEntryWriter | undefined {
    if (this.budgetBytes <= 0) return undefined;
    const name = fileName(key);
    const temp = join(this.dir, `${name.slice(0, -'.arrows'.length)}.${randomBytes(6).toString('hex')}.tmp`);
    let fh: Promise<FileHandle> | undefined;
    let held = 0;
    let pending = 0;
    let chain: Promise<void> = Promise.resolve();
    let failed = false;
    let closed = false;

    const release = () => {
      this.writing -= held;
      held = 0;
    };
    const append = async (bytes: Uint8Array): Promise<void> => {
      if (failed) return;
      if (held + bytes.byteLength > this.maxEntryBytes || !(await this.reserve(bytes.byteLength))) {
        failed = true;
        return;
      }
      held += bytes.byteLength;
      pending += bytes.byteLength;
      fh ??= open(temp, 'wx');
      const file = fh;
      chain = chain
        .then(async () => {
          if (!failed) await (await file).write(bytes);
        })
        .catch(() => {
          failed = true; // a full or failing disk drops the entry, never the stream
        })
        .finally(() => {
          pending -= bytes.byteLength;
        });
      if (pending > MAX_PENDING_WRITE_BYTES) await chain;
    };
    const finish = async (keep: boolean): Promise<void> => {
      if (closed) return;
      closed = true;
      await chain;
      const file = fh;
      if (file) await (await file).close().catch(() => {});
      if (keep && !failed && file) {
        try {
          await rename(temp, join(this.dir, name));
          const old = this.entries.get(name);
          if (old !== undefined) {
            this.entries.delete(name);
            this.bytes -= old;
          }
          this.entries.set(name, held);
          this.bytes += held;
          this.writing -= held;
          held = 0;
          return;
        } catch {
          // fall through: the temporary file is deleted
        }
      }
      if (file) await unlink(temp).catch(() => {});
      release();
    };

    let started = false;
    return {
      write: async (batch) => {
        if (!started) {
          started = true;
          await append(ipcMessage(schemaHeader(schema)));
        }
        const parts = recordBatchParts(batch);
        await append(ipcMessage(parts.header, parts));
      },
      commit: async () => {
        if (!started) await append(ipcMessage(schemaHeader(schema))); // an empty slice is an entry too
        await append(EOS);
        await finish(true);
      },
      abandon: () => finish(false),
    };
  }

  stats(): CacheTierStats {
    return { budgetBytes: this.budgetBytes, bytes: this.bytes + this.writing, entries: this.entries.size, hits: this.hits, misses: this.misses, evictions: this.evictions };
  }

  /**
   * Counts `n` more bytes as being written, deleting least recently used entries to make room;
   * false if they cannot fit. Reservations run one at a time, and a deleted entry's bytes are
   * freed only once its file is gone, so the directory stays within the budget at every moment.
   */
  private reserve(n: number): Promise<boolean> {
    const r = this.lock.then(async () => {
      while (this.bytes + this.writing + n > this.budgetBytes && this.entries.size) {
        await this.drop(this.entries.keys().next().value!);
        this.evictions++;
      }
      if (this.bytes + this.writing + n > this.budgetBytes) return false;
      this.writing += n;
      return true;
    });
    this.lock = r.catch(() => false);
    return r;
  }

  private async drop(name: string): Promise<void> {
    const bytes = this.entries.get(name);
    if (bytes === undefined) return;
    this.entries.delete(name);
    // An open reader keeps its file until it finishes (POSIX unlink semantics).
    await unlink(join(this.dir, name)).catch(() => {});
    this.bytes -= bytes;
  }
}

function fileName(key: string): string {
  return `${createHash('sha256').update(FORMAT).update('\0').update(key).digest('hex')}.arrows`;
}

async function* readAll(reader: AsyncIterable<RecordBatch>, fh: FileHandle): AsyncGenerator<RecordBatch> {
  try {
    for await (const batch of reader) yield batch;
  } finally {
    await fh.close().catch(() => {});
  }
}
