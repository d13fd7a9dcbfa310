/**
 * Points-layout reads slice one decoded stripe into many batches: with tiny batches the rows,
 * values and validity must equal one whole read, for NetCDF-4 (chunked, with missing values)
 * and NetCDF-3.
 */
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { netcdfDecoder } from '../../../src/decoders/netcdf/index.js';
import type { ColumnBatch } from '../../../src/decoders/types.js';
import { repoRoot } from '../../support/corpus.js';

async function rows(path: string, maxBatchBytes: number): Promise<{ batches: number; columns: Map<string, number[]> }> {
  const desc = await netcdfDecoder.describe(path);
  const g = desc.groups.find((x) => x.coordinates.some((c) => c.name === 'lat'))!;
  const columns = new Map<string, number[]>();
  let batches = 0;
  for await (const b of netcdfDecoder.read(path, { group: g.id, variables: g.variables.map((v) => v.name), time: [0, Math.min(2, g.times.length)], maxBatchBytes }) as AsyncIterable<ColumnBatch>) {
    batches++;
    for (const c of b.columns) {
      const out = columns.get(c.name) ?? [];
      for (let i = 0; i < b.numRows; i++) {
        const valid = !c.validity || (c.validity[i >> 3]! & (1 << (i & 7))) !== 0;
        out.push(valid ? Number(c.values[i]) : NaN);
      }
      columns.set(c.name, out);
    }
  }
  return { batches, columns };
}

for (const rel of ['samples/cmems-currents/cmems_mod_glo_phy-cur_anfc_0.083deg_P1D-m_2024-01_1deg_5day.nc', 'samples/era5-pressure-levels/test4.nc']) {
  it(`reads ${rel.split('/').pop()} in small batches exactly as in one`, async () => {
    const file = join(repoRoot, rel);
    const whole = await rows(file, 1 << 30);
    const small = await rows(file, 3000); // a few grid rows per batch, odd byte offsets of validity
    expect(small.batches).toBeGreaterThan(whole.batches * 4);
    expect([...small.columns.keys()]).toEqual([...whole.columns.keys()]);
    for (const [name, vals] of whole.columns) expect(small.columns.get(name), name).toEqual(vals);
  });
}
