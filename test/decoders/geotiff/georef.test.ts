/**
 * The projector read() uses for lat/lon: where it calls a projection's inverse directly (instead
 * of proj4's full transform, for speed), it must give the full transform's numbers bit for bit
 * everywhere in the raster, not only at the probe points it was checked on.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import proj4 from 'proj4';
import { describe, expect, it } from 'vitest';
import { fileInfo } from '../../../src/decoders/geotiff/file-info.js';
import { epsgToProj4, extents, probePoints, projector } from '../../../src/decoders/geotiff/georef.js';
import { corpusDir, repoRoot } from '../../support/corpus.js';

function tiffs(): string[] {
  const dirs = [join(repoRoot, 'test/fixtures/geotiff'), join(repoRoot, 'test/decoders/geotiff/fixtures')];
  const c = corpusDir();
  if (c) dirs.push(join(c, 'geotiff'));
  return dirs.flatMap((d) => readdirSync(d).filter((f) => /\.tiff?$/.test(f)).map((f) => join(d, f)));
}

describe('projector', () => {
  it.each(tiffs())('%s: lat/lon equal to proj4 full transform on a grid of pixels', async (path) => {
    const info = await fileInfo(path);
    if (!info.crs || info.geographic) return;
    const f = projector(info.crs, false, probePoints(info.width, info.height, info.gt))!;
    const full = proj4(info.crs, 'EPSG:4326');
    const gt = info.gt;
    for (let i = 0; i <= 20; i++) {
      for (let j = 0; j <= 20; j++) {
        const c = ((info.width - 1) * i) / 20 + 0.5;
        const r = ((info.height - 1) * j) / 20 + 0.5;
        const x = gt[0] + c * gt[1] + r * gt[2];
        const y = gt[3] + c * gt[4] + r * gt[5];
        const want = full.forward([x, y]) as number[];
        const got = f(x, y);
        for (const k of [0, 1]) {
          if (Number.isNaN(want[k]!) || !Number.isFinite(want[k]!)) expect(Number.isFinite(got[k])).toBe(false);
          else expect(Object.is(got[k], want[k]), `${path} pixel ${c},${r}`).toBe(true);
        }
      }
    }
  });
});

describe('extents', () => {
  it('bound every pixel of a 10980² UTM tile (Sentinel-2 size) in well under a second', () => {
    const crs = epsgToProj4(32632)!;
    const gt: [number, number, number, number, number, number] = [300000, 10, 0, 5000040, 0, -10];
    const n = 10980;
    const t0 = performance.now();
    const { rowLat, colLon } = extents(n, n, gt, crs, false);
    expect(performance.now() - t0).toBeLessThan(5000); // 750 thousand projections took ~1.5 s idle before
    expect(rowLat).toHaveLength(n);
    expect(colLon).toHaveLength(n);
    const f = proj4(crs, 'EPSG:4326');
    for (let k = 0; k < 400; k++) {
      const r = (k * 7919) % n;
      const c = (k * 104729) % n;
      const [lon, lat] = f.forward([gt[0] + (c + 0.5) * gt[1], gt[3] + (r + 0.5) * gt[5]]);
      expect(lat).toBeGreaterThanOrEqual(rowLat[r]![0]);
      expect(lat).toBeLessThanOrEqual(rowLat[r]![1]);
      expect(lon).toBeGreaterThanOrEqual(colLon[c]![0]);
      expect(lon).toBeLessThanOrEqual(colLon[c]![1]);
    }
  });
});
