/**
 * Downloads many products with bounded parallelism through the cache, with progress bars on a
 * terminal (one line per active download plus a total) and silence otherwise. Every failure is
 * reported: the call rejects with all failed products listed, after the others finished.
 */
import type { CacheEntry, DownloadCache } from './cache.js';
import type { HdaClient, Product } from './client.js';
import { fetchToFile } from './download.js';
import { HdaAuthError, HdaDownloadError, HdaError, HdaQuotaError, HdaUnavailableError } from './errors.js';

export interface DownloadOptions {
  parallel?: number;
  /** Progress output; defaults to stderr when it is a terminal. */
  progress?: NodeJS.WriteStream | null;
}

export const DEFAULT_PARALLEL = 2;

export async function downloadProducts(client: HdaClient, cache: DownloadCache, products: Product[], opts: DownloadOptions = {}): Promise<Array<{ product: Product; dir: string; entry: CacheEntry }>> {
  const parallel = Math.max(1, opts.parallel ?? DEFAULT_PARALLEL);
  const out = opts.progress === undefined ? (process.stderr.isTTY ? process.stderr : null) : opts.progress;
  const bars = new Progress(out, products.length);
  const results: Array<{ product: Product; dir: string; entry: CacheEntry }> = [];
  const failures: string[] = [];
  const causes: unknown[] = [];
  let next = 0;
  const worker = async () => {
    while (next < products.length) {
      const p = products[next++]!;
      try {
        const r = await cache.ensure(p.datasetId, p.id, async (tmp) => {
          const { path } = await client.order(p);
          const res = await fetchToFile(client.http, path, tmp, (got, total, filename) => bars.update(p.id, filename ?? p.id, got, total ?? p.size));
          if (p.size !== null && res.bytes !== p.size && !res.sizeChecked) {
            throw new HdaDownloadError(`${p.id}: got ${res.bytes} bytes, search said ${p.size}`);
          }
          return { filename: res.filename };
        });
        results.push({ product: p, ...r });
      } catch (e) {
        failures.push(`${p.id}: ${(e as Error).message}`);
        causes.push(e);
      } finally {
        bars.done(p.id);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, products.length) }, worker));
  bars.finish();
  if (failures.length) {
    const msg = `${failures.length} of ${products.length} downloads failed:\n  ${failures.join('\n  ')}`;
    // One kind of failure throughout (quota, login, broker down) keeps its type, so the bridge
    // maps it to the right status; a mix is a download failure.
    for (const Kind of [HdaQuotaError, HdaAuthError, HdaUnavailableError]) {
      if (causes.every((c) => c instanceof Kind)) throw new Kind(msg, (causes[0] as HdaError).status);
    }
    throw new HdaDownloadError(msg);
  }
  return products.map((p) => results.find((r) => r.product === p)!);
}

class Progress {
  /** Per product id: its label (file name once known), bytes so far, total. */
  private readonly active = new Map<string, [string, number, number | null]>();
  private finished = 0;
  private lastDraw = 0;
  private lines = 0;

  constructor(
    private readonly out: NodeJS.WriteStream | null,
    private readonly total: number,
  ) {}

  update(id: string, label: string, got: number, total: number | null): void {
    this.active.set(id, [label, got, total]);
    this.draw(false);
  }

  done(id: string): void {
    this.active.delete(id);
    this.finished++;
    this.draw(true);
  }

  finish(): void {
    if (this.out && this.lines) this.out.write('\n');
  }

  private draw(force: boolean): void {
    if (!this.out) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < 200) return;
    this.lastDraw = now;
    const rows = [...this.active.values()].map(([label, got, total]) => `${bar(got, total)} ${mb(got)}${total ? `/${mb(total)}` : ''} ${label.slice(0, 60)}`);
    rows.push(`total: ${this.finished}/${this.total} products`);
    if (this.lines) this.out.write(`\x1b[${this.lines}F`);
    this.out.write(rows.map((r) => `\x1b[2K${r}`).join('\n') + '\n');
    this.lines = rows.length;
  }
}

function bar(got: number, total: number | null): string {
  const w = 20;
  const f = total ? Math.min(w, Math.round((got / total) * w)) : 0;
  return `[${'#'.repeat(f)}${'.'.repeat(w - f)}]`;
}

function mb(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}
