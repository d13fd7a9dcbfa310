/**
 * What CF logic needs to know about a variable, whatever file format it came from: name,
 * dimensions, shape, stored type and attributes, plus the typed arrays its raw values arrive in.
 * The CF modules (axes, packing, grid mappings) depend only on this, so they never reach into a
 * format's decoder.
 */

export type NcType =
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'float32'
  | 'float64'
  | 'char'
  | 'string';

export type AttrValue = string | number | bigint | Array<number | bigint | string>;

/** Raw (stored) values of a numeric variable, in the machine's byte order. */
export type NcArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

export interface NcVariable {
  name: string;
  dims: string[];
  shape: number[];
  type: NcType;
  attrs: Record<string, AttrValue>;
  /** Stored type of each numeric attribute (packing precision depends on it). */
  attrTypes?: Record<string, NcType>;
}

export function attrNumber(v: AttrValue | undefined): number | undefined {
  if (v === undefined) return undefined;
  const x = Array.isArray(v) ? v[0] : v;
  if (typeof x === 'number') return x;
  if (typeof x === 'bigint') return Number(x);
  if (typeof x === 'string') {
    const n = Number(x);
    return Number.isNaN(n) && x.trim().toLowerCase() !== 'nan' ? undefined : n;
  }
  return undefined;
}

export function attrNumbers(v: AttrValue | undefined): number[] {
  if (v === undefined) return [];
  const arr = Array.isArray(v) ? v : [v];
  return arr.map((x) => (typeof x === 'bigint' ? Number(x) : typeof x === 'number' ? x : Number(x)));
}

export function attrString(v: AttrValue | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')) return v.join('');
  return undefined;
}

export function attrToText(v: AttrValue): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map((x) => String(x)).join(', ');
  return String(v);
}
