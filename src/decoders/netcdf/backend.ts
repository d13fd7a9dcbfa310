/**
 * What the NetCDF plugin needs from a file, whatever its on-disk format: variables with their
 * dimensions, shapes, types and attributes, and hyperslab reads. NetCDF-3 (classic, 64-bit
 * offset) and NetCDF-4/HDF5 each implement it.
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

export interface NcBackend {
  readonly format: 'netcdf3' | 'cdf5' | 'netcdf4';
  readonly path: string;
  readonly dims: Record<string, number>;
  readonly variables: NcVariable[];
  readonly globalAttrs: Record<string, AttrValue>;
  /** Reads a hyperslab in C order. `start`/`count` have one entry per dimension. */
  read(name: string, start: number[], count: number[]): Promise<NcArray>;
  close(): Promise<void>;
}

/** Bytes per value of each numeric type (char = 1). */
export const TYPE_BYTES: Record<Exclude<NcType, 'string'>, number> = {
  int8: 1,
  uint8: 1,
  char: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  float32: 4,
  int64: 8,
  uint64: 8,
  float64: 8,
};

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
