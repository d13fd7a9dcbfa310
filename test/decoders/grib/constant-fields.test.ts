/**
 * Constant fields (0 bits per value) with a decimal scale factor, one message per packing: ecCodes
 * writes the constant itself as the reference value R and decodes every point as R. The fixture
 * and its ecCodes values come from fixtures/make-constant-fields.py.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { gribDecoder } from '../../../src/decoders/grib/index.js';

const path = join(import.meta.dirname, 'fixtures', 'constant_fields.grib');
const oracle = JSON.parse(readFileSync(`${path}.oracle.json`, 'utf8')) as { fields: Array<{ packingType: string; count: number; values: number[] }> };

it('decodes constant fields of every packing as ecCodes does', async () => {
  const got: Array<{ packingType: string; count: number; values: number[] }> = [];
  for await (const c of gribDecoder.decodeAll(path)) {
    got.push({ packingType: oracle.fields[c.field]!.packingType, count: c.values.length, values: [...new Set(c.values)].sort((a, b) => a - b) });
  }
  expect(got).toEqual(oracle.fields.map((f) => ({ packingType: f.packingType, count: f.count, values: f.values })));
});
