/**
 * The bridge's view of all datasets: an ordered list of sources (the local catalog first, then
 * remote ones such as HDA) plus a bounded cache of file descriptions, because planning runs on
 * every GetFlightInfo and must not re-read file headers each time.
 */
import { FileStateCache } from '../decoders/file-state.js';
import { quote } from '../text/quote.js';
import { DatasetNotFoundError } from './errors.js';
import type { FileDescription } from '../decoders/types.js';
import type { DatasetFile, DatasetInfo, DatasetQuery, DatasetSource, GroupSummary } from './types.js';

export { DatasetNotFoundError } from './errors.js';

export type Describe = (path: string) => Promise<FileDescription>;

/** Descriptions kept in memory; each is small (axes and attributes, no data). */
export const DESCRIPTION_CACHE_ENTRIES = 4096;

export class Catalog {
  private readonly cache: FileStateCache<FileDescription>;

  constructor(
    readonly sources: DatasetSource[],
    private readonly describeFile: Describe,
    cacheEntries = DESCRIPTION_CACHE_ENTRIES,
  ) {
    this.cache = new FileStateCache('catalog-description', cacheEntries);
  }

  /** Dataset names of the last list(), for what refresh() reports as added/removed. */
  private known: Set<string> | undefined;

  async list(): Promise<DatasetInfo[]> {
    const seen = new Set<string>();
    const out: DatasetInfo[] = [];
    for (const s of this.sources) {
      for (const d of await s.list()) {
        if (seen.has(d.name)) continue;
        seen.add(d.name);
        out.push(d);
      }
    }
    this.known = seen;
    return out;
  }

  /**
   * Rescans every source (the refresh-catalog action): sources with their own listing state
   * reload it, file descriptions are dropped so every file is described afresh, and the datasets
   * added or removed since the previous listing are reported.
   */
  async refresh(): Promise<{ datasets: string[]; added: string[]; removed: string[] }> {
    const before = this.known ?? new Set((await this.list()).map((d) => d.name));
    for (const s of this.sources) await s.refresh?.();
    this.cache.clear();
    const now = (await this.list()).map((d) => d.name);
    return { datasets: now, added: now.filter((n) => !before.has(n)), removed: [...before].filter((n) => !now.includes(n)) };
  }

  async source(dataset: string): Promise<DatasetSource> {
    for (const s of this.sources) if (await s.has(dataset)) return s;
    const names = (await this.list()).map((d) => d.name);
    throw new DatasetNotFoundError(`unknown dataset ${quote(dataset)}; available: ${names.join(', ') || '(none)'}`);
  }

  async files(dataset: string, query: DatasetQuery): Promise<DatasetFile[]> {
    return (await this.source(dataset)).files(dataset, query);
  }

  async resolve(dataset: string, key: string): Promise<string> {
    return (await this.source(dataset)).resolve(dataset, key);
  }

  /**
   * The variable groups of a dataset, merged over its files by id (what a query's `group` names,
   * ListFlights lists and GET /datasets/{id} shows). Only for sources whose files are local:
   * listing a remote dataset's groups would download its products, so those give [].
   */
  async groups(dataset: string): Promise<GroupSummary[]> {
    const source = await this.source(dataset);
    if (source.kind !== 'local') return [];
    const byId = new Map<string, GroupSummary>();
    for (const f of await source.files(dataset, {})) {
      const desc = await this.describe(f.path).catch(() => null); // an unreadable file fails its own queries, not the listing
      for (const g of desc?.groups ?? []) {
        let s = byId.get(g.id);
        if (!s) {
          s = { id: g.id, variables: [], grid: { kind: g.grid.kind, ny: g.grid.ny, nx: g.grid.nx, ...(g.grid.crs ? { crs: g.grid.crs } : {}) }, files: 0, positioned: g.coordinates.some((c) => c.name === 'lat') };
          if (g.metadata?.typeOfLevel) s.levelType = g.metadata.typeOfLevel;
          byId.set(g.id, s);
        }
        s.files++;
        for (const v of g.variables) if (!s.variables.includes(v.name)) s.variables.push(v.name);
      }
    }
    return [...byId.values()];
  }

  /** Cached by path, size and mtime, so a replaced file is described again. */
  describe(path: string): Promise<FileDescription> {
    return this.cache.get(path, () => this.describeFile(path));
  }
}
