/**
 * Our side of the export suite: `wekeo export`'s code path (src/export) on one dataset decoded
 * in this process, into a fresh folder per pass, timed in-process; reports the Arrow bytes and
 * rows read and the Parquet bytes written, so the suite can give MB/s of Arrow exported.
 *
 *   node benchmarks/data/build/benchmarks/workers/export.js CATALOG DATASET OUT_ROOT
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BridgeCore } from '../../src/bridge/core.js';
import { Catalog } from '../../src/catalog/catalog.js';
import { LocalSource } from '../../src/catalog/local-source.js';
import { planLocal } from '../../src/export/batch-source.js';
import { exportParquet } from '../../src/export/export.js';
import { DecodePool } from '../../src/workers/decode-pool.js';
import { serveWorker } from '../lib/worker-loop.js';

const [catalog, dataset, outRoot] = process.argv.slice(2);
if (!catalog || !dataset || !outRoot) {
  process.stderr.write('usage: export.ts CATALOG DATASET OUT_ROOT\n');
  process.exit(2);
}

await serveWorker(async () => {
  const pool = new DecodePool();
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const core = new BridgeCore(new Catalog([new LocalSource(catalog)], (p) => pool.describe(p)), pool, { cacheBytes: 0 });
  let pass = 0;
  return {
    versions: { node: process.versions.node, workers: pool.size },
    run: async () => {
      const out = join(outRoot, `pass-${pass++}`);
      rmSync(out, { recursive: true, force: true });
      const t0 = performance.now();
      const plan = await planLocal(core, { dataset }, async () => undefined);
      const r = await exportParquet(plan, { out, partitionBy: 'month', compression: 'zstd' });
      const seconds = (performance.now() - t0) / 1000;
      rmSync(out, { recursive: true, force: true });
      return { seconds, bytes: r.arrowBytes, rows: r.rows, parquet_bytes: r.parquetBytes, files: r.files.length };
    },
    close: async () => {
      clearInterval(keepAlive);
      await pool.close();
    },
  };
});
