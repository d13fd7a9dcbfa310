/**
 * GeoTIFF fuzzing through the decode pool (the path the bridge uses): every case must give a
 * result or a typed DecodeError naming the file, within the per-case limit, and the worker
 * threads must survive.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { geotiffDecoder } from '../../../src/decoders/geotiff/index.js';
import { DecodePool } from '../../../src/workers/decode-pool.js';
import { repoRoot } from '../../support/corpus.js';
import { fuzzDecoder, viaPool } from '../../support/fuzz.js';

const CASES = Number(process.env.WEKEO_FUZZ_CASES ?? 2000);
const dir = join(repoRoot, 'test/fixtures/geotiff');
const files = readdirSync(dir).filter((f) => !f.endsWith('.json')).map((f) => join(dir, f));
const pool = new DecodePool({ size: 2 });
afterAll(() => pool.close());
// Worker start-up (module loading) is not part of any case's time.
beforeAll(async () => {
  await Promise.all(files.slice(0, 2).map((f) => pool.describe(f).catch(() => undefined)));
}, 120_000);

it(`GeoTIFF decoder survives ${CASES} mutated files with a typed error or a result`, async () => {
  const res = await fuzzDecoder(viaPool(geotiffDecoder, pool), files, CASES, 777, 10_000);
  expect(res.failures.slice(0, 10)).toEqual([]);
  expect(res.cases).toBe(CASES);
  expect(res.rejected).toBeGreaterThan(0);
}, 900_000);
