/**
 * Decode pool routing: a file's work goes to the worker that holds its state (rendezvous order
 * of the path), and a second concurrent read of the same file spills to an idle worker instead
 * of queueing behind the first.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rendezvousOrder } from '../../src/partitioner/rendezvous.js';
import { DecodePool } from '../../src/workers/decode-pool.js';
import { repoRoot } from '../support/corpus.js';

describe('rendezvousOrder', () => {
  it('is a stable permutation of the slots', () => {
    for (const n of [1, 2, 3, 8]) {
      const a = rendezvousOrder('/data/era5/2024-01.grib', n);
      expect([...a].sort((x, y) => x - y)).toEqual([...Array(n).keys()]);
      expect(rendezvousOrder('/data/era5/2024-01.grib', n)).toEqual(a);
    }
  });

  it('spreads owners evenly over files and moves few when a slot is added', () => {
    const paths = Array.from({ length: 3000 }, (_, i) => `/catalog/ds/file-${i}.nc`);
    const counts = [0, 0, 0];
    for (const p of paths) counts[rendezvousOrder(p, 3)[0]!]!++;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(150);
    // Going from 3 to 4 slots moves only the files the new slot wins (about a quarter).
    const moved = paths.filter((p) => rendezvousOrder(p, 3)[0] !== rendezvousOrder(p, 4)[0]).length;
    expect(moved / paths.length).toBeGreaterThan(0.15);
    expect(moved / paths.length).toBeLessThan(0.35);
    for (const p of paths) {
      const before = rendezvousOrder(p, 3)[0]!;
      const after = rendezvousOrder(p, 4)[0]!;
      if (before !== after) expect(after).toBe(3);
    }
  });
});

describe('DecodePool routing', () => {
  const pool = new DecodePool({ size: 2 });
  afterAll(() => pool.close());
  const file = join(repoRoot, 'samples/era5-pressure-levels/test4.nc');

  it('sends an idle file to its owner and a concurrent read of it to the other worker', async () => {
    const owner = rendezvousOrder(file, 2)[0]!;
    expect(pool.workerFor(file)).toBe(owner);
    const desc = await pool.describe(file);
    const g = desc.groups[0]!;
    const first = pool.read(file, { group: g.id, variables: [g.variables[0]!.name] })[Symbol.asyncIterator]();
    const batch = await first.next(); // the read is now active on the owner
    expect(batch.done).toBe(false);
    expect(pool.workerFor(file)).toBe(1 - owner);
    await first.return?.(undefined);
    expect(pool.workerFor(file)).toBe(owner);
  });

  it('reports each worker’s file-state counters', async () => {
    const stats = await pool.stats();
    expect(stats).toHaveLength(2);
    for (const s of stats) for (const c of s) expect(c.builds).toBeGreaterThanOrEqual(c.entries);
  });
});

describe('DecodePool.decodeAll', () => {
  const pool = new DecodePool({ size: 2 });
  afterAll(() => pool.close());

  // Work units are GRIB fields, NetCDF slabs and GeoTIFF row bands: each is decoded exactly once, by one of the workers.
  for (const rel of ['samples/era5-ensemble/era5-levels-members.grib', 'samples/era5-pressure-levels/test4.nc', 'test/fixtures/geotiff/cog_scale.tif']) {
    it(`decodes ${rel} on both workers, every value once`, async () => {
      const file = join(repoRoot, rel);
      const whole = new Map<number, number[]>();
      const { detect } = await import('../../src/decoders/registry.js');
      for await (const c of (await detect(file)).decodeAll(file)) whole.set(c.field, [...(whole.get(c.field) ?? []), ...Array.from(c.values, Number)]);
      const parts = new Map<number, number>();
      let chunks = 0;
      for await (const c of pool.decodeAll(file)) {
        parts.set(c.field, (parts.get(c.field) ?? 0) + c.values.length);
        chunks++;
      }
      expect(chunks).toBeGreaterThan(1);
      expect([...parts.keys()].sort((a, b) => a - b)).toEqual([...whole.keys()].sort((a, b) => a - b));
      for (const [f, vals] of whole) expect(parts.get(f)).toBe(vals.length);
      // Both workers took part: each built the file's state once (NetCDF state is in the shared cache).
      if (rel.endsWith('.nc')) {
        const builders = (await pool.stats()).filter((s) => s.some((c) => c.kind.startsWith('netcdf') && c.builds > 0));
        expect(builders.length).toBe(2);
      }
    }, 120_000);
  }
});
