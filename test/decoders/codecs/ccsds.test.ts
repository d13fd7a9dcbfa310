/**
 * CCSDS 121.0-B / AEC decoding against streams encoded by libaec's reference tool for every
 * option (bits per sample 1-32, block sizes 8-64, RSI, preprocessing, signed, restricted code
 * options, MSB and 3-byte sample layouts), plus corrupt and truncated input. RSI padding
 * (AEC_PAD_RSI) is checked on the CCSDS reference data instead (ccsds-121b2.test.ts): libaec
 * 1.0.6's tool cannot decode the padded streams it writes. Regenerate with scripts/gen-ccsds-fixtures.sh.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { aecDecode, aecDecodeScaled, AecError, type AecParams } from '../../../src/decoders/codecs/ccsds.js';
import { repoRoot } from '../../support/corpus.js';

const dir = join(repoRoot, 'test/fixtures/ccsds');
interface Case extends AecParams { count: number; sampleBytes: number; msb: boolean; signed: boolean }
const cases = readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => f.slice(0, -5));

function expected(name: string, c: Case): Uint32Array {
  const raw = readFileSync(join(dir, `${name}.raw`));
  const out = new Uint32Array(c.count);
  const mask = c.bitsPerSample === 32 ? 0xffffffff : 2 ** c.bitsPerSample - 1;
  for (let i = 0; i < c.count; i++) {
    let v = 0;
    for (let b = 0; b < c.sampleBytes; b++) {
      const byte = raw[i * c.sampleBytes + (c.msb ? b : c.sampleBytes - 1 - b)]!;
      v = v * 256 + byte;
    }
    out[i] = (v % 2 ** 32) % (mask + 1);
  }
  return out;
}

describe('CCSDS / AEC decoder', () => {
  it('has fixtures for every option family', () => {
    expect(cases.length).toBeGreaterThan(70);
    const flags = new Set(cases.map((n) => (JSON.parse(readFileSync(join(dir, `${n}.json`), 'utf8')) as Case).flags));
    for (const bit of [1, 2, 4, 8, 16]) expect([...flags].some((f) => f & bit), `flag ${bit}`).toBe(true);
  });

  it.each(cases)('decodes %s exactly as encoded by libaec', (name) => {
    const c = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as Case;
    const got = aecDecode(new Uint8Array(readFileSync(join(dir, `${name}.aec`))), c, c.count);
    const want = expected(name, c);
    let firstBad = -1;
    for (let i = 0; i < c.count; i++) if (got[i] !== want[i]) { firstBad = i; break; }
    expect(firstBad, `first mismatch at ${firstBad}: ${got[firstBad]} vs ${want[firstBad]}`).toBe(-1);
  });

  it.each(cases)('decodes %s scaled into float64 as the samples scaled one by one', (name) => {
    const c = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as Case;
    const enc = new Uint8Array(readFileSync(join(dir, `${name}.aec`)));
    const samples = aecDecode(enc, c, c.count);
    const scale = { r: -3.25, bscale: 2 ** -3, dscale: 0.1 };
    const got = new Float64Array(c.count + 2).fill(-1);
    aecDecodeScaled(enc, c, c.count, scale, got, 1);
    const want = [-1, ...Array.from(samples, (x) => (x * scale.bscale + scale.r) * scale.dscale), -1];
    expect(Array.from(got)).toEqual(want);
  });

  it('rejects truncated streams with a clear error instead of inventing samples', () => {
    const name = cases.find((n) => n.includes('-n16-j32-r128-pre'))!;
    const c = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as Case;
    const enc = new Uint8Array(readFileSync(join(dir, `${name}.aec`)));
    for (const cut of [0, 1, 5, enc.length >> 1, enc.length - 1]) {
      expect(() => aecDecode(enc.subarray(0, cut), c, c.count)).toThrow(AecError);
    }
  });

  it('rejects invalid parameters', () => {
    expect(() => aecDecode(new Uint8Array(8), { bitsPerSample: 0, blockSize: 32, rsi: 128, flags: 8 }, 1)).toThrow(/bits per sample/);
    expect(() => aecDecode(new Uint8Array(8), { bitsPerSample: 16, blockSize: 12, rsi: 128, flags: 8 }, 1)).toThrow(/block size/);
    expect(() => aecDecode(new Uint8Array(8), { bitsPerSample: 16, blockSize: 32, rsi: 0, flags: 8 }, 1)).toThrow(/reference sample interval/);
  });

  it('never hangs or throws anything but AecError on random bit flips (500 cases)', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const pool = cases.filter((_, i) => i % 7 === 0);
    for (let k = 0; k < 500; k++) {
      const name = pool[k % pool.length]!;
      const c = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as Case;
      const enc = new Uint8Array(readFileSync(join(dir, `${name}.aec`)));
      for (let f = 0; f < 1 + Math.floor(rnd() * 4); f++) enc[Math.floor(rnd() * enc.length)]! ^= 1 << Math.floor(rnd() * 8);
      const t0 = performance.now();
      try {
        const out = aecDecode(enc, c, c.count);
        expect(out.length).toBe(c.count);
      } catch (e) {
        expect(e).toBeInstanceOf(AecError);
      }
      expect(performance.now() - t0).toBeLessThan(1000);
    }
  });
});
