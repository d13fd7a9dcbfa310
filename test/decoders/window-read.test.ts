/**
 * Window reads touch only what they need: on 1 GiB files (sparse on disk), reading one tile of a
 * tiled GeoTIFF or one band of rows of a NetCDF variable reads a few MiB, not the file, and the
 * process stays small. Bytes read come from /proc/self/io (rchar), so they include everything
 * this process read during the call.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { geotiffDecoder } from '../../src/decoders/geotiff/index.js';
import { netcdfDecoder } from '../../src/decoders/netcdf/index.js';
import type { ColumnBatch, DecoderPlugin, ReadSelection } from '../../src/decoders/types.js';
import { bytesReadSoFar, GIB, writeBigNetcdf, writeBigTiff } from '../support/big-files.js';

const dir = mkdtempSync(join(tmpdir(), 'wekeo-big-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MIB = 1024 * 1024;

async function measured(plugin: DecoderPlugin, path: string, sel: Omit<ReadSelection, 'group'>): Promise<{ batches: ColumnBatch[]; bytes: number; rssGrowth: number }> {
  const desc = await plugin.describe(path);
  const rss0 = process.memoryUsage().rss;
  const before = bytesReadSoFar();
  const batches: ColumnBatch[] = [];
  for await (const b of plugin.read(path, { group: desc.groups[0]!.id, ...sel })) batches.push(b);
  const out = { batches, bytes: bytesReadSoFar() - before, rssGrowth: process.memoryUsage().rss - rss0 };
  if (process.env.WEKEO_DEBUG) console.log(path, out.bytes, out.rssGrowth);
  return out;
}

function column(batches: ColumnBatch[], name: string): number[] {
  return batches.flatMap((b) => Array.from(b.columns.find((c) => c.name === name)!.values as Float32Array));
}

describe.skipIf(Number.isNaN(bytesReadSoFar()))('window reads on 1 GiB files', () => {
  it('GeoTIFF: one 512 x 512 tile of a 16384 x 16384 float32 raster reads about one tile', async () => {
    const path = join(dir, 'big.tif');
    const t = writeBigTiff(path);
    expect(statSync(path).size).toBeGreaterThanOrEqual(GIB);
    const y0 = t.tileY * t.tile;
    const x0 = t.tileX * t.tile;
    const r = await measured(geotiffDecoder, path, { variables: ['band_1'], y: [y0, y0 + t.tile], x: [x0, x0 + t.tile] });
    expect(column(r.batches, 'band_1')).toEqual(Array.from(t.values));
    const lat = column(r.batches, 'lat');
    expect(lat[0]).toBeCloseTo(80 - (y0 + 0.5) * 0.01, 9);
    expect(r.bytes).toBeLessThan(8 * MIB); // the tile is 1 MiB; the file 1 GiB
    expect(r.rssGrowth).toBeLessThan(256 * MIB);
  }, 120_000);

  it('NetCDF-3: 100 latitude rows of one time step of a 1 GiB variable read about those rows', async () => {
    const path = join(dir, 'big.nc');
    const n = writeBigNetcdf(path);
    expect(statSync(path).size).toBeGreaterThanOrEqual(GIB);
    const r = await measured(netcdfDecoder, path, { variables: ['t2m'], time: [n.t, n.t + 1], y: [n.y0, n.y1] });
    const values = column(r.batches, 't2m');
    expect(values.length).toBe((n.y1 - n.y0) * n.nx);
    expect(values.slice(0, 3)).toEqual([0, 1, 2].map((i) => (n.t * 1e6 + n.y0 * n.nx + i) * 0.25));
    expect(values.every((v, i) => v === (n.t * 1e6 + n.y0 * n.nx + i) * 0.25)).toBe(true);
    expect(r.bytes).toBeLessThan(8 * MIB); // the rows are 0.8 MiB; the file 1 GiB
    expect(r.rssGrowth).toBeLessThan(256 * MIB);
  }, 120_000);
});
