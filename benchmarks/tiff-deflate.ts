/**
 * GeoTIFF deflate tiles: node:zlib (what src/decoders/geotiff/codecs.ts registers) against
 * geotiff.js's bundled inflater, on the same 512 x 512 int16 tiles in the same run. The tiles are
 * smooth terrain-like data with noise, deflated by node:zlib at level 6 (GDAL's default).
 *
 *   npx tsx benchmarks/tiff-deflate.ts
 */
import { deflateSync } from 'node:zlib';
import { getDecoder } from 'geotiff';

const TILE = 512;
const TILES = 64;
const params = { tileWidth: TILE, tileHeight: TILE, predictor: 1, bitsPerSample: [16], planarConfiguration: 1 };

const tiles: ArrayBuffer[] = [];
for (let t = 0; t < TILES; t++) {
  const v = new Int16Array(TILE * TILE);
  for (let i = 0; i < v.length; i++) v[i] = Math.round(1000 * Math.sin((i % TILE) / 40 + t) * Math.cos(Math.floor(i / TILE) / 55) + Math.random() * 8);
  const z = deflateSync(new Uint8Array(v.buffer), { level: 6 });
  tiles.push(z.buffer.slice(z.byteOffset, z.byteOffset + z.byteLength) as ArrayBuffer);
}
const mib = (TILES * TILE * TILE * 2) / 2 ** 20;

async function time(label: string, decode: (b: ArrayBuffer) => Promise<ArrayBuffer> | ArrayBuffer): Promise<number> {
  for (const b of tiles.slice(0, 4)) await decode(b); // warm-up
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const t0 = performance.now();
    for (const b of tiles) await decode(b);
    best = Math.min(best, performance.now() - t0);
  }
  console.log(`${label.padEnd(28)} ${best.toFixed(1).padStart(7)} ms for ${mib} MiB (${(mib / (best / 1000)).toFixed(0)} MiB/s)`);
  return best;
}

// geotiff.js's own decoder for compression 8 (nothing of ours is registered in this process).
const bundled = await getDecoder(8, params);
const tBundled = await time("geotiff.js bundled inflate", (b) => bundled.decodeBlock(b) as ArrayBuffer);
const { inflateSync } = await import('node:zlib');
const tZlib = await time('node:zlib inflateSync', (b) => inflateSync(new Uint8Array(b)).buffer as ArrayBuffer);
console.log(`node:zlib is ${(tBundled / tZlib).toFixed(2)}x as fast as the bundled inflater`);
