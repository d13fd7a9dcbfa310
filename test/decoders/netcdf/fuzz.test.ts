import { join } from 'node:path';
import { expect, it } from 'vitest';
import { netcdfDecoder } from '../../../src/decoders/netcdf/index.js';
import { repoRoot } from '../../support/corpus.js';
import { fuzzDecoder } from '../../support/fuzz.js';

const CASES = Number(process.env.WEKEO_FUZZ_CASES ?? 2000);
// Classic (CDF-1/2), 64-bit data (CDF-5) and HDF5-based (NetCDF-4) files.
const files = [
  join(repoRoot, 'samples/era5-pressure-levels/test4.nc'),
  join(repoRoot, 'samples/ncep-air/air.nc'),
  join(repoRoot, 'test/fixtures/netcdf/cdf5_types.nc'),
  join(repoRoot, 'test/fixtures/netcdf/ref_nctest_classic.nc'),
];

it(`NetCDF decoder survives ${CASES} mutated files with a typed error or a result`, async () => {
  const res = await fuzzDecoder(netcdfDecoder, files, CASES, 99, 5000);
  expect(res.failures.slice(0, 10)).toEqual([]);
  expect(res.cases).toBe(CASES);
  expect(res.rejected).toBeGreaterThan(0);
}, 900_000);
