/**
 * The WEkEO HDA v2 client: dataset discovery, queryables, paged search with generic filters,
 * terms acceptance (only with the user's consent) and the asynchronous order/poll/download flow.
 */
import type { HdaConfig } from './config.js';
import { HdaDownloadError, HdaError } from './errors.js';
import { mapQuery, type GenericQuery, type Queryables } from './filters.js';
import { DEFAULT_RETRY, HdaHttp, header, sleep, type RetryPolicy } from './http.js';

export interface DatasetSummary {
  id: string;
  title: string;
  abstract: string;
  terms: string[];
}

export interface Product {
  datasetId: string;
  id: string;
  location: string;
  /** Bytes, or null when the server does not know ("ND", on-demand products). */
  size: number | null;
  start: string | null;
  end: string | null;
  geometry: unknown;
  bbox: [number, number, number, number] | null;
}

interface Page<T> {
  features: T[];
  properties?: { totalResults?: number; startIndex?: number; itemsPerPage?: number };
}

export interface PollPolicy {
  firstDelayMs: number;
  maxDelayMs: number;
  /** Give up on an order that is not ready after this long. */
  deadlineMs: number;
}

export const DEFAULT_POLL: PollPolicy = { firstDelayMs: 1000, maxDelayMs: 30_000, deadlineMs: 60 * 60_000 };

export interface ClientOptions {
  retry?: RetryPolicy;
  poll?: PollPolicy;
  pageSize?: number;
  /** Accept the datasets' terms and conditions automatically (the user's explicit consent). */
  acceptTerms?: boolean;
}

export class HdaClient {
  readonly http: HdaHttp;
  readonly poll: PollPolicy;
  readonly pageSize: number;
  private readonly acceptTerms: boolean;
  private readonly acceptedTerms = new Set<string>();
  private readonly queryableCache = new Map<string, Promise<Queryables>>();

  constructor(config: HdaConfig, opts: ClientOptions = {}) {
    this.http = new HdaHttp(config, opts.retry ?? DEFAULT_RETRY);
    this.poll = opts.poll ?? DEFAULT_POLL;
    this.pageSize = opts.pageSize ?? 100;
    this.acceptTerms = opts.acceptTerms ?? false;
  }

  async *datasets(search?: string, limit = Infinity): AsyncGenerator<DatasetSummary> {
    let start = 0;
    let seen = 0;
    for (;;) {
      const query: Record<string, string | number> = { startIndex: start, itemsPerPage: this.pageSize };
      if (search) query.q = search;
      const page = await this.http.json<Page<RawDataset>>('GET', 'datasets', { query });
      for (const d of page.features ?? []) {
        if (seen++ >= limit) return;
        yield toDataset(d);
      }
      start += page.features?.length ?? 0;
      const total = page.properties?.totalResults ?? 0;
      if (!page.features?.length || start >= total) return;
    }
  }

  async dataset(id: string): Promise<DatasetSummary> {
    return toDataset(await this.http.json<RawDataset>('GET', `datasets/${id}`));
  }

  queryables(id: string): Promise<Queryables> {
    let p = this.queryableCache.get(id);
    if (!p) {
      p = this.http.json<Queryables>('GET', `dataaccess/queryable/${id}`);
      this.queryableCache.set(id, p);
      p.catch(() => this.queryableCache.delete(id));
    }
    return p;
  }

  /** The search body the generic query maps to (also used for cache keys). */
  async searchBody(datasetId: string, q: GenericQuery): Promise<Record<string, unknown>> {
    return mapQuery(datasetId, await this.queryables(datasetId), q);
  }

  async *search(datasetId: string, q: GenericQuery, limit = Infinity): AsyncGenerator<Product> {
    const body = await this.searchBody(datasetId, q);
    await this.ensureTerms(datasetId);
    let start = 0;
    let seen = 0;
    for (;;) {
      const page = await this.http.json<Page<RawFeature>>('POST', 'dataaccess/search', { json: { ...body, startIndex: start, itemsPerPage: this.pageSize } });
      for (const f of page.features ?? []) {
        if (seen++ >= limit) return;
        yield toProduct(datasetId, f);
      }
      start += page.features?.length ?? 0;
      const total = page.properties?.totalResults ?? 0;
      if (!page.features?.length || start >= total) return;
    }
  }

  /** Accepts the dataset's licences once per process, only when the user consented. */
  async ensureTerms(datasetId: string): Promise<void> {
    if (!this.acceptTerms) return;
    const d = await this.dataset(datasetId);
    for (const t of d.terms) {
      if (this.acceptedTerms.has(t)) continue;
      await this.http.call('PUT', `termsaccepted/${t}`, { json: { accepted: true } });
      this.acceptedTerms.add(t);
    }
  }

  /** Orders a product and waits until the broker has it ready; returns the download URL path. */
  async order(p: Product): Promise<{ downloadId: string; path: string }> {
    const r = await this.http.json<{ download_id?: string }>('POST', 'dataaccess/download', { json: { dataset_id: p.datasetId, product_id: p.id, location: p.location } });
    if (!r.download_id) throw new HdaDownloadError(`order of ${p.id} returned no download_id`);
    const path = `dataaccess/download/${r.download_id}`;
    const t0 = Date.now();
    let delay = this.poll.firstDelayMs;
    for (;;) {
      const h = await this.http.call('HEAD', path, { accept: [202] });
      if (h.status === 200) return { downloadId: r.download_id, path };
      if (Date.now() - t0 > this.poll.deadlineMs) {
        throw new HdaDownloadError(`order ${r.download_id} of ${p.id} still not ready after ${Math.round((Date.now() - t0) / 1000)} s`);
      }
      await sleep(delay);
      delay = Math.min(this.poll.maxDelayMs, delay * 1.5);
    }
  }

  close(): Promise<void> {
    return this.http.close();
  }
}

interface RawDataset {
  dataset_id: string;
  terms?: string[];
  metadata?: { _source?: { datasetTitle?: string; abstract?: string } };
}

interface RawFeature {
  id: string;
  geometry?: unknown;
  properties?: { location?: string; size?: number | string; startdate?: string; enddate?: string };
}

function toDataset(d: RawDataset): DatasetSummary {
  if (!d?.dataset_id) throw new HdaError('dataset entry without dataset_id');
  return { id: d.dataset_id, title: d.metadata?._source?.datasetTitle ?? '', abstract: d.metadata?._source?.abstract ?? '', terms: d.terms ?? [] };
}

function toProduct(datasetId: string, f: RawFeature): Product {
  if (!f?.id || !f.properties?.location) throw new HdaError(`search result without id or location in ${datasetId}`);
  const size = typeof f.properties.size === 'number' ? f.properties.size : null;
  return { datasetId, id: f.id, location: f.properties.location, size, start: f.properties.startdate ?? null, end: f.properties.enddate ?? null, geometry: f.geometry ?? null, bbox: bboxOf(f.geometry) };
}

/** Bounding box of a GeoJSON geometry (any nesting of coordinate arrays). */
export function bboxOf(g: unknown): [number, number, number, number] | null {
  const coords = (g as { coordinates?: unknown })?.coordinates;
  if (!coords) return null;
  let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
  const walk = (c: unknown): void => {
    if (Array.isArray(c) && typeof c[0] === 'number' && typeof c[1] === 'number') {
      w = Math.min(w, c[0]); e = Math.max(e, c[0]); s = Math.min(s, c[1]); n = Math.max(n, c[1]);
    } else if (Array.isArray(c)) c.forEach(walk);
  };
  walk(coords);
  return Number.isFinite(w) ? [w, s, e, n] : null;
}

export { header };
