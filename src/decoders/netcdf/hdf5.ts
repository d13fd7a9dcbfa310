/**
 * NetCDF-4 (HDF5) through h5wasm. The Node build reads the host file lazily (NODERAWFS pread),
 * so opening is cheap and a hyperslab read touches only the chunks it needs; libhdf5 applies
 * deflate, shuffle and szip. Dimension names come from attached dimension scales; netCDF's
 * "phantom" dimension datasets (dimensions without a coordinate variable) are not variables.
 */
import h5wasm from 'h5wasm/node';
import { DecodeError, MAX_VALUES_PER_READ } from '../errors.js';
import type { AttrValue, NcArray, NcBackend, NcType, NcVariable } from './backend.js';

type H5 = typeof h5wasm;
type H5File = InstanceType<H5['File']>;
type H5Dataset = InstanceType<H5['Dataset']>;

let ready: Promise<unknown> | undefined;

const DTYPES: Record<string, NcType> = {
  b: 'int8',
  B: 'uint8',
  '<h': 'int16',
  '>h': 'int16',
  '<H': 'uint16',
  '>H': 'uint16',
  '<i': 'int32',
  '>i': 'int32',
  '<I': 'uint32',
  '>I': 'uint32',
  '<q': 'int64',
  '>q': 'int64',
  '<Q': 'uint64',
  '>Q': 'uint64',
  '<f': 'float32',
  '>f': 'float32',
  '<d': 'float64',
  '>d': 'float64',
};

const PHANTOM = 'This is a netCDF dimension but not a netCDF variable';

export class HDF5Backend implements NcBackend {
  readonly format = 'netcdf4' as const;
  private constructor(
    readonly path: string,
    private readonly file: H5File,
    readonly dims: Record<string, number>,
    readonly variables: NcVariable[],
    readonly globalAttrs: Record<string, AttrValue>,
  ) {}

  static async open(path: string): Promise<HDF5Backend> {
    ready ??= h5wasm.ready;
    await ready;
    let file: H5File;
    try {
      file = new h5wasm.File(path, 'r');
    } catch (e) {
      throw new DecodeError('CORRUPT', path, `HDF5: cannot open (${(e as Error).message ?? String(e)})`);
    }
    try {
      const dims: Record<string, number> = {};
      const variables: NcVariable[] = [];
      for (const key of file.keys()) {
        const obj = file.get(key);
        if (!(obj instanceof h5wasm.Dataset)) continue; // groups: later
        const attrTypes: Record<string, NcType> = {};
        const attrs = readAttrs(obj as unknown as { attrs: Record<string, H5Attr> }, attrTypes, path);
        const shape = (obj.shape ?? []).map(Number);
        const names = dimNames(obj, key, shape.length);
        names.forEach((n, i) => (dims[n] = shape[i]!));
        if (typeof attrs.NAME === 'string' && attrs.NAME.startsWith(PHANTOM)) continue;
        const type = DTYPES[String(obj.dtype)] ?? (String(obj.dtype).startsWith('S') ? 'char' : 'string');
        variables.push({ name: key, dims: names, shape, type, attrs: stripInternal(attrs), attrTypes });
      }
      return new HDF5Backend(path, file, dims, variables, stripInternal(readAttrs(file as unknown as { attrs: Record<string, H5Attr> }, {}, path)));
    } catch (e) {
      file.close();
      if (e instanceof DecodeError) throw e;
      throw new DecodeError('CORRUPT', path, `HDF5: ${(e as Error).message ?? String(e)}`);
    }
  }

  async read(name: string, start: number[], count: number[]): Promise<NcArray> {
    const v = this.variables.find((x) => x.name === name);
    if (!v) throw new DecodeError('BAD_SELECTION', this.path, `no variable ${name}`);
    const total = count.reduce((a, b) => a * b, 1);
    if (total > MAX_VALUES_PER_READ) throw new DecodeError('LIMIT', this.path, `variable ${name}: window of ${total} values is too large`);
    for (let i = 0; i < start.length; i++) {
      if (start[i]! < 0 || start[i]! + count[i]! > v.shape[i]!) {
        throw new DecodeError('BAD_SELECTION', this.path, `variable ${name}: window [${start[i]}, +${count[i]}) outside dimension ${v.dims[i]} of size ${v.shape[i]}`);
      }
    }
    const ds = this.file.get(name) as H5Dataset;
    try {
      const out = v.shape.length === 0 ? ds.value : ds.slice(start.map((s, i) => [s, s + count[i]!]));
      if (ArrayBuffer.isView(out)) return out as NcArray;
      if (typeof out === 'number') return new Float64Array([out]);
      if (typeof out === 'bigint') return new BigInt64Array([out]);
      throw new DecodeError('UNSUPPORTED', this.path, `variable ${name}: non-numeric data (${String(ds.dtype)})`);
    } catch (e) {
      if (e instanceof DecodeError) throw e;
      throw new DecodeError('CORRUPT', this.path, `variable ${name}: ${(e as Error).message ?? String(e)}`);
    }
  }

  async close(): Promise<void> {
    this.file.close();
  }
}

/** HDF5 type classes whose attribute values netCDF users can see: integer, float, string. */
const DATA_CLASSES = new Set([0, 1, 3]);
/** netCDF attributes are small; a larger count means a damaged dataspace. */
const MAX_ATTR_VALUES = 1 << 20;

interface H5Attr {
  value: unknown;
  metadata: { type: number; total_size: number };
}

function readAttrs(obj: { attrs: Record<string, H5Attr> }, types: Record<string, NcType> = {}, path = ''): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const [k, a] of Object.entries(obj.attrs)) {
    // References and vlen sequences (DIMENSION_LIST, REFERENCE_LIST) are bookkeeping: converting
    // a damaged one makes h5wasm build an unbounded JS array, so they are never read.
    if (!DATA_CLASSES.has(a.metadata.type)) continue;
    if (a.metadata.total_size > MAX_ATTR_VALUES) throw new DecodeError('LIMIT', path, `attribute ${k}: ${a.metadata.total_size} values`);
    let v: unknown;
    try {
      v = a.value;
    } catch {
      continue; // references (DIMENSION_LIST) and other non-data attributes
    }
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint') out[k] = v;
    else if (ArrayBuffer.isView(v)) {
      types[k] = v instanceof Float32Array ? 'float32' : v instanceof Float64Array ? 'float64' : 'int32';
      out[k] = Array.from(v as unknown as ArrayLike<number | bigint>);
    }
    else if (Array.isArray(v)) out[k] = v.length === 1 && typeof v[0] === 'string' ? (v[0] as string) : (v as Array<number | string>);
  }
  return out;
}

/** netCDF-4 bookkeeping attributes that are not user attributes. */
function stripInternal(a: Record<string, AttrValue>): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const [k, v] of Object.entries(a)) {
    if (k === 'DIMENSION_LIST' || k === 'REFERENCE_LIST' || k === 'CLASS' || k === 'NAME' || k.startsWith('_Netcdf4') || k === '_NCProperties') continue;
    out[k] = v;
  }
  return out;
}

function dimNames(ds: H5Dataset, name: string, rank: number): string[] {
  const names: string[] = [];
  for (let i = 0; i < rank; i++) {
    let scales: string[] = [];
    try {
      scales = ds.get_attached_scales(i) ?? [];
    } catch {
      scales = [];
    }
    // A 1-D dataset that is itself a dimension scale names its own dimension.
    const own = rank === 1 && scales.length === 0 ? name : undefined;
    names.push((scales[0] ?? own ?? `${name}_dim${i}`).replace(/^\//, ''));
  }
  return names;
}
