/**
 * Our side of the decode suite: every value of every field of one file into typed arrays, through
 * the decoder plugin's `decodeAll(path)` (the `inspect` kernel), timed in-process. Every chunk is
 * consumed and nothing else is touched.
 *
 *   node benchmarks/data/build/benchmarks/workers/decode.js single PATH   one thread (fair against the C tools)
 *   node benchmarks/data/build/benchmarks/workers/decode.js pool PATH     DecodePool.decodeAll, when it exists
 */
import { performance } from 'node:perf_hooks';
import { detect } from '../../src/decoders/registry.js';
import type { DecodedChunk } from '../../src/decoders/types.js';
import { DecodePool } from '../../src/workers/decode-pool.js';
import { serveWorker } from '../lib/worker-loop.js';

const [mode, path] = process.argv.slice(2);
if (!path || (mode !== 'single' && mode !== 'pool')) {
  process.stderr.write('usage: decode.ts single|pool PATH\n');
  process.exit(2);
}

async function consume(chunks: AsyncIterable<DecodedChunk>): Promise<{ values: number; fields: number }> {
  let values = 0;
  let last = -1;
  let fields = 0;
  for await (const c of chunks) {
    values += c.values.length;
    if (c.field !== last) {
      last = c.field;
      fields++;
    }
  }
  return { values, fields };
}

type PoolDecodeAll = (path: string) => AsyncIterable<DecodedChunk>;

await serveWorker(async () => {
  const versions = { node: process.versions.node, v8: process.versions.v8 };
  if (mode === 'single') {
    return {
      versions,
      run: async () => {
        const t0 = performance.now();
        const plugin = await detect(path);
        const r = await consume(plugin.decodeAll(path));
        return { seconds: (performance.now() - t0) / 1000, ...r };
      },
    };
  }
  const pool = new DecodePool();
  const decodeAll = (pool as unknown as { decodeAll?: unknown }).decodeAll;
  if (typeof decodeAll !== 'function') {
    await pool.close();
    throw new Error('DecodePool has no decodeAll(path) method yet');
  }
  const run = (decodeAll as PoolDecodeAll).bind(pool);
  return {
    versions: { ...versions, workers: pool.size },
    run: async () => {
      const t0 = performance.now();
      const r = await consume(run(path));
      return { seconds: (performance.now() - t0) / 1000, ...r };
    },
    close: () => pool.close(),
  };
});
// Decode pool workers and open handles must not keep the process alive after "quit".
process.exit(0);
