/**
 * CF mask-and-scale, with netCDF4-python's default semantics (what users compare against):
 * values equal to `missing_value`, `_FillValue` (or the netCDF default fill value when there is
 * no `_FillValue`), or outside `valid_min`/`valid_max`/`valid_range` are masked; `_Unsigned`
 * reinterprets signed integers; then value = raw * scale_factor + add_offset. NaN is masked too.
 * Packed data decode to the precision of the packing attributes (float32 attributes give float32).
 */
import { attrNumber, attrNumbers, attrString, type NcArray, type NcType, type NcVariable } from './variable.js';

/** netCDF default fill values (netcdf.h NC_FILL_*). */
export const DEFAULT_FILL: Partial<Record<NcType, number>> = {
  int8: -127,
  uint8: 255,
  int16: -32767,
  uint16: 65535,
  int32: -2147483647,
  uint32: 4294967295,
  int64: -9223372036854775806,
  uint64: 18446744073709551614,
  float32: 9.969209968386869e36,
  float64: 9.969209968386869e36,
};

export interface CfPacking {
  scale?: number;
  offset?: number;
  /** Raw values that mean "missing". */
  missing: number[];
  validMin?: number;
  validMax?: number;
  unsigned: boolean;
  outType: 'float32' | 'float64';
}

export function cfPacking(v: NcVariable): CfPacking {
  const a = v.attrs;
  const attrTypes = v.attrTypes ?? {};
  const unsigned = /^true$/i.test(attrString(a._Unsigned) ?? '') && /^int/.test(v.type);
  const scale = attrNumber(a.scale_factor);
  const offset = attrNumber(a.add_offset);
  const missing = [...attrNumbers(a.missing_value)];
  const fill = attrNumber(a._FillValue);
  if (fill !== undefined) missing.push(fill);
  else {
    const def = DEFAULT_FILL[unsigned ? (v.type.replace('int', 'uint') as NcType) : v.type];
    if (def !== undefined) missing.push(def);
  }
  let validMin: number | undefined;
  let validMax: number | undefined;
  const range = attrNumbers(a.valid_range);
  if (range.length === 2) [validMin, validMax] = range as [number, number];
  else {
    validMin = attrNumber(a.valid_min);
    validMax = attrNumber(a.valid_max);
  }
  const packed = scale !== undefined || offset !== undefined;
  const packType = attrTypes.scale_factor ?? attrTypes.add_offset;
  // numpy's rules as netCDF4-python applies them: float32 data times any float scalar stays float32.
  const outType = v.type === 'float32' || (packed && packType === 'float32') ? 'float32' : 'float64';
  // valid_min/max/range are stored in the signed type too (GOES ABI: valid_range = [0, -6] for 0..65530).
  const [lo, hi] = unsignedValues([validMin ?? NaN, validMax ?? NaN], v.type, unsigned);
  if (validMin !== undefined) validMin = lo;
  if (validMax !== undefined) validMax = hi;
  return { scale, offset, missing: unsignedValues(missing, v.type, unsigned), validMin, validMax, unsigned, outType };
}

/** Fill/missing attributes are stored in the signed type; compare them as the unsigned data. */
function unsignedValues(vals: number[], type: NcType, unsigned: boolean): number[] {
  if (!unsigned) return vals;
  const bits = type === 'int8' ? 8 : type === 'int16' ? 16 : type === 'int32' ? 32 : 0;
  return bits ? vals.map((x) => (x < 0 ? x + 2 ** bits : x)) : vals;
}

export interface Decoded {
  values: Float32Array | Float64Array;
  validity?: Uint8Array;
  nullCount: number;
}

/** Masks and scales raw values into a new float array with an Arrow validity bitmap. */
export function decodeCf(raw: NcArray, p: CfPacking): Decoded {
  const n = raw.length;
  const src = p.unsigned ? asUnsigned(raw) : raw;
  const out = p.outType === 'float32' ? new Float32Array(n) : new Float64Array(n);
  const validity = new Uint8Array((n + 7) >> 3);
  const miss = p.missing;
  const m0 = miss.length > 0 ? miss[0]! : NaN;
  const lo = p.validMin ?? -Infinity;
  const hi = p.validMax ?? Infinity;
  const scale = p.scale ?? 1;
  const offset = p.offset ?? 0;
  const f32 = p.outType === 'float32';
  const s32 = Math.fround(scale);
  const o32 = Math.fround(offset);
  const applyScale = p.scale !== undefined || p.offset !== undefined;
  let nulls = 0;
  const isBig = src instanceof BigInt64Array || src instanceof BigUint64Array;
  for (let i = 0; i < n; i++) {
    const r = isBig ? Number((src as BigInt64Array)[i]!) : (src as Float64Array)[i]!;
    let bad = r !== r || r < lo || r > hi || r === m0;
    if (!bad && miss.length > 1) for (let k = 1; k < miss.length; k++) if (r === miss[k]) bad = true;
    if (bad) {
      nulls++;
      out[i] = NaN;
      continue;
    }
    validity[i >> 3]! |= 1 << (i & 7);
    if (!applyScale) out[i] = r;
    else if (f32) out[i] = Math.fround(Math.fround(Math.fround(r) * s32) + o32);
    else out[i] = r * scale + offset;
  }
  return nulls ? { values: out, validity, nullCount: nulls } : { values: out, nullCount: 0 };
}

function asUnsigned(a: NcArray): NcArray {
  if (a instanceof Int8Array) return new Uint8Array(a.buffer, a.byteOffset, a.length);
  if (a instanceof Int16Array) return new Uint16Array(a.buffer, a.byteOffset, a.length);
  if (a instanceof Int32Array) return new Uint32Array(a.buffer, a.byteOffset, a.length);
  if (a instanceof BigInt64Array) return new BigUint64Array(a.buffer, a.byteOffset, a.length);
  return a;
}

