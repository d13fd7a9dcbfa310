/**
 * Latitude/longitude of pixel centres and internal masks against GDAL/PROJ
 * (scripts/gen-geotiff-latlon-oracle.py): the corpus oracles give native x/y only, so this checks
 * our CRS handling (EPSG codes and user-defined GeoKeys through proj4) on every georeferenced
 * file, and the `mask_valid` variable on every file with a GDAL per-dataset mask.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { geotiffDecoder } from '../../../src/decoders/geotiff/index.js';
import type { ColumnBatch } from '../../../src/decoders/types.js';
import { corpusDir, repoRoot } from '../../support/corpus.js';

interface Point { col: number; row: number; x: number; y: number; lat: number; lon: number }
const oracle = JSON.parse(readFileSync(join(repoRoot, 'test/fixtures/geotiff/latlon.oracle.json'), 'utf8')) as { files: Record<string, { crs: string; points: Point[] }> };

/** CRSs we cannot place yet: lat/lon stay null (never wrong), native x/y are still given. */
const NO_LATLON = new Map<string, string>();

function locate(name: string): string | null {
  const fixture = join(repoRoot, 'test/fixtures/geotiff', name);
  if (existsSync(fixture)) return fixture;
  const dir = corpusDir();
  return dir ? join(dir, 'geotiff', name) : null;
}

describe.each(Object.entries(oracle.files))('GeoTIFF %s', (name, o) => {
  it(`gives GDAL's latitude/longitude for each sample pixel (${o.crs})`, async () => {
    const path = locate(name);
    if (!path) return; // corpus-only file without the corpus
    for (const p of o.points) {
      const batches: ColumnBatch[] = [];
      for await (const b of geotiffDecoder.read(path, { group: 'raster', variables: ['band_1'], y: [p.row, p.row + 1], x: [p.col, p.col + 1] })) batches.push(b);
      const col = (n: string) => batches[0]!.columns.find((c) => c.name === n)!;
      const lat = col('lat');
      if (NO_LATLON.has(name)) {
        expect(lat.nullCount, `${name}: ${NO_LATLON.get(name)}`).toBe(1);
        continue;
      }
      expect(lat.nullCount, `${name} lat is null`).toBe(0);
      expect(Math.abs(Number(lat.values[0]) - p.lat), `${name} lat at ${p.col},${p.row}`).toBeLessThan(1e-6);
      const dlon = Math.abs(((Number(col('lon').values[0]) - p.lon + 540) % 360) - 180);
      expect(dlon, `${name} lon at ${p.col},${p.row}`).toBeLessThan(1e-6);
    }
  });
});

const masks = JSON.parse(readFileSync(join(repoRoot, 'test/fixtures/geotiff/masks.oracle.json'), 'utf8')) as { files: Record<string, { pixels: number; masked: number }> };

describe.each(Object.entries(masks.files))('GeoTIFF mask of %s', (name, m) => {
  it('exposes the GDAL internal mask as mask_valid with the same masked pixels', async () => {
    const path = locate(name);
    if (!path) return;
    const desc = await geotiffDecoder.describe(path);
    expect(desc.groups[0]!.variables.map((v) => v.name)).toContain('mask_valid');
    let pixels = 0;
    let masked = 0;
    for await (const b of geotiffDecoder.read(path, { group: 'raster', variables: ['mask_valid', 'band_1'] })) {
      const c = b.columns.find((x) => x.name === 'mask_valid')!;
      expect(b.columns.map((x) => x.name).slice(-2)).toEqual(['mask_valid', 'band_1']);
      pixels += b.numRows;
      for (let i = 0; i < b.numRows; i++) if (c.values[i] === 0) masked++;
    }
    expect({ pixels, masked }).toEqual(m);
  });
});
