/**
 * A catalog folder: each subfolder is a dataset named after it, holding data files (any depth).
 * With no folder given, the bridge serves the sample catalog shipped in the package (samples/).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quote } from '../text/quote.js';
import { CatalogAccessError } from './errors.js';
import type { DatasetFile, DatasetInfo, DatasetQuery, DatasetSource } from './types.js';

/** samples/ at the package root; the same relative path from src/catalog and dist/catalog. */
export const EMBEDDED_CATALOG = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'samples');

const IGNORED = /(^\.|\.oracle\.json$|\.md$|\.txt$|\.json$|\.aux\.xml$|\.lock$|\.tmp$)/i;

export class LocalSource implements DatasetSource {
  readonly kind = 'local';
  constructor(readonly root: string) {}

  async list(): Promise<DatasetInfo[]> {
    const entries = await readdir(this.root, { withFileTypes: true });
    const out: DatasetInfo[] = [];
    const isDir = async (e: (typeof entries)[number]): Promise<boolean> =>
      e.isDirectory() || (e.isSymbolicLink() && (await stat(join(this.root, e.name)).then((s) => s.isDirectory(), () => false)));
    const dirs = [];
    for (const e of entries) if (!e.name.startsWith('.') && (await isDir(e))) dirs.push(e);
    for (const e of dirs.sort((a, b) => a.name.localeCompare(b.name))) {
      out.push({ name: e.name, description: await this.describeDataset(e.name), source: this.kind });
    }
    return out;
  }

  async has(dataset: string): Promise<boolean> {
    if (!isSafeName(dataset)) return false;
    try {
      return (await stat(join(this.root, dataset))).isDirectory();
    } catch {
      return false;
    }
  }

  async files(dataset: string, _query: DatasetQuery): Promise<DatasetFile[]> {
    const dir = join(this.root, dataset);
    const paths = await walk(dir);
    return paths.map((p) => ({ key: relative(dir, p).split(sep).join('/'), path: p }));
  }

  async resolve(dataset: string, key: string): Promise<string> {
    if (!isSafeName(dataset)) throw new CatalogAccessError(`invalid dataset name ${quote(dataset)}`);
    const dir = resolve(this.root, dataset);
    const p = resolve(dir, key);
    if (!p.startsWith(dir + sep)) throw new CatalogAccessError(`file key ${quote(key)} escapes dataset ${dataset}`);
    return p;
  }

  /** First line of the dataset's README.md when there is one. */
  private async describeDataset(name: string): Promise<string> {
    const readme = join(this.root, name, 'README.md');
    if (!existsSync(readme)) return '';
    const text = await readFile(readme, 'utf8');
    return text.split('\n').find((l) => l.trim())?.replace(/^#+\s*/, '').trim() ?? '';
  }
}

function isSafeName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) && name !== '..';
}

/** Files under a dataset folder, sorted; symbolic links are followed (data is often linked in), at most 16 levels deep. */
async function walk(dir: string, depth = 0): Promise<string[]> {
  const out: string[] = [];
  if (depth > 16) return out;
  const entries = await readdir(dir, { withFileTypes: true });
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (IGNORED.test(e.name)) continue;
    const p = join(dir, e.name);
    const kind = e.isSymbolicLink() ? await stat(p).then((s) => (s.isDirectory() ? 'dir' : s.isFile() ? 'file' : null), () => null) : e.isDirectory() ? 'dir' : e.isFile() ? 'file' : null;
    if (kind === 'dir') out.push(...(await walk(p, depth + 1)));
    else if (kind === 'file') out.push(p);
  }
  return out;
}
