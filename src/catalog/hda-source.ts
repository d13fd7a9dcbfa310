/**
 * Datasets served from WEkEO HDA: a dataset id such as EO:ECMWF:DAT:REANALYSIS_ERA5_SINGLE_LEVELS
 * becomes a search (bbox/time mapped onto the dataset's own filters), each product is downloaded
 * once into the shared cache (zips unpacked), and each data file is one catalog file. File keys
 * ("<product id>::<file in product>") stay valid across processes: the product's search record
 * is kept in the cache so an evicted file can be ordered again by any bridge instance.
 * Failures are typed HDA errors (src/hda/errors.ts), which src/bridge/errors.ts maps to statuses.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheKey, type DownloadCache } from '../hda/cache.js';
import type { HdaClient, Product } from '../hda/client.js';
import { downloadProducts } from '../hda/downloader.js';
import { HdaLimitError, HdaNoResultsError, HdaUnknownProductError } from '../hda/errors.js';
import { quote } from '../text/quote.js';
import type { DatasetFile, DatasetInfo, DatasetQuery, DatasetSource } from './types.js';

export interface HdaSourceOptions {
  parallel?: number;
  /** Datasets announced by ListFlights (HDA has thousands; any EO:* id can be queried). */
  announce?: string[];
  /** Most products one query may download (`serve --hda-max-products`). */
  maxProducts?: number;
}

export const DEFAULT_HDA_MAX_PRODUCTS = 1000;

const SEP = '::';

export class HdaSource implements DatasetSource {
  readonly kind = 'hda';
  constructor(
    readonly client: HdaClient,
    readonly cache: DownloadCache,
    readonly opts: HdaSourceOptions = {},
  ) {}

  async list(): Promise<DatasetInfo[]> {
    return (this.opts.announce ?? []).map((name) => ({ name, description: 'WEkEO HDA dataset', source: this.kind }));
  }

  async has(dataset: string): Promise<boolean> {
    return /^EO:[A-Z0-9]+:DAT:/i.test(dataset);
  }

  async files(dataset: string, query: DatasetQuery): Promise<DatasetFile[]> {
    const generic = { bbox: query.bbox, start: query.start, end: query.end, filters: query.filters };
    const body = await this.client.searchBody(dataset, generic);
    let products = await this.cache.getQuery<Product[]>(body);
    if (!products) {
      products = [];
      const max = this.opts.maxProducts ?? DEFAULT_HDA_MAX_PRODUCTS;
      for await (const p of this.client.search(dataset, generic, max + 1)) products.push(p);
      if (products.length > max) {
        throw new HdaLimitError(`the query on ${quote(dataset)} matches more than ${max} WEkEO HDA products (the bridge's limit per query): narrow bbox, start/end or filters, or start the bridge with a higher --hda-max-products`);
      }
      await this.cache.putQuery(body, products);
    }
    if (products.length === 0) {
      throw new HdaNoResultsError(`no WEkEO HDA product of ${quote(dataset)} matches the query (bbox, start/end, filters): widen it, or check the dataset's filters with "wekeo hda queryables"`);
    }
    await Promise.all(products.map((p) => this.remember(p)));
    const got = await downloadProducts(this.client, this.cache, products, { parallel: this.opts.parallel, progress: null });
    return got.flatMap(({ product, dir, entry }) => entry.files.map((f) => ({ key: `${product.id}${SEP}${f}`, path: join(dir, f) })));
  }

  async resolve(dataset: string, key: string): Promise<string> {
    const i = key.lastIndexOf(SEP);
    if (i < 0) throw new HdaUnknownProductError(`malformed HDA file key ${quote(key)} of ${quote(dataset)}: plan the query again (GetFlightInfo)`);
    const productId = key.slice(0, i);
    const file = key.slice(i + SEP.length);
    const hit = await this.cache.get(dataset, productId);
    if (hit && hit.entry.files.includes(file)) return join(hit.dir, file);
    const product = await this.recall(dataset, productId);
    const [got] = await downloadProducts(this.client, this.cache, [product], { parallel: 1, progress: null });
    if (!got!.entry.files.includes(file)) throw new HdaUnknownProductError(`product ${quote(productId)} of ${quote(dataset)} no longer contains ${quote(file)}: plan the query again (GetFlightInfo)`);
    return join(got!.dir, file);
  }

  private async remember(p: Product): Promise<void> {
    const dir = join(this.cache.dir, 'products');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `${cacheKey(p.datasetId, p.id)}.json`), JSON.stringify(p));
  }

  private async recall(dataset: string, productId: string): Promise<Product> {
    try {
      return JSON.parse(await readFile(join(this.cache.dir, 'products', `${cacheKey(dataset, productId)}.json`), 'utf8')) as Product;
    } catch {
      throw new HdaUnknownProductError(`unknown HDA product ${quote(productId)} of ${quote(dataset)} on this bridge's cache: plan the query again (GetFlightInfo)`);
    }
  }
}
