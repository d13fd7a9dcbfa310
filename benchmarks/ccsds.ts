/**
 * CCSDS (GRIB2 template 5.42) decode speed: our TypeScript decoder against libaec's reference
 * command-line decoder (`aec -d`, Debian libaec-tools) on the same stream, in the same run.
 * The stream is the 1,038,240-value AIFS field from the corpus when present, otherwise a
 * 1,048,576-sample stream encoded here with `aec` from smooth 13-bit data.
 *
 *   npx tsx benchmarks/ccsds.ts
 *
 * Target (issue #4): at least 1 M values in under 100 ms.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aecDecode, type AecParams } from '../src/decoders/codecs/ccsds.js';

function hasAec(): boolean {
  return spawnSync('aec', ['-h']).error === undefined;
}

function syntheticStream(dir: string): { data: Uint8Array; params: AecParams; count: number } | null {
  if (!hasAec()) return null;
  const count = 1 << 20;
  const raw = Buffer.alloc(count * 2);
  for (let i = 0; i < count; i++) raw.writeUInt16BE(Math.round(4096 + 3000 * Math.sin(i / 5000) + 200 * Math.sin(i / 7) + ((i * 2654435761) % 17)), i * 2);
  writeFileSync(join(dir, 'in.raw'), raw);
  execFileSync('aec', ['-n', '13', '-j', '32', '-r', '128', '-m', join(dir, 'in.raw'), join(dir, 'in.aec')]);
  return { data: new Uint8Array(readFileSync(join(dir, 'in.aec'))), params: { bitsPerSample: 13, blockSize: 32, rsi: 128, flags: 8 | 4 | 2 }, count };
}

async function aifsStream(): Promise<{ data: Uint8Array; params: AecParams; count: number } | null> {
  const path = join(import.meta.dirname, '..', '..', 'shared', 'corpus', 'grib', 'aifs-single-t500.grib2');
  if (!existsSync(path)) return null;
  const { FileSource } = await import('../src/decoders/grib/source.js');
  const { indexFile } = await import('../src/decoders/grib/scan.js');
  const src = await FileSource.open(path);
  const [f] = await indexFile(src);
  const data = (await src.read(f!.dataOffset, f!.dataLength)).slice();
  await src.close();
  const p = f!.packing as { bits: number; blockSize: number; rsi: number; flags: number };
  return { data, params: { bitsPerSample: p.bits, blockSize: p.blockSize, rsi: p.rsi, flags: p.flags }, count: f!.packedValues };
}

const dir = mkdtempSync(join(tmpdir(), 'wekeo-bench-ccsds-'));
try {
  const stream = (await aifsStream()) ?? syntheticStream(dir);
  if (!stream) {
    console.log('no corpus and no aec tool: nothing to benchmark');
    process.exit(0);
  }
  const { data, params, count } = stream;
  for (let i = 0; i < 3; i++) aecDecode(data, params, count); // warm up the JIT
  const times: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    aecDecode(data, params, count);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const ours = times[times.length >> 1]!;
  console.log(`ours: ${count} values (${params.bitsPerSample}-bit) in ${ours.toFixed(1)} ms median of 10 = ${(count / ours / 1000).toFixed(1)} M values/s; target < 100 ms per 1 M: ${ours * (1e6 / count) < 100 ? 'met' : 'NOT met'}`);
  if (hasAec()) {
    writeFileSync(join(dir, 'x.aec'), data);
    const flags = ['-n', String(params.bitsPerSample), '-j', String(params.blockSize), '-r', String(params.rsi)];
    if (params.flags & 4) flags.push('-m');
    if (params.flags & 2) flags.push('-3');
    if (!(params.flags & 8)) flags.push('-N');
    const ref: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      execFileSync('aec', ['-d', ...flags, join(dir, 'x.aec'), join(dir, 'x.raw')]);
      ref.push(performance.now() - t0);
    }
    ref.sort((a, b) => a - b);
    const r = ref[ref.length >> 1]!;
    console.log(`libaec (aec -d, including process start and file I/O): ${r.toFixed(1)} ms median of 5; ours/libaec time ratio ${(ours / r).toFixed(2)}`);
  } else console.log('libaec tool not installed (apt-get install libaec-tools): no reference timing');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
