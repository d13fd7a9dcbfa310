/**
 * GRIB1 second-order packing whose header arrays pass 65535 octets, so the 16-bit octet pointer
 * N2 cannot hold where the second-order values start (ecCodes writes 65535). The fixture and its
 * ecCodes values come from fixtures/make-second-order-large.py.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { gribDecoder } from '../../../src/decoders/grib/index.js';

const dir = join(import.meta.dirname, 'fixtures');
const path = join(dir, 'second_order_large.grib1');
const oracle = JSON.parse(readFileSync(`${path}.oracle.json`, 'utf8')) as { N2: number; count: number; min: number; max: number; mean: number; every1000: number[] };

it('decodes a second-order field whose N2 pointer overflowed, equal to ecCodes', async () => {
  expect(oracle.N2).toBe(65535);
  const chunks = [];
  for await (const c of gribDecoder.decodeAll(path)) chunks.push(c);
  expect(chunks.length).toBe(1);
  const v = chunks[0]!.values;
  expect(v.length).toBe(oracle.count);
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < v.length; i++) {
    min = Math.min(min, v[i]!);
    max = Math.max(max, v[i]!);
    sum += v[i]!;
  }
  expect([min, max]).toEqual([oracle.min, oracle.max]);
  expect(Math.abs(sum / v.length - oracle.mean)).toBeLessThan(1e-9 * Math.abs(oracle.mean));
  expect(Array.from({ length: oracle.every1000.length }, (_, k) => v[k * 1000])).toEqual(oracle.every1000);
});
