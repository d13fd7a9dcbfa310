/**
 * inflateInto reuses one native zlib stream: every call must give what inflateSync gives, and every
 * damaged, truncated or oversized stream must throw, without spoiling the next call.
 */
import { deflateSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { inflateExact, inflateInto, InflateError } from '../../../src/decoders/codecs/inflate.js';

function sample(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = (i >> 4) + ((x >>> 29) & 3); // compressible, not trivially
  }
  return b;
}

describe('inflateInto', () => {
  it('matches inflateSync for many streams in a row, into exact and larger buffers', () => {
    for (let k = 0; k < 20; k++) {
      const raw = sample(1000 + k * 7919, k);
      const z = deflateSync(raw, { level: (k % 9) + 1 });
      const exact = new Uint8Array(raw.length);
      expect(inflateInto(z, exact)).toBe(raw.length);
      expect(Buffer.compare(exact, inflateSync(z))).toBe(0);
      const big = new Uint8Array(raw.length + 100);
      expect(inflateInto(z, big)).toBe(raw.length);
      expect(Buffer.compare(big.subarray(0, raw.length), raw)).toBe(0);
    }
  });

  it('throws on a stream that decodes to more than the buffer holds', () => {
    const z = deflateSync(sample(5000, 1));
    expect(() => inflateInto(z, new Uint8Array(4999))).toThrow(InflateError);
    expect(() => inflateExact(z, new Uint8Array(6000), 4000)).toThrow(/more than the 4000 bytes/);
  });

  it('throws on damaged and truncated streams, then works again', () => {
    const raw = sample(5000, 2);
    const z = deflateSync(raw);
    expect(() => inflateInto(new TextEncoder().encode('not a zlib stream'), new Uint8Array(100))).toThrow(InflateError);
    const badCheck = Uint8Array.from(z);
    badCheck[badCheck.length - 1]! ^= 1;
    expect(() => inflateInto(badCheck, new Uint8Array(raw.length))).toThrow(InflateError);
    expect(() => inflateInto(z.subarray(0, z.length - 10), new Uint8Array(raw.length + 10))).toThrow(InflateError);
    expect(() => inflateInto(z.subarray(0, z.length - 4), new Uint8Array(raw.length))).toThrow(InflateError);
    const out = new Uint8Array(raw.length);
    expect(inflateInto(z, out)).toBe(raw.length);
    expect(Buffer.compare(out, raw)).toBe(0);
  });

  it('inflateExact rejects a short stream', () => {
    const z = deflateSync(sample(100, 3));
    expect(() => inflateExact(z, new Uint8Array(200), 200)).toThrow(/100 bytes, not the 200/);
  });
});
