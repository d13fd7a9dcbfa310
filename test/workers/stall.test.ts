/**
 * The decode pool's watchdog: a damaged NetCDF-4 file (a fuzz case) that sends libhdf5 into an
 * endless loop is stopped after the stall timeout with a DecodeError naming the file, the worker
 * is replaced, and the pool keeps serving other files; a long inspect that keeps making progress
 * (heartbeats) is not stopped.
 */
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { DecodeError } from '../../src/decoders/errors.js';
import { DecodePool } from '../../src/workers/decode-pool.js';
import { corpusDir, repoRoot } from '../support/corpus.js';

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
  // Generous: a fresh worker loads h5wasm first, slow on a loaded 2-core machine; a hang would take forever.
  expect(Date.now() - t0).toBeLessThan(20_000);
  const ok = await pool.describe(join(repoRoot, 'test/fixtures/netcdf/polar_stereographic.nc'));
  expect(ok.groups.length).toBeGreaterThan(0);
}, 30_000);

it.skipIf(!corpusDir())('does not stop a long inspect that keeps making progress', async () => {
  const slow = new DecodePool({ size: 1, stallTimeoutMs: 1200 });
  try {
    // About 7 M pixels: a few seconds of work here, with the event loop turning between strips.
    const r = await slow.inspect(join(corpusDir()!, 'geotiff/cog_int16.tif'));
    expect(r.fields.length).toBe(1);
  } finally {
    await slow.close();
  }
}, 120_000);
