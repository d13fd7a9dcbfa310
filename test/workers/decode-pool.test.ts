/**
 * Decode pool routing: a file's work goes to the worker that holds its state (rendezvous order
 * of the path), and a second concurrent read of the same file spills to an idle worker instead
 * of queueing behind the first.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DecodePool, rendezvousOrder } from '../../src/workers/decode-pool.js';
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
