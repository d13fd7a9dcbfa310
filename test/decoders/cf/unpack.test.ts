/**
 * Every mask-and-scale loop (lookup table, in-place float masking, wide arithmetic, generic)
 * agrees value for value and bit for bit with the scalar definition `decodeValue`, for each
 * netCDF numeric type, with and without packing, fill values and valid ranges.
 */
import { describe, expect, it } from 'vitest';
import { cfPacking, decodeCf, decodeCfValues, decodeValue } from '../../../src/decoders/cf/packing.js';
import type { NcArray, NcVariable } from '../../../src/decoders/cf/variable.js';

const TYPES = {
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

/** Deterministic pseudo-random raw values covering the type's range, with fill values sprinkled in. */
function rawValues(type: keyof typeof TYPES, n: number, fills: number[]): NcArray {
  const a = new TYPES[type](n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    if (i % 97 === 0 && fills.length) a[i] = fills[i % fills.length]!;
    else if (type.startsWith('float')) a[i] = i % 211 === 0 ? NaN : i % 101 === 0 ? -0 : i % 103 === 0 ? 0 : (s / 2 ** 32 - 0.5) * 600;
    else a[i] = s;
  }
  return a;
}

const CASES: Array<[string, NcVariable['attrs'], NcVariable['attrTypes']]> = [
  ['plain', {}, {}],
  ['fill', { _FillValue: -7 }, {}],
  ['fill+missing', { _FillValue: -7, missing_value: 3 }, {}],
  ['three missing', { _FillValue: -7, missing_value: [3, 4] }, {}],
  ['range', { valid_range: [-100, 100] }, {}],
  ['zero fill', { _FillValue: 0 }, {}],
  ['missing value float32 cannot hold', { missing_value: 0.1 }, {}],
  ['packed f64', { scale_factor: 0.01, add_offset: 273.15, _FillValue: -7 }, { scale_factor: 'float64', add_offset: 'float64' }],
  ['packed f32', { scale_factor: 0.05, add_offset: 250, _FillValue: -7 }, { scale_factor: 'float32', add_offset: 'float32' }],
  ['unsigned', { _Unsigned: 'true', _FillValue: -1, scale_factor: 2 }, { scale_factor: 'float64' }],
];

describe.each(Object.keys(TYPES) as Array<keyof typeof TYPES>)('%s data', (type) => {
  it.each(CASES)('%s: every loop matches decodeValue', (_, attrs, attrTypes) => {
    const v: NcVariable = { name: 'x', dims: ['y'], shape: [0], type, attrs, attrTypes };
    const p = cfPacking(v);
    for (const n of [5, 1000, 70_001]) {
      const raw = rawValues(type, n, p.missing);
      const unsigned = p.unsigned && /^int/.test(type) ? Array.from(new (TYPES[type.replace('int', 'uint') as keyof typeof TYPES])(raw.buffer, 0, n)) : Array.from(raw as ArrayLike<number>);
      const want = unsigned.map((r) => decodeValue(r, p));
      const valuesOnly = decodeCfValues(raw.slice(), p);
      expect(Array.from(valuesOnly).every((x, i) => Object.is(x, want[i]))).toBe(true);
      const d = decodeCf(raw, p);
      expect(d.values).toBeInstanceOf(p.outType === 'float32' ? Float32Array : Float64Array);
      const nulls = want.filter((x) => Number.isNaN(x)).length;
      expect(d.nullCount).toBe(nulls);
      for (let i = 0; i < n; i++) {
        const ok = !Number.isNaN(want[i]!);
        if (Object.is(d.values[i], want[i]) && (!d.validity || ((d.validity[i >> 3]! >> (i & 7)) & 1) === +ok)) continue;
        expect({ i, raw: unsigned[i], got: d.values[i], want: want[i], valid: d.validity ? (d.validity[i >> 3]! >> (i & 7)) & 1 : 1 }).toEqual({ i, raw: unsigned[i], got: want[i], want: want[i], valid: +ok });
      }
    }
  });
});
