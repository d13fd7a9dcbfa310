import { describe, expect, it } from 'vitest';
import { cfPacking, decodeCf } from '../../../src/decoders/cf/packing.js';
import type { NcVariable } from '../../../src/decoders/cf/variable.js';

function v(type: NcVariable['type'], attrs: NcVariable['attrs'], attrTypes: NcVariable['attrTypes'] = {}): NcVariable {
  return { name: 'x', dims: ['y'], shape: [4], type, attrs, attrTypes };
}
const valid = (d: ReturnType<typeof decodeCf>, i: number) => !d.validity || (d.validity[i >> 3]! & (1 << (i & 7))) !== 0;

describe('CF mask and scale', () => {
  it('unpacks with scale_factor/add_offset in the attributes\' precision', () => {
    const p64 = cfPacking(v('int16', { scale_factor: 0.01, add_offset: 273.15 }, { scale_factor: 'float64', add_offset: 'float64' }));
    expect(p64.outType).toBe('float64');
    expect(decodeCf(new Int16Array([100]), p64).values[0]).toBe(100 * 0.01 + 273.15);
    const p32 = cfPacking(v('int16', { scale_factor: 0.01 }, { scale_factor: 'float32' }));
    expect(p32.outType).toBe('float32');
    expect(decodeCf(new Int16Array([3]), p32).values[0]).toBe(Math.fround(3 * Math.fround(0.01)));
  });

  it('masks _FillValue, missing_value (list), NaN and values outside valid_range', () => {
    const p = cfPacking(v('int16', { _FillValue: -999, missing_value: [-1, -2], valid_range: [0, 100] }));
    const d = decodeCf(new Int16Array([-999, -1, -2, 5, 101, 100]), p);
    expect([0, 1, 2, 3, 4, 5].map((i) => valid(d, i))).toEqual([false, false, false, true, false, true]);
    expect(d.nullCount).toBe(4);
    const f = decodeCf(new Float32Array([NaN, 1]), cfPacking(v('float32', {})));
    expect([valid(f, 0), valid(f, 1)]).toEqual([false, true]);
  });

  it('uses the netCDF default fill value when there is no _FillValue', () => {
    const d = decodeCf(new Int16Array([-32767, 7]), cfPacking(v('int16', {})));
    expect(valid(d, 0)).toBe(false);
    expect(d.values[1]).toBe(7);
    const f = decodeCf(new Float32Array([9.969209968386869e36]), cfPacking(v('float32', {})));
    expect(f.nullCount).toBe(1);
  });

  it('reinterprets _Unsigned integers before masking and scaling', () => {
    const p = cfPacking(v('int8', { _Unsigned: 'true', _FillValue: -1, scale_factor: 2 }, { scale_factor: 'float64' }));
    const d = decodeCf(new Int8Array([-1, -2, 3]), p);
    expect(valid(d, 0)).toBe(false); // 255 = the fill value -1 read as unsigned
    expect(d.values[1]).toBe(254 * 2);
    expect(d.values[2]).toBe(6);
  });

  it('keeps unpacked integers exact as float64 and float32 data as float32', () => {
    expect(cfPacking(v('int32', {})).outType).toBe('float64');
    expect(cfPacking(v('float32', {})).outType).toBe('float32');
    expect(decodeCf(new Int32Array([2147483000]), cfPacking(v('int32', {}))).values[0]).toBe(2147483000);
  });
});
