/**
 * NetCDF fuzzing through the decode pool (the path the bridge uses): every case gives a result
 * or a typed DecodeError naming the file within the per-case limit. libhdf5 can loop forever on
 * some damaged files; the pool's watchdog turns that into a DecodeError (its stall timeout is
 * short here so such a case stays within the limit).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { netcdfDecoder } from '../../../src/decoders/netcdf/index.js';
import { DecodePool } from '../../../src/workers/decode-pool.js';
import { repoRoot } from '../../support/corpus.js';
import { fuzzDecoder, viaPool } from '../../support/fuzz.js';

const CASES = Number(process.env.WEKEO_FUZZ_CASES ?? 2000);
// Classic (CDF-1/2), 64-bit data (CDF-5) and HDF5-based (NetCDF-4) files, one on a projected grid,
// one with deflate/shuffle chunks of every width (the native chunk reader's B-tree and filters).
const files = [
  join(repoRoot, 'samples/era5-pressure-levels/test4.nc'),
  join(repoRoot, 'samples/ncep-air/air.nc'),
  join(repoRoot, 'test/fixtures/netcdf/cdf5_types.nc'),
  join(repoRoot, 'test/fixtures/netcdf/ref_nctest_classic.nc'),
  join(repoRoot, 'test/fixtures/netcdf/polar_stereographic.nc'),
  join(repoRoot, 'test/decoders/netcdf/fixtures/chunked.nc'),
];
const pool = new DecodePool({ size: 2, stallTimeoutMs: 3000 });
afterAll(() => pool.close());
// Worker start-up (module loading) is not part of any case's time.
beforeAll(async () => {
  await Promise.all(files.slice(0, 2).map((f) => pool.describe(f).catch(() => undefined)));
}, 120_000);


it(`NetCDF decoder survives ${CASES} mutated files with a typed error or a result`, async () => {
  const res = await fuzzDecoder(viaPool(netcdfDecoder, pool), files, CASES, 99, 10_000);
  expect(res.failures.slice(0, 10)).toEqual([]);
  expect(res.cases).toBe(CASES);
  expect(res.rejected).toBeGreaterThan(0);
}, 900_000);
