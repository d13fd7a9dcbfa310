/**
 * CF mask-and-scale, with netCDF4-python's default semantics (what users compare against):
 * values equal to `missing_value`, `_FillValue` (or the netCDF default fill value when there is
 * no `_FillValue`), or outside `valid_min`/`valid_max`/`valid_range` are masked; `_Unsigned`
 * reinterprets signed integers; then value = raw * scale_factor + add_offset. NaN is masked too.
 * Packed data decode to the precision of the packing attributes (float32 attributes give float32).
 * The per-value loops live in unpack.ts; this module decides which one a variable needs.
 */
import { validityFromNaN } from '../validity.js';
import { uninitialisedFloat32, uninitialisedFloat64 } from './buffers.js';
import { maskFillBySearch, maskFloatsInPlace, unpackByTable, unpackWide, type Arith, type MaskRule, type NarrowInts } from './unpack.js';
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

/** Below this many values a lookup table costs more than it saves. */
const TABLE_MIN_VALUES = 1 << 14;

/** Lookup tables of narrow-integer variables, built once per packing. */
const tables = new WeakMap<CfPacking, Map<string, Float32Array | Float64Array>>();

/**
 * Masks and scales raw values into float values (NaN where masked) with an Arrow validity bitmap
 * (what a read returns). `raw` must belong to the caller (backends return fresh buffers):
 * unpacked float data are masked in place and returned as the result, without a copy.
 */
export function decodeCf(raw: NcArray, p: CfPacking): Decoded {
  const n = raw.length;
  const src = p.unsigned ? asUnsigned(raw) : raw;
  const f32 = p.outType === 'float32';
  let values: Float32Array | Float64Array;
  let nulls: number;
  let bits: Uint8Array | undefined = new Uint8Array((n + 7) >> 3);
  if (inPlace(src, p)) {
    values = src as Float32Array | Float64Array;
    nulls = maskFloatsInPlace(values, maskRule(p), bits);
  } else if (isNarrow(src) && n >= TABLE_MIN_VALUES) {
    values = uninitialised(f32, n);
    nulls = unpackByTable(src, -typeMin(src), table(src, p), values, bits);
  } else {
    values = uninitialised(f32, n);
    nulls = unpackOther(src, p, values);
    bits = nulls ? validityFromNaN(values).validity : undefined;
  }
  return nulls ? { values, validity: bits, nullCount: nulls } : { values, nullCount: 0 };
}

/**
 * The same values as decodeCf, without a validity bitmap or null count: NaN marks every masked
 * value, which is all decodeAll (and inspect's statistics) need. Saves the bitmap and, for float
 * data with just a fill value, the per-value loop.
 */
export function decodeCfValues(raw: NcArray, p: CfPacking): Float32Array | Float64Array {
  const n = raw.length;
  const src = p.unsigned ? asUnsigned(raw) : raw;
  if (inPlace(src, p)) {
    const values = src as Float32Array | Float64Array;
    const m = maskRule(p);
    if (!maskFillBySearch(values, m)) maskFloatsInPlace(values, m);
    return values;
  }
  const values = uninitialised(p.outType === 'float32', n);
  if (isNarrow(src) && n >= TABLE_MIN_VALUES) unpackByTable(src, -typeMin(src), table(src, p), values);
  else unpackOther(src, p, values);
  return values;
}

/** True when decodeCf masks `raw` in place and returns it (unpacked float data of the output type). */
export function decodesInPlace(raw: NcArray, p: CfPacking): boolean {
  return inPlace(raw, p);
}

/**
 * True when values of stored type `type` decode into a new array, so their raw buffer is free
 * again once decoded (a caller may read them into a reused buffer).
 */
export function decodesIntoNewArray(type: NcType, p: CfPacking): boolean {
  return !inPlaceRule(p) || type !== p.outType;
}

/** Unpacked float data of the output type: masked where they are, no new array. */
function inPlace(src: NcArray, p: CfPacking): boolean {
  return inPlaceRule(p) && (p.outType === 'float32' ? src instanceof Float32Array : src instanceof Float64Array);
}

function inPlaceRule(p: CfPacking): boolean {
  return p.scale === undefined && p.offset === undefined && p.missing.length <= 2;
}

/** Wide types arithmetically, anything else (64-bit integers, long missing lists, short arrays) value by value. */
function unpackOther(src: NcArray, p: CfPacking, out: Float32Array | Float64Array): number {
  const wide = !isNarrow(src) && !(src instanceof BigInt64Array) && !(src instanceof BigUint64Array) && p.missing.length <= 2;
  return wide ? unpackWide(src, maskRule(p), arith(p), out) : decodeGeneric(src, p, out);
}

/** A float array the caller overwrites entirely (see buffers.ts). */
function uninitialised(f32: boolean, n: number): Float32Array | Float64Array {
  return f32 ? uninitialisedFloat32(n) : uninitialisedFloat64(n);
}

function maskRule(p: CfPacking): MaskRule {
  return { lo: p.validMin ?? -Infinity, hi: p.validMax ?? Infinity, m0: p.missing[0] ?? NaN, m1: p.missing[1] ?? NaN };
}

function arith(p: CfPacking): Arith {
  if (p.scale === undefined && p.offset === undefined) return { kind: 'copy' };
  return { kind: p.outType === 'float32' ? 'f32' : 'f64', scale: p.scale ?? 1, offset: p.offset ?? 0 };
}

/** The decoded value of one raw value (NaN when masked): the definition every loop must agree with. */
export function decodeValue(r: number, p: CfPacking): number {
  if (!(r >= (p.validMin ?? -Infinity) && r <= (p.validMax ?? Infinity))) return NaN;
  for (const m of p.missing) if (r === m) return NaN;
  if (p.scale === undefined && p.offset === undefined) return p.outType === 'float32' ? Math.fround(r) : r;
  const scale = p.scale ?? 1;
  const offset = p.offset ?? 0;
  if (p.outType === 'float32') return Math.fround(Math.fround(Math.fround(r) * Math.fround(scale)) + Math.fround(offset));
  return r * scale + offset;
}

/** Any input (64-bit integers, long missing-value lists, short arrays): one value at a time. */
function decodeGeneric(src: NcArray, p: CfPacking, out: Float32Array | Float64Array): number {
  let nulls = 0;
  for (let i = 0; i < src.length; i++) {
    const d = decodeValue(Number(src[i]!), p);
    out[i] = d;
    if (d !== d) nulls++;
  }
  return nulls;
}

function isNarrow(a: NcArray): a is NarrowInts {
  return a instanceof Int16Array || a instanceof Uint16Array || a instanceof Int8Array || a instanceof Uint8Array;
}

function typeMin(a: NarrowInts): number {
  return a instanceof Int16Array ? -32768 : a instanceof Int8Array ? -128 : 0;
}

/** decodeValue for every value the raw type can hold, indexed by raw - min. */
function table(src: NarrowInts, p: CfPacking): Float32Array | Float64Array {
  const key = src.constructor.name;
  let byType = tables.get(p);
  if (!byType) tables.set(p, (byType = new Map()));
  let t = byType.get(key);
  if (!t) {
    const min = typeMin(src);
    const size = src instanceof Int16Array || src instanceof Uint16Array ? 65536 : 256;
    t = p.outType === 'float32' ? new Float32Array(size) : new Float64Array(size);
    for (let k = 0; k < size; k++) t[k] = decodeValue(min + k, p);
    byType.set(key, t);
  }
  return t;
}

function asUnsigned(a: NcArray): NcArray {
  if (a instanceof Int8Array) return new Uint8Array(a.buffer, a.byteOffset, a.length);
  if (a instanceof Int16Array) return new Uint16Array(a.buffer, a.byteOffset, a.length);
  if (a instanceof Int32Array) return new Uint32Array(a.buffer, a.byteOffset, a.length);
  if (a instanceof BigInt64Array) return new BigUint64Array(a.buffer, a.byteOffset, a.length);
  return a;
}
