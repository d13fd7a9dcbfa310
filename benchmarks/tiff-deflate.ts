/**
 * GeoTIFF deflate tiles, inflated by each candidate in the same run, interleaved: our WebAssembly
 * inflate (src/decoders/codecs/inflate-wasm.ts) returning a view of its memory and copying into
 * the caller's buffer, node:zlib through the reused native stream (inflate-zlib.ts, what
 * inflate.ts falls back to), node:zlib `inflateSync`, and geotiff.js's bundled inflater.
 *
 * Tiles come from a real file: the decode suite's 4000 x 4000 float32 GeoTIFF (256 x 256 tiles,
 * deflate, written by GDAL), or the TIFF given as the first argument. Without one, 64 generated
 * 512 x 512 int16 tiles are used. Times are process CPU time per pass over all tiles; reported
 * are the median and the spread (min, quartiles, max) of `REPS` passes.
 *
 *   npx tsx benchmarks/tiff-deflate.ts [file.tif] [reps]
 */
import { existsSync, readFileSync } from 'node:fs';
import { deflateSync, inflateSync } from 'node:zlib';
import { getDecoder } from 'geotiff';
import { wasmInflate } from '../src/decoders/codecs/inflate-wasm.js';
import { zlibInflateInto } from '../src/decoders/codecs/inflate-zlib.js';

const DEFAULT = 'benchmarks/data/decode/geotiff-deflate.tif';
const file = process.argv[2] ?? (existsSync(DEFAULT) ? DEFAULT : null);
const REPS = Number(process.argv[3] ?? 15);

/** Tile (or strip) byte ranges of IFD 0 of a little- or big-endian classic TIFF. */
function tiffBlocks(path: string): { blocks: Uint8Array[]; blockBytes: number } {
  const f = readFileSync(path);
  const dv = new DataView(f.buffer, f.byteOffset, f.byteLength);
  const le = f[0] === 0x49;
  if (dv.getUint16(2, le) !== 42) throw new Error(`${path}: not a classic TIFF`);
  const ifd = dv.getUint32(4, le);
  const tags = new Map<number, number[]>();
  for (let i = 0, n = dv.getUint16(ifd, le); i < n; i++) {
    const o = ifd + 2 + i * 12;
    const type = dv.getUint16(o + 2, le);
    const count = dv.getUint32(o + 4, le);
    const size = type === 3 ? 2 : 4;
    const at = count * size <= 4 ? o + 8 : dv.getUint32(o + 8, le);
    const values: number[] = [];
    for (let j = 0; j < count; j++) values.push(size === 2 ? dv.getUint16(at + 2 * j, le) : dv.getUint32(at + 4 * j, le));
    tags.set(dv.getUint16(o, le), values);
  }
  if (tags.get(259)?.[0] !== 8) throw new Error(`${path}: not deflate-compressed`);
  const offsets = tags.get(324) ?? tags.get(273)!;
  const counts = tags.get(325) ?? tags.get(279)!;
  const width = tags.get(322)?.[0] ?? tags.get(256)![0]!;
  const height = tags.get(323)?.[0] ?? tags.get(278)![0]!;
  const samples = tags.get(277)?.[0] ?? 1;
  const bits = tags.get(258)![0]!;
  return { blocks: offsets.map((o, i) => f.subarray(o, o + counts[i]!)), blockBytes: (width * height * samples * bits) / 8 };
}

function generatedBlocks(): { blocks: Uint8Array[]; blockBytes: number } {
  const TILE = 512;
  const blocks: Uint8Array[] = [];
  for (let t = 0; t < 64; t++) {
    const v = new Int16Array(TILE * TILE);
    for (let i = 0; i < v.length; i++) v[i] = Math.round(1000 * Math.sin((i % TILE) / 40 + t) * Math.cos(Math.floor(i / TILE) / 55) + Math.random() * 8);
    blocks.push(deflateSync(new Uint8Array(v.buffer), { level: 6 }));
  }
  return { blocks, blockBytes: TILE * TILE * 2 };
}

const { blocks, blockBytes } = file ? tiffBlocks(file) : generatedBlocks();
const outMiB = (blocks.length * blockBytes) / 2 ** 20;
const inMiB = blocks.reduce((s, b) => s + b.length, 0) / 2 ** 20;
console.log(`${file ?? 'generated int16 tiles'}: ${blocks.length} blocks, ${inMiB.toFixed(1)} MiB -> ${outMiB.toFixed(1)} MiB`);

const wasm = wasmInflate();
if (!wasm) throw new Error('WebAssembly inflate is unavailable on this Node');
const out = new Uint8Array(blockBytes);
const bundled = await getDecoder(8, { tileWidth: 256, tileHeight: 256, predictor: 1, bitsPerSample: [8], planarConfiguration: 1 });

const candidates: Record<string, () => void> = {
  'wasm view (no copy)': () => {
    for (const b of blocks) wasm.decode(b, blockBytes, 'zlib');
  },
  'wasm into caller buffer': () => {
    for (const b of blocks) out.set(wasm.decode(b, blockBytes, 'zlib'));
  },
  'node:zlib reused stream': () => {
    for (const b of blocks) zlibInflateInto(b, out);
  },
  'node:zlib inflateSync': () => {
    for (const b of blocks) inflateSync(b);
  },
};
// geotiff.js is several times slower: a few passes only, not interleaved, for scale.
const bundledPass = async (): Promise<number> => {
  const c0 = process.cpuUsage();
  for (const b of blocks) await bundled.decodeBlock(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};

// Same results first.
for (const b of blocks.slice(0, 16)) {
  const want = inflateSync(b);
  if (Buffer.compare(wasm.decode(b, blockBytes, 'zlib'), want) !== 0) throw new Error('wasm inflate differs from node:zlib');
}

const times: Record<string, number[]> = {};
for (const [name, run] of Object.entries(candidates)) {
  times[name] = [];
  run(); // warm-up
}
for (let r = 0; r < REPS; r++) {
  for (const [name, run] of Object.entries(candidates)) {
    const c0 = process.cpuUsage();
    run();
    const c = process.cpuUsage(c0);
    times[name]!.push((c.user + c.system) / 1000);
  }
}
const bundledTimes = [await bundledPass(), await bundledPass(), await bundledPass()];

const sorted = (a: number[]): number[] => a.slice().sort((x, y) => x - y);
const q = (a: number[], f: number): number => sorted(a)[Math.min(a.length - 1, Math.floor(f * (a.length - 1) + 0.5))]!;
const ref = q(times['node:zlib reused stream']!, 0.5);
console.log(`CPU ms per pass, ${REPS} interleaved passes: median [min p25 p75 max]`);
for (const [name, t] of Object.entries(times)) {
  const m = q(t, 0.5);
  const spread = [0, 0.25, 0.75, 1].map((f) => q(t, f).toFixed(1)).join(' ');
  console.log(
    `  ${name.padEnd(26)} ${m.toFixed(1).padStart(7)} [${spread}]  ${(outMiB / (m / 1000)).toFixed(0).padStart(5)} MiB/s  ${(ref / m).toFixed(2)}x node:zlib stream`,
  );
}
const bm = q(bundledTimes, 0.5);
console.log(`  ${'geotiff.js bundled (3)'.padEnd(26)} ${bm.toFixed(1).padStart(7)}  ${(ref / bm).toFixed(2)}x node:zlib stream`);
