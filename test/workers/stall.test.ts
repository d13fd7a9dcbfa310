/**
 * The decode pool's watchdog: a damaged NetCDF-4 file (a fuzz case) that sends libhdf5 into an
 * endless loop is stopped after the stall timeout with a DecodeError naming the file, the worker
 * is replaced, and the pool keeps serving other files.
 */
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { DecodeError } from '../../src/decoders/errors.js';
import { DecodePool } from '../../src/workers/decode-pool.js';
import { repoRoot } from '../support/corpus.js';

const pool = new DecodePool({ size: 1, stallTimeoutMs: 1500 });
afterAll(() => pool.close());

it('stops a decode that makes no progress and keeps working', async () => {
  const stalled = join(repoRoot, 'test/fixtures/netcdf/stalls-libhdf5.nc');
  const t0 = Date.now();
  const err = await pool.describe(stalled).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DecodeError);
  expect((err as DecodeError).code).toBe('LIMIT');
  expect((err as DecodeError).file).toBe(stalled);
  expect((err as Error).message).toMatch(/no progress/);
  expect(Date.now() - t0).toBeLessThan(10_000);
  const ok = await pool.describe(join(repoRoot, 'test/fixtures/netcdf/polar_stereographic.nc'));
  expect(ok.groups.length).toBeGreaterThan(0);
}, 30_000);
