/**
 * The JPEG 2000 decoder (our OpenJPEG WebAssembly build, GRIB2 template 5.40) on fields written by
 * ecCodes with 8, 12, 16 and 24 bits per value, one with a bitmap (fixtures/make-jpeg2000.py):
 * values bit-identical to ecCodes' codes_get_values; broken code streams give a typed error, and
 * the decoder keeps working after them; a mutated file never crashes the GRIB decoder.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeJpeg2000Scaled, Jpeg2000Error } from '../../../src/decoders/codecs/jpeg2000.js';
import { DecodeError } from '../../../src/decoders/errors.js';
import { gribDecoder } from '../../../src/decoders/grib/index.js';
import { fuzzDecoder } from '../../support/fuzz.js';

const path = join(import.meta.dirname, 'fixtures', 'jpeg2000.grib2');
const file = readFileSync(path);
const oracle = JSON.parse(readFileSync(`${path}.oracle.json`, 'utf8')) as {
  fields: Array<{ bitsPerValue: number; count: number; sha256: string; codestream: { offset: number; length: number } }>;
};
const UNIT = { r: 0, bscale: 1, dscale: 1 };

function digest(values: Float64Array): string {
  const v = Float64Array.from(values);
  for (let i = 0; i < v.length; i++) if (v[i] !== v[i]) v[i] = NaN; // canonical NaN
  return createHash('sha256').update(new Uint8Array(v.buffer)).digest('hex');
}

function codestream(k: number): Uint8Array {
  const { offset, length } = oracle.fields[k]!.codestream;
  return new Uint8Array(file.buffer, file.byteOffset + offset, length);
}

async function samples(cs: Uint8Array, count: number): Promise<Float64Array> {
  const out = new Float64Array(count);
  await decodeJpeg2000Scaled(cs, count, UNIT, out, 0);
  return out;
}

describe('JPEG 2000 (GRIB2 5.40)', () => {
  it('decodes every field bit-identically to ecCodes', async () => {
    const got: Array<{ bits: number; count: number; sha256: string }> = [];
    for await (const c of gribDecoder.decodeAll(path)) {
      const values = c.values as Float64Array;
      got.push({ bits: oracle.fields[c.field]!.bitsPerValue, count: values.length, sha256: digest(values) });
    }
    expect(got).toEqual(oracle.fields.map((f) => ({ bits: f.bitsPerValue, count: f.count, sha256: f.sha256 })));
  });

  it('gives the raw samples within the bit depth, scaled as asked, at the offset asked', async () => {
    const f = oracle.fields[2]!; // 16 bits
    const raw = await samples(codestream(2), f.count);
    expect(raw.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 16)).toBe(true);
    expect(new Set(raw).size).toBeGreaterThan(100);
    const out = new Float64Array(f.count + 3).fill(-1);
    await decodeJpeg2000Scaled(codestream(2), f.count, { r: 10, bscale: 0.5, dscale: 0.1 }, out, 3);
    expect([...out.subarray(0, 3)]).toEqual([-1, -1, -1]);
    for (let i = 0; i < f.count; i += 97) expect(out[3 + i]).toBe((raw[i]! * 0.5 + 10) * 0.1);
  });

  it('rejects broken code streams with a typed error and keeps decoding afterwards', async () => {
    const good = codestream(1);
    const count = oracle.fields[1]!.count;
    const want = await samples(good, count);
    const garbage = Uint8Array.from({ length: 500 }, (_, i) => (i * 37 + 11) & 0xff);
    const broken = [new Uint8Array(0), garbage, good.subarray(0, 60), good.subarray(0, good.length >> 1)];
    for (const b of broken) {
      await expect(samples(b, count)).rejects.toBeInstanceOf(Jpeg2000Error);
      expect(await samples(good, count)).toEqual(want);
    }
    await expect(samples(good, count + 1)).rejects.toThrow(`JPEG 2000 image has ${count} samples, expected ${count + 1}`);
    expect(await samples(good, count)).toEqual(want);
  });

  it('names the message and the code stream when a GRIB file carries a broken one', async () => {
    const bad = Buffer.from(file);
    const { offset, length } = oracle.fields[1]!.codestream;
    bad.fill(0x5a, offset + 2, offset + length); // keeps SOC, destroys SIZ and the rest
    const p = join(mkdtempSync(join(tmpdir(), 'j2k-')), 'bad.grib2');
    writeFileSync(p, bad);
    const err = await (async () => {
      for await (const _ of gribDecoder.decodeAll(p));
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DecodeError);
    expect((err as DecodeError).code).toBe('CORRUPT');
    expect((err as DecodeError).detail).toMatch(/^GRIB message 2, data section: JPEG 2000 code stream: ./);
  });

  it('survives 300 mutated files with a typed error or a result', async () => {
    const res = await fuzzDecoder(gribDecoder, [path], 300, 540, 2000);
    expect(res.failures.slice(0, 10)).toEqual([]);
    expect(res.cases).toBe(300);
    expect(res.rejected).toBeGreaterThan(0);
    expect(res.decoded).toBeGreaterThan(0);
  }, 120_000);
});
