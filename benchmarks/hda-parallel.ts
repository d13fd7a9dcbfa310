/**
 * Parallel HDA downloads against the local test broker with a bandwidth limit per connection:
 * aggregate throughput with 1, 2 and 4 workers (issue #5 expects close to 4x with 4 workers).
 *
 *   npx tsx benchmarks/hda-parallel.ts [--mb-per-product 2] [--products 8] [--kbps 4000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DownloadCache } from '../src/hda/cache.js';
import { HdaClient, type Product } from '../src/hda/client.js';
import { downloadProducts } from '../src/hda/downloader.js';
import { PASSWORD, startFakeHda, USER, type FakeDataset } from '../test/hda/server.js';

const { values } = parseArgs({ options: { 'mb-per-product': { type: 'string', default: '2' }, products: { type: 'string', default: '8' }, kbps: { type: 'string', default: '4000' } } });
const size = Number(values['mb-per-product']) * 1e6;
const n = Number(values.products);
const rate = Number(values.kbps) * 1000;
const dataset: FakeDataset = {
  id: 'EO:EUM:DAT:BENCH',
  title: 'bench',
  terms: [],
  timeKeys: ['dtstart', 'dtend'],
  queryables: { dtstart: { type: 'string' }, dtend: { type: 'string' } },
  products: Array.from({ length: n }, (_, i) => ({ id: `p${i}`, bytes: Buffer.alloc(size, i), filename: `p${i}.bin`, start: '2024-01-01T00:00:00Z', end: '2024-01-01T00:00:00Z', bbox: [0, 0, 1, 1] })),
};
const hda = await startFakeHda([dataset], { pollsBefore200: 0, bandwidthBytesPerSec: rate });
const client = new HdaClient({ url: hda.url, user: USER, password: PASSWORD, source: 'bench' }, { poll: { firstDelayMs: 1, maxDelayMs: 1, deadlineMs: 60_000 } });
const products: Product[] = [];
for await (const p of client.search(dataset.id, {})) products.push(p);
const results: Record<number, number> = {};
for (const workers of [1, 2, 4]) {
  const dir = mkdtempSync(join(tmpdir(), 'wekeo-bench-hda-'));
  const t0 = performance.now();
  await downloadProducts(client, new DownloadCache(dir), products, { parallel: workers, progress: null });
  const s = (performance.now() - t0) / 1000;
  results[workers] = (n * size) / s / 1e6;
  console.log(`${workers} worker(s): ${(n * size / 1e6).toFixed(0)} MB in ${s.toFixed(2)} s = ${results[workers]!.toFixed(2)} MB/s (per-connection limit ${(rate / 1e6).toFixed(1)} MB/s)`);
  rmSync(dir, { recursive: true, force: true });
}
console.log(`speed-up with 4 workers: ${(results[4]! / results[1]!).toFixed(2)}x (ideal 4x)`);
await client.close();
await hda.close();
