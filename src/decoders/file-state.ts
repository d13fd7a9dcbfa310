/**
 * The one per-file cache of decoder state (indexes, analyses, open-file facts). Entries are keyed
 * by path, size and mtime, so a rewritten file is re-indexed; the cache is an LRU with a fixed
 * number of entries; a failed build is dropped so the next call retries; a missing file is a
 * typed NOT_FOUND. Decoders keep no caches of their own.
 */
import { stat } from 'node:fs/promises';
import { DecodeError } from './errors.js';

/** Identity of a file's contents as the cache sees them. */
export interface FileIdentity {
  path: string;
  size: number;
  mtimeMs: number;
}

export async function fileIdentity(path: string): Promise<FileIdentity> {
  try {
    const st = await stat(path);
    return { path, size: st.size, mtimeMs: st.mtimeMs };
  } catch (e) {
    throw notReadable(path, e);
  }
}

/** ENOENT → NOT_FOUND, anything else → CORRUPT, naming the errno code only. */
export function notReadable(path: string, e: unknown): DecodeError {
  const code = (e as NodeJS.ErrnoException).code;
  return new DecodeError(code === 'ENOENT' ? 'NOT_FOUND' : 'CORRUPT', path, `cannot read file (${code ?? (e as Error).message ?? String(e)})`);
}

/** Counters of one cache, for the pool's stats (which worker built which file's state). */
export interface FileStateStats {
  kind: string;
  entries: number;
  builds: number;
  hits: number;
}

const allCaches: Array<FileStateCache<unknown>> = [];

/** Counters of every file-state cache of this thread. */
export function fileStateStats(): FileStateStats[] {
  return allCaches.map((c) => c.stats());
}

export class FileStateCache<T> {
  private readonly entries = new Map<string, Promise<T>>();
  private builds = 0;
  private hits = 0;

  /** `kind` separates the states of different decoders (and of different jobs within one). */
  constructor(
    private readonly kind: string,
    private readonly capacity = 32,
  ) {
    allCaches.push(this as FileStateCache<unknown>);
  }

  stats(): FileStateStats {
    return { kind: this.kind, entries: this.entries.size, builds: this.builds, hits: this.hits };
  }

  /** The state of `path`, built once per file version by `build`. */
  async get(path: string, build: (id: FileIdentity) => Promise<T>): Promise<T> {
    const id = await fileIdentity(path);
    const key = `${this.kind}\0${id.path}\0${id.size}\0${id.mtimeMs}`;
    let p = this.entries.get(key);
    if (p) {
      this.hits++;
      this.entries.delete(key); // LRU: re-insert as most recent
      this.entries.set(key, p);
      return p;
    }
    this.builds++;
    p = build(id);
    this.entries.set(key, p);
    p.catch(() => {
      if (this.entries.get(key) === p) this.entries.delete(key);
    });
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return p;
  }

  clear(): void {
    this.entries.clear();
  }
}
