/**
 * GeoTIFF fuzzing through the decode pool (the path the bridge uses): every case must give a
 * result or a typed DecodeError naming the file, within the per-case limit, and the worker
 * threads must survive.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { geotiffDecoder } from '../../../src/decoders/geotiff/index.js';
import type { DecoderPlugin } from '../../../src/decoders/types.js';
import { DecodePool } from '../../../src/workers/decode-pool.js';
import { repoRoot } from '../../support/corpus.js';
import { fuzzDecoder } from '../../support/fuzz.js';

const CASES = Number(process.env.WEKEO_FUZZ_CASES ?? 2000);
const dir = join(repoRoot, 'test/fixtures/geotiff');
const files = readdirSync(dir).filter((f) => !f.endsWith('.json')).map((f) => join(dir, f));
const pool = new DecodePool({ size: 2 });
afterAll(() => pool.close());

const viaPool: DecoderPlugin = {
  format: 'geotiff',
  sniff: geotiffDecoder.sniff,
  describe: (p) => pool.describe(p),
  inspect: (p) => pool.inspect(p),
  read: (p, s) => pool.read(p, s),
};

it(`GeoTIFF decoder survives ${CASES} mutated files with a typed error or a result`, async () => {
  const res = await fuzzDecoder(viaPool, files, CASES, 777, 5000);
  expect(res.failures.slice(0, 10)).toEqual([]);
  expect(res.cases).toBe(CASES);
  expect(res.rejected).toBeGreaterThan(0);
}, 900_000);
