/**
 * Deterministic mutation fuzzing of decoders: each case mutates a real file (bit flips, byte
 * overwrites, truncation, inserted garbage, 32-bit length fields set to extremes) and runs
 * describe, inspect and a first read. A case passes when the decoder either succeeds or throws
 * its typed DecodeError naming the file, within the per-case time limit.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecodeError } from '../../src/decoders/errors.js';
import type { DecoderPlugin } from '../../src/decoders/types.js';
import type { DecodePool } from '../../src/workers/decode-pool.js';

export interface FuzzResult {
  cases: number;
  decoded: number;
  rejected: number;
  failures: string[];
  slowest: number;
}

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function mutate(src: Uint8Array, r: () => number): Uint8Array {
  const b = Uint8Array.from(src);
  const kind = Math.floor(r() * 6);
  const at = () => Math.floor(r() * b.length);
  switch (kind) {
    case 0: // a few bit flips
      for (let i = 0, n = 1 + Math.floor(r() * 8); i < n; i++) b[at()]! ^= 1 << Math.floor(r() * 8);
      return b;
    case 1: // random bytes overwritten
      for (let i = 0, n = 1 + Math.floor(r() * 16); i < n; i++) b[at()] = Math.floor(r() * 256);
      return b;
    case 2: // truncation
      return b.subarray(0, Math.floor(r() * b.length));
    case 3: {
      // garbage inserted
      const pos = at();
      const junk = Uint8Array.from({ length: 1 + Math.floor(r() * 64) }, () => Math.floor(r() * 256));
      const out = new Uint8Array(b.length + junk.length);
      out.set(b.subarray(0, pos));
      out.set(junk, pos);
      out.set(b.subarray(pos), pos + junk.length);
      return out;
    }
    case 4: {
      // a 32-bit big-endian field set to an extreme (length and size fields)
      const pos = Math.max(0, at() - 4);
      const v = [0, 1, 0x7fffffff, 0xffffffff, 0x10000, b.length * 2][Math.floor(r() * 6)]!;
      new DataView(b.buffer).setUint32(Math.min(pos, b.length - 4), v >>> 0, false);
      return b;
    }
    default: // a header byte near the start
      b[Math.floor(r() * Math.min(b.length, 256))] = Math.floor(r() * 256);
      return b;
  }
}

export async function fuzzDecoder(plugin: DecoderPlugin, files: string[], cases: number, seed: number, perCaseMs: number): Promise<FuzzResult> {
  const dir = mkdtempSync(join(tmpdir(), `wekeo-fuzz-${plugin.format}-`));
  const r = rng(seed);
  const originals = files.map((f) => ({ name: f.split('/').pop()!, bytes: new Uint8Array(readFileSync(f)) }));
  const res: FuzzResult = { cases: 0, decoded: 0, rejected: 0, failures: [], slowest: 0 };
  try {
    for (let i = 0; i < cases; i++) {
      const o = originals[i % originals.length]!;
      const path = join(dir, `case-${i}-${o.name}`);
      writeFileSync(path, mutate(o.bytes, r));
      if (process.env.WEKEO_FUZZ_TRACE) process.stderr.write(`fuzz case ${i} ${o.name}\n`);
      const t0 = performance.now();
      try {
        const desc = await plugin.describe(path);
        await plugin.inspect(path);
        const g = desc.groups[0];
        if (g && g.variables.length) for await (const b of plugin.read(path, { group: g.id, variables: [g.variables[0]!.name], time: [0, Math.min(1, Math.max(1, g.times.length))] })) void b;
        res.decoded++;
      } catch (e) {
        if (e instanceof DecodeError && e.file === path) res.rejected++;
        else res.failures.push(`case ${i} (${o.name}): ${(e as Error)?.name}: ${(e as Error)?.message}`);
      }
      const ms = performance.now() - t0;
      res.slowest = Math.max(res.slowest, ms);
      if (ms > perCaseMs) res.failures.push(`case ${i} (${o.name}) took ${ms.toFixed(0)} ms`);
      res.cases++;
      rmSync(path, { force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return res;
}

/** A plugin whose describe/inspect/read go through a decode pool (the bridge's path, with its watchdog). */
export function viaPool(plugin: DecoderPlugin, pool: DecodePool): DecoderPlugin {
  return {
    format: plugin.format,
    sniff: plugin.sniff,
    describe: (p) => pool.describe(p),
    inspect: (p) => pool.inspect(p),
    read: (p, s) => pool.read(p, s),
  };
}
