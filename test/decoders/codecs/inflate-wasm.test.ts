/**
 * Our WebAssembly inflate (inflate.c) against node:zlib: round trips over every compression level,
 * strategy, window and memory size, raw and zlib-wrapped, on generated and real inputs; and a
 * fuzz of damaged streams, where ours must throw InflateError exactly when zlib fails and give
 * zlib's bytes when it does not.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { constants, deflateRawSync, deflateSync, type ZlibOptions } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { inflateInto, inflateView, InflateError, type InflateFormat } from '../../../src/decoders/codecs/inflate.js';
import { wasmInflate } from '../../../src/decoders/codecs/inflate-wasm.js';
import { zlibInflateInto } from '../../../src/decoders/codecs/inflate-zlib.js';

const wasm = wasmInflate()!;

/** A small deterministic generator (xorshift32). */
function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** Inputs that exercise literals, short and long matches, distance-1 runs and far distances. */
function generated(kind: number, n: number, seed: number): Uint8Array {
  const r = rng(seed);
  const b = new Uint8Array(n);
  switch (kind) {
    case 0: // incompressible
      for (let i = 0; i < n; i++) b[i] = r() & 255;
      break;
    case 1: // a few symbols: short codes, many matches
      for (let i = 0; i < n; i++) b[i] = (i >> 4) + (r() & 3);
      break;
    case 2: // runs of one byte: distance 1, matches of 258
      for (let i = 0; i < n; ) {
        const v = r() & 255;
        const len = 1 + (r() % 2000);
        b.fill(v, i, Math.min(n, i + len));
        i += len;
      }
      break;
    case 3: // period 2..7: overlapping copies at small distances
      {
        const period = 2 + (seed % 6);
        for (let i = 0; i < n; i++) b[i] = i < period ? r() & 255 : b[i - period]!;
        for (let i = 0; i < n; i += 97) b[i] = r() & 255;
      }
      break;
    case 4: // float32 samples of a smooth field with noise (as the GeoTIFF tiles)
      {
        const f = new Float32Array(b.buffer, 0, n >> 2);
        for (let i = 0; i < f.length; i++) f[i] = Math.sin(i / 300) * 1000 + (r() % 1000) / 100;
      }
      break;
    default: // skewed literals: long Huffman codes (subtables)
      for (let i = 0; i < n; i++) {
        const x = r();
        b[i] = x % 1000 < 900 ? x & 1 : x & 255;
      }
  }
  return b;
}

function fixtures(): Uint8Array[] {
  const files: Uint8Array[] = [];
  for (const dir of ['geotiff', 'netcdf', 'grib']) {
    const root = join(__dirname, '../../fixtures', dir);
    for (const name of readdirSync(root).sort()) {
      if (name.endsWith('.json')) continue;
      files.push(readFileSync(join(root, name)));
      if (files.length % 6 === 0) break;
    }
  }
  return files;
}

function compress(data: Uint8Array, format: InflateFormat, options: ZlibOptions): Uint8Array {
  return format === 'raw' ? deflateRawSync(data, options) : deflateSync(data, options);
}

/** What zlib gives for `input` with `capacity` bytes of room: the bytes, or its error. */
function reference(input: Uint8Array, capacity: number, format: InflateFormat): Uint8Array | Error {
  const out = new Uint8Array(capacity);
  try {
    return out.subarray(0, zlibInflateInto(input, out, format));
  } catch (e) {
    return e as Error;
  }
}

function ours(input: Uint8Array, capacity: number, format: InflateFormat): Uint8Array | Error {
  try {
    return wasm.decode(input, capacity, format).slice();
  } catch (e) {
    return e as Error;
  }
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** Bits written least significant first, as DEFLATE packs them. */
class Bits {
  private bytes: number[] = [];
  private bit = 0;
  put(value: number, n: number): void {
    for (let i = 0; i < n; i++) {
      if (this.bit % 8 === 0) this.bytes.push(0);
      this.bytes[this.bytes.length - 1]! |= ((value >> i) & 1) << this.bit % 8;
      this.bit++;
    }
  }
  /** A Huffman code: its bits go most significant first. */
  code(code: number, len: number): void {
    for (let i = len - 1; i >= 0; i--) this.put((code >> i) & 1, 1);
  }
  done(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

/** Canonical codes (RFC 1951 3.2.2) of the symbols with a nonzero length. */
function canonical(lens: number[]): number[] {
  const count = new Array<number>(16).fill(0);
  for (const l of lens) if (l) count[l]!++;
  const next = new Array<number>(16).fill(0);
  for (let l = 1, code = 0; l < 16; l++) next[l] = code = (code + count[l - 1]!) << 1;
  return lens.map((l) => (l ? next[l]!++ : -1));
}

/**
 * One final dynamic block with the given literal/length and distance code lengths, coding
 * `syms` ([literal or EOB] or [length symbol, distance symbol], no extra bits used). Code lengths
 * are sent with a code-length code of 16 four-bit codes (for lengths 0-15).
 */
function dynamicBlock(lit: Record<number, number>, dist: Record<number, number>, syms: [number, number?][]): Uint8Array {
  const nlit = 286;
  const ndist = 30;
  const litLens = Array.from({ length: nlit }, (_, s) => lit[s] ?? 0);
  const distLens = Array.from({ length: ndist }, (_, s) => dist[s] ?? 0);
  const out = new Bits();
  out.put(1, 1);
  out.put(2, 2);
  out.put(nlit - 257, 5);
  out.put(ndist - 1, 5);
  out.put(19 - 4, 4);
  const order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
  for (const s of order) out.put(s < 16 ? 4 : 0, 3);
  for (const l of [...litLens, ...distLens]) out.code(l, 4); // canonical code of length l is l
  const litCodes = canonical(litLens);
  const distCodes = canonical(distLens);
  for (const [s, d] of syms) {
    out.code(litCodes[s]!, litLens[s]!);
    if (d !== undefined) {
      if (distLens[d]) out.code(distCodes[d]!, distLens[d]!);
      else out.put(1, 1); // a code the (empty or single) distance set lacks
    }
  }
  return out.done();
}

describe('WebAssembly inflate', () => {
  it('is available on this Node', () => {
    expect(wasm).not.toBeNull();
  });

  it('round-trips every level, strategy, window and memory level, raw and zlib-wrapped', () => {
    let cases = 0;
    for (let kind = 0; kind < 6; kind++) {
      for (const n of [0, 1, 2, 300, 40_000, 150_000]) {
        const data = generated(kind, n, kind * 31 + n);
        for (let level = 0; level <= 9; level++) {
          const windowBits = 9 + ((kind + level) % 7);
          const options: ZlibOptions = { level, windowBits, memLevel: 1 + ((n + level) % 9), strategy: (kind + level) % 5 };
          for (const format of ['zlib', 'raw'] as const) {
            const z = compress(data, format, options);
            const got = wasm.decode(z, n, format);
            expect(same(got, data), `kind ${kind} n ${n} level ${level} ${format}`).toBe(true);
            cases++;
          }
        }
      }
    }
    expect(cases).toBe(720);
  });

  it('round-trips real files of the corpus and a 1-byte output into a 1-byte buffer', () => {
    const files = fixtures();
    expect(files.length).toBeGreaterThan(8);
    for (const data of files) {
      for (const level of [1, 6, 9]) {
        for (const strategy of [constants.Z_DEFAULT_STRATEGY, constants.Z_FIXED, constants.Z_HUFFMAN_ONLY]) {
          const z = deflateSync(data, { level, strategy });
          expect(same(wasm.decode(z, data.length, 'zlib'), data)).toBe(true);
          // More room than needed is fine; exactly the size too (checked above).
          expect(same(wasm.decode(z, data.length + 1000, 'zlib'), data)).toBe(true);
        }
      }
    }
    const one = deflateSync(Uint8Array.of(42));
    expect(Array.from(wasm.decode(one, 1, 'zlib'))).toEqual([42]);
    expect(() => wasm.decode(one, 0, 'zlib')).toThrow(/more than the 0 bytes/);
  });

  it('decodes stored, fixed and dynamic blocks in one stream, each as zlib does', () => {
    const data = new Uint8Array(300_000);
    data.set(generated(0, 100_000, 1), 0); // stored at level 0 / incompressible
    data.set(generated(2, 100_000, 2), 100_000);
    data.set(generated(4, 100_000, 3), 200_000);
    for (const strategy of [constants.Z_FIXED, constants.Z_DEFAULT_STRATEGY, constants.Z_RLE, constants.Z_FILTERED]) {
      const z = deflateSync(data, { level: 6, strategy });
      expect(same(wasm.decode(z, data.length, 'zlib'), data)).toBe(true);
    }
    // Stored blocks of every length edge: 0, 1, 65535 (the maximum).
    for (const n of [0, 1, 65535, 65536, 200_000]) {
      const d = generated(0, n, n);
      expect(same(wasm.decode(deflateRawSync(d, { level: 0 }), n, 'raw'), d)).toBe(true);
    }
  });

  it('rejects oversized output, bad headers and checks with zlib-like messages', () => {
    const data = generated(1, 5000, 9);
    const z = deflateSync(data);
    expect(() => wasm.decode(z, 4999, 'zlib')).toThrow(/more than the 4999 bytes/);
    const header = Uint8Array.from(z);
    header[1]! ^= 1;
    expect(() => wasm.decode(header, 5000, 'zlib')).toThrow(/incorrect header check/);
    const check = Uint8Array.from(z);
    check[check.length - 2]! ^= 0x10;
    expect(() => wasm.decode(check, 5000, 'zlib')).toThrow(/incorrect data check/);
    expect(() => wasm.decode(z.subarray(0, z.length - 1), 5000, 'zlib')).toThrow(/unexpected end of file/);
    expect(() => wasm.decode(new Uint8Array(0), 10, 'zlib')).toThrow(InflateError);
    expect(() => wasm.decode(new Uint8Array(0), 10, 'raw')).toThrow(/unexpected end of file/);
    // A preset dictionary (FDICT) cannot be honoured.
    expect(() => wasm.decode(Uint8Array.of(0x78, 0xbb, 0, 0, 0, 1), 10, 'zlib')).toThrow(/dictionary/);
    // Block type 3.
    expect(() => wasm.decode(Uint8Array.of(0x07), 10, 'raw')).toThrow(/invalid block type/);
    // Trailing bytes after the stream are ignored, as zlib does.
    const trailing = new Uint8Array(z.length + 7);
    trailing.set(z);
    expect(same(wasm.decode(trailing, 5000, 'zlib'), data)).toBe(true);
  });

  it('public API: inflateInto copies into the caller buffer, inflateView returns the output', () => {
    const data = generated(4, 262_144, 5);
    const z = deflateSync(data);
    const out = new Uint8Array(data.length + 8);
    expect(inflateInto(z, out)).toBe(data.length);
    expect(same(out.subarray(0, data.length), data)).toBe(true);
    expect(same(inflateView(z, data.length), data)).toBe(true);
    const raw = deflateRawSync(data);
    expect(inflateInto(raw, out, 'raw')).toBe(data.length);
    expect(same(inflateView(raw, data.length + 1, 'raw'), data)).toBe(true);
  });

  it('node:zlib fallback (no WebAssembly, or blocks too large for its memory) agrees, raw and zlib', () => {
    const data = generated(4, 100_000, 8);
    for (const format of ['zlib', 'raw'] as const) {
      const z = compress(data, format, { level: 6 });
      const out = new Uint8Array(data.length);
      expect(zlibInflateInto(z, out, format)).toBe(data.length);
      expect(same(out, data)).toBe(true);
      expect(() => zlibInflateInto(z, new Uint8Array(data.length - 1), format)).toThrow(/more than the 99999 bytes/);
      expect(() => zlibInflateInto(z.subarray(0, z.length >> 1), out, format)).toThrow(InflateError);
      expect(same(wasm.decode(z, data.length, format), out)).toBe(true);
    }
  });

  it('fuzz: damaged and truncated streams throw InflateError exactly when zlib fails, else match it', () => {
    const r = rng(12345);
    const seeds: { z: Uint8Array; n: number; format: InflateFormat }[] = [];
    for (let kind = 0; kind < 6; kind++) {
      for (const level of [0, 1, 4, 6, 9]) {
        const n = 200 + (r() % 6000);
        const data = generated(kind, n, r());
        const format: InflateFormat = (kind + level) % 2 ? 'raw' : 'zlib';
        seeds.push({ z: compress(data, format, { level, strategy: r() % 5, windowBits: 9 + (r() % 7) }), n, format });
      }
    }
    let mutants = 0;
    let agreedOk = 0;
    let agreedError = 0;
    const t0 = performance.now();
    for (let round = 0; round < 200; round++) {
      for (const { z, n, format } of seeds) {
        const m = Uint8Array.from(z);
        let input: Uint8Array = m;
        const op = r() % 6;
        if (op === 0) {
          for (let k = 1 + (r() % 3); k > 0; k--) m[r() % m.length]! ^= 1 << (r() % 8); // bit flips
        } else if (op === 1) {
          m[r() % m.length] = r() & 255; // a random byte
        } else if (op === 2) {
          input = m.subarray(0, r() % m.length); // truncated
        } else if (op === 3) {
          // Flip a bit in the first bytes, where block headers and code lengths are.
          m[Math.min(m.length - 1, r() % 24)]! ^= 1 << (r() % 8);
        } else if (op === 4) {
          // Random bytes after a valid header: arbitrary block structure.
          const start = format === 'zlib' ? 2 : 0;
          for (let i = start; i < m.length; i++) m[i] = r() & 255;
          input = m.subarray(0, start + (r() % Math.max(1, m.length - start)));
        } else {
          // Less room than the data needs (a damaged size claim).
          const capacity = r() % (n + 1);
          const want = reference(m, capacity, format);
          const got = ours(m, capacity, format);
          check(want, got);
          continue;
        }
        check(reference(input, n, format), ours(input, n, format));
      }
    }
    function check(want: Uint8Array | Error, got: Uint8Array | Error): void {
      mutants++;
      if (want instanceof Error) {
        expect(got).toBeInstanceOf(InflateError);
        agreedError++;
      } else {
        expect(got).toBeInstanceOf(Uint8Array);
        expect(same(got as Uint8Array, want)).toBe(true);
        agreedOk++;
      }
    }
    expect(mutants).toBe(6000);
    // Both outcomes must be exercised, or the fuzz proves little.
    expect(agreedError).toBeGreaterThan(3000);
    expect(agreedOk).toBeGreaterThan(300);
    expect(performance.now() - t0).toBeLessThan(20_000);
  });

  it('code-length sets: single one-bit codes and empty distance codes are accepted, others as zlib', () => {
    // Hand-built dynamic blocks (RFC 1951 3.2.7): the table builder must accept and reject what
    // zlib does, and a code missing from an incomplete set must be an invalid-code error.
    const A = 65;
    const cases: { lit: Record<number, number>; dist: Record<number, number>; syms: [number, number?][]; want: string | RegExp }[] = [
      { lit: { [A]: 1, 256: 1 }, dist: {}, syms: [[A], [A], [A], [256]], want: 'AAA' },
      { lit: { 256: 1 }, dist: {}, syms: [[256]], want: '' },
      { lit: { [A]: 1, 256: 2, 257: 2 }, dist: { 0: 1 }, syms: [[A], [257, 0], [256]], want: 'AAAA' },
      { lit: { [A]: 1, 256: 2, 257: 2 }, dist: { 0: 2 }, syms: [[A], [257, 0], [256]], want: /invalid distances set/ },
      { lit: { [A]: 2, 256: 2 }, dist: {}, syms: [[A], [256]], want: /invalid literal\/lengths set/ },
      { lit: { [A]: 1, 66: 1, 256: 1 }, dist: {}, syms: [[A], [256]], want: /invalid literal\/lengths set/ },
      { lit: { [A]: 1, 256: 2, 257: 2 }, dist: {}, syms: [[A], [257, 0], [256]], want: /invalid distance code/ },
      { lit: { [A]: 1, 257: 1 }, dist: { 0: 1 }, syms: [[A]], want: /missing end-of-block/ },
      { lit: { [A]: 1, 256: 2, 257: 2 }, dist: { 3: 1 }, syms: [[A], [257, 3], [256]], want: /too far back/ },
    ];
    for (const c of cases) {
      const block = dynamicBlock(c.lit, c.dist, c.syms);
      const want = reference(block, 100, 'raw');
      const got = ours(block, 100, 'raw');
      if (typeof c.want === 'string') {
        expect(want).toBeInstanceOf(Uint8Array);
        expect(Buffer.from(got as Uint8Array).toString('latin1')).toBe(c.want);
      } else {
        expect(want).toBeInstanceOf(Error);
        expect(got).toBeInstanceOf(InflateError);
        expect((got as Error).message).toMatch(c.want);
      }
    }
  });
});
