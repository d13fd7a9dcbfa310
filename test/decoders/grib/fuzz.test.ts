import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { gribDecoder } from '../../../src/decoders/grib/index.js';
import { repoRoot } from '../../support/corpus.js';
import { fuzzDecoder } from '../../support/fuzz.js';

/** WEKEO_FUZZ_CASES raises the count for a longer opt-in run. */
const CASES = Number(process.env.WEKEO_FUZZ_CASES ?? 2000);
const dir = join(repoRoot, 'test/fixtures/grib');
const files = readdirSync(dir).filter((f) => !f.endsWith('.json')).map((f) => join(dir, f));

it(`GRIB decoder survives ${CASES} mutated files with a typed error or a result`, async () => {
  const res = await fuzzDecoder(gribDecoder, files, CASES, 4242, 2000);
  expect(res.failures.slice(0, 10)).toEqual([]);
  expect(res.cases).toBe(CASES);
  expect(res.rejected).toBeGreaterThan(0);
  expect(res.decoded).toBeGreaterThan(0);
}, 600_000);
