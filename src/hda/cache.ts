/**
 * The download cache, shared by CLI runs and bridge processes: one directory per (dataset,
 * product), installed by an atomic rename only when complete (a partial file is never visible),
 * a per-entry lock file so concurrent processes do not download the same product twice (it
 * names its holder's host and pid: a lock left by a process that died on this host, e.g. after
 * kill -9, is taken over at once; one from another host only when it is old), a size
 * limit with least-recently-used eviction, and zip products unpacked next to the archive.
 * Search results are cached too, keyed by the normalized search body, with a time limit.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { link, mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, relative, sep } from 'node:path';
import { extractEntry, isZip, listZip } from './zip.js';

export interface CacheEntry {
  dataset: string;
  productId: string;
  filename: string;
  bytes: number;
  lastAccess: number;
  /** Data files inside the entry (the file itself, or the members of a zip), relative to the entry dir. */
  files: string[];
}

export interface CacheOptions {
  /** Bytes kept before least-recently-used entries are evicted. */
  maxBytes?: number;
  /** A lock from another host older than this is taken as abandoned and broken (same host: pid check). */
  staleLockMs?: number;
  queryTtlMs?: number;
  /** Where "waiting for lock ..." lines go (default stderr); null for silence. */
  log?: ((line: string) => void) | null;
}

/** What a lock file holds: who holds it, and a nonce so a takeover never removes a fresh lock. */
export interface LockOwner {
  pid: number;
  host: string;
  since: number;
  nonce: string;
  /** What is being downloaded, for the waiting message. */
  what?: string;
}

/** Whether a process with this pid exists on this host (EPERM: it exists but is not ours). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Parses a lock file: JSON, or the bare pid older versions wrote (taken as this host's). */
export function parseLock(text: string): Partial<LockOwner> {
  try {
    const j = JSON.parse(text) as unknown;
    if (typeof j === 'number') return { pid: j, host: hostname() };
    if (j && typeof j === 'object') return j as Partial<LockOwner>;
  } catch {
    /* fall through */
  }
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? { pid, host: hostname() } : {};
}

export const DEFAULT_CACHE_BYTES = 50 * 1024 ** 3;
const DATA_FILE = /\.(nc|nc4|netcdf|h5|hdf5|grib|grib1|grib2|grb|grb2|tif|tiff)$/i;

export function cacheKey(dataset: string, productId: string): string {
  return createHash('sha256').update(`${dataset}\0${productId}`).digest('hex').slice(0, 32);
}

export class DownloadCache {
  readonly maxBytes: number;
  private readonly staleLockMs: number;
  private readonly queryTtlMs: number;
  private readonly log: ((line: string) => void) | null;

  constructor(
    readonly dir: string,
    opts: CacheOptions = {},
  ) {
    this.maxBytes = opts.maxBytes ?? DEFAULT_CACHE_BYTES;
    this.staleLockMs = opts.staleLockMs ?? 30 * 60_000;
    this.queryTtlMs = opts.queryTtlMs ?? 60 * 60_000;
    this.log = opts.log === undefined ? (line) => process.stderr.write(`${line}\n`) : opts.log;
  }

  entryDir(dataset: string, productId: string): string {
    return join(this.dir, 'entries', cacheKey(dataset, productId));
  }

  async get(dataset: string, productId: string): Promise<{ dir: string; entry: CacheEntry } | null> {
    const dir = this.entryDir(dataset, productId);
    try {
      const entry = JSON.parse(await readFile(join(dir, 'entry.json'), 'utf8')) as CacheEntry;
      entry.lastAccess = Date.now();
      await this.writeJsonAtomic(join(dir, 'entry.json'), entry).catch(() => undefined);
      return { dir, entry };
    } catch {
      return null;
    }
  }

  /**
   * Returns the cached entry, or runs `download(tmpPath)` under the entry's lock and installs the
   * result atomically. Other processes wanting the same product wait for the lock holder.
   */
  async ensure(dataset: string, productId: string, download: (tmpFile: string) => Promise<{ filename: string | null }>): Promise<{ dir: string; entry: CacheEntry }> {
    const hit = await this.get(dataset, productId);
    if (hit) return hit;
    await mkdir(join(this.dir, 'entries'), { recursive: true });
    await mkdir(join(this.dir, 'partial'), { recursive: true });
    const key = cacheKey(dataset, productId);
    const lock = join(this.dir, 'partial', `${key}.lock`);
    const held = await this.acquire(lock, `${productId} of ${dataset}`, () => this.get(dataset, productId).then((x) => x !== null));
    try {
      const again = await this.get(dataset, productId);
      if (again) return again;
      // The partial file survives crashes so a later run resumes it with Range.
      const partial = join(this.dir, 'partial', `${key}.part`);
      const { filename } = await download(partial);
      const staging = join(this.dir, 'entries', `${key}.staging-${randomBytes(4).toString('hex')}`);
      await mkdir(staging, { recursive: true });
      const name = filename ?? `${productId.replace(/[^A-Za-z0-9._+-]/g, '_')}`;
      await rename(partial, join(staging, name));
      const files = await this.unpack(staging, name);
      const bytes = await dirBytes(staging);
      const entry: CacheEntry = { dataset, productId, filename: name, bytes, lastAccess: Date.now(), files };
      await writeFile(join(staging, 'entry.json'), JSON.stringify(entry));
      const final = this.entryDir(dataset, productId);
      await rename(staging, final).catch(async (e: NodeJS.ErrnoException) => {
        // Another process installed it first: keep theirs.
        await rm(staging, { recursive: true, force: true });
        if (!existsSync(final)) throw e;
      });
      await this.evict(final);
      return (await this.get(dataset, productId))!;
    } finally {
      // Only our own lock is removed (not one taken by another process since).
      if (held && (await readFile(lock, 'utf8').catch(() => null)) === held) await rm(lock, { force: true });
    }
  }

  /** Zip archives are unpacked; the data files are what decoders open. */
  private async unpack(dir: string, name: string): Promise<string[]> {
    const path = join(dir, name);
    if (!(await isZip(path))) return [name];
    const files: string[] = [];
    for (const e of await listZip(path)) {
      if (e.name.endsWith('/') || !DATA_FILE.test(e.name)) continue;
      const safe = e.name.split('/').filter((p) => p && p !== '.' && p !== '..').join(sep);
      const dest = join(dir, 'unzipped', safe);
      await mkdir(join(dest, '..'), { recursive: true });
      await extractEntry(path, e, dest);
      files.push(relative(dir, dest).split(sep).join('/'));
    }
    return files.sort();
  }

  /** Takes the lock (returns what was written in it), or returns null once `done()` says the work is done. */
  private async acquire(lock: string, what: string, done: () => Promise<boolean>): Promise<string | null> {
    const me: LockOwner = { pid: process.pid, host: hostname(), since: Date.now(), nonce: randomBytes(8).toString('hex'), what };
    let announced = '';
    for (;;) {
      try {
        const fh = await open(lock, 'wx');
        const text = JSON.stringify(me);
        await fh.writeFile(text);
        await fh.close();
        return text;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const text = await readFile(lock, 'utf8').catch(() => null);
      if (text === null) continue; // released meanwhile
      const owner = parseLock(text);
      const st = await stat(lock).catch(() => null);
      const sameHost = owner.host === hostname();
      const dead = sameHost ? !processAlive(owner.pid ?? -1) : st !== null && Date.now() - st.mtimeMs > this.staleLockMs;
      // A lock being written this instant reads as empty: give its writer a moment.
      const young = st !== null && Date.now() - st.mtimeMs < 1000 && owner.pid === undefined;
      if (dead && !young) {
        if (await this.takeOver(lock, text)) {
          this.log?.(`wekeo: taking over the download lock of ${what} left by ${describeOwner(owner)}, which is gone`);
        }
        continue;
      }
      if (await done()) return null;
      const line = `wekeo: waiting for ${describeOwner(owner)} to finish downloading ${what} (lock ${lock})`;
      if (line !== announced) {
        this.log?.(line);
        announced = line;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /**
   * Removes a dead holder's lock without ever removing a live one: the lock is moved aside
   * atomically, and if what was moved is not the content judged dead (another process took
   * over in between), it is put back with link(), which never overwrites.
   */
  private async takeOver(lock: string, judged: string): Promise<boolean> {
    const aside = `${lock}.stale-${randomBytes(4).toString('hex')}`;
    try {
      await rename(lock, aside);
    } catch {
      return false; // someone else moved or released it
    }
    const moved = await readFile(aside, 'utf8').catch(() => null);
    if (moved !== judged) await link(aside, lock).catch(() => undefined);
    await unlink(aside).catch(() => undefined);
    return moved === judged;
  }

  /** Drops least-recently-used entries until the cache fits, never the one just installed. */
  async evict(keep?: string): Promise<string[]> {
    const root = join(this.dir, 'entries');
    const entries: Array<{ dir: string; e: CacheEntry }> = [];
    for (const name of await readdir(root).catch(() => [] as string[])) {
      if (name.includes('.staging-')) continue;
      const dir = join(root, name);
      try {
        entries.push({ dir, e: JSON.parse(await readFile(join(dir, 'entry.json'), 'utf8')) as CacheEntry });
      } catch {
        /* an entry being installed or damaged: leave it */
      }
    }
    let total = entries.reduce((s, x) => s + x.e.bytes, 0);
    const removed: string[] = [];
    for (const x of entries.sort((a, b) => a.e.lastAccess - b.e.lastAccess)) {
      if (total <= this.maxBytes) break;
      if (x.dir === keep) continue;
      await rm(x.dir, { recursive: true, force: true });
      total -= x.e.bytes;
      removed.push(x.e.productId);
    }
    return removed;
  }

  async getQuery<T>(body: unknown): Promise<T | null> {
    try {
      const path = join(this.dir, 'queries', `${queryKey(body)}.json`);
      const st = await stat(path);
      if (Date.now() - st.mtimeMs > this.queryTtlMs) return null;
      return JSON.parse(await readFile(path, 'utf8')) as T;
    } catch {
      return null;
    }
  }

  async putQuery(body: unknown, value: unknown): Promise<void> {
    await mkdir(join(this.dir, 'queries'), { recursive: true });
    await this.writeJsonAtomic(join(this.dir, 'queries', `${queryKey(body)}.json`), value);
  }

  private async writeJsonAtomic(path: string, value: unknown): Promise<void> {
    const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, JSON.stringify(value));
    await rename(tmp, path);
  }
}

function describeOwner(o: Partial<LockOwner>): string {
  const since = o.since ? `, since ${new Date(o.since).toISOString()}` : '';
  return `process ${o.pid ?? '?'} on ${o.host ?? 'an unknown host'}${since}`;
}

/** Stable key of a search: keys sorted at every level. */
export function queryKey(body: unknown): string {
  const norm = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(norm) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, norm((v as Record<string, unknown>)[k])])) : v;
  return createHash('sha256').update(JSON.stringify(norm(body))).digest('hex').slice(0, 32);
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? await dirBytes(p) : (await stat(p)).size;
  }
  return total;
}
