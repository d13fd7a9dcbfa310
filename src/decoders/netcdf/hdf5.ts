/**
 * NetCDF-4 (HDF5) through h5wasm. The Node build reads the host file lazily (NODERAWFS pread),
 * so opening is cheap and a hyperslab read touches only the chunks it needs; libhdf5 applies
 * deflate, shuffle and szip. Dimension names come from attached dimension scales; netCDF's
 * "phantom" dimension datasets (dimensions without a coordinate variable) are not variables.
 * Variables of sub-groups are named by their path ("group/variable").
 *
 * Chunked variables filtered with deflate (and shuffle), what netCDF-4 writes by default, are read
 * without libhdf5 (hdf5-chunked.ts: native zlib, about 2.8x faster than h5wasm's WebAssembly
 * zlib); everything else, and any variable the native reader declines, goes through h5wasm.
 */
import h5wasm from 'h5wasm/node';
import type { AttrValue, NcArray, NcType, NcVariable } from '../cf/variable.js';
import { DecodeError, MAX_VALUES_PER_READ } from '../errors.js';
import type { NcBackend } from './backend.js';
import { NativeChunks, type DatasetFacts } from './hdf5-native.js';
import { typedView } from './netcdf3.js';

type H5 = typeof h5wasm;
type H5File = InstanceType<H5['File']>;
type H5Dataset = InstanceType<H5['Dataset']>;

let ready: Promise<unknown> | undefined;

/** The part of h5wasm's Emscripten FS used to point libhdf5's stderr elsewhere. */
interface StdFs {
  getStream(fd: number): { fd: number } | null;
  close(stream: { fd: number }): void;
  open(path: string, flags: string): { fd: number };
}

/**
 * libhdf5 prints its whole error stack (dozens of lines per failed call) to stderr by default, and
 * h5wasm exports no H5Eset_auto to turn that off: on a damaged file a fuzz run printed ~65,000
 * lines. The same failure reaches us as a thrown h5wasm error, which is turned into a typed
 * DecodeError, so the printout only buries real logs. libhdf5's fd 2 inside the Emscripten FS is
 * therefore reopened on /dev/null; NODERAWFS never closes the host's fd 2, so the process's own
 * stderr (and every other thread's) is unaffected.
 */
export function silenceHdf5ErrorStack(module: unknown): void {
  const fs = (module as { FS?: StdFs }).FS;
  const stderr = fs?.getStream(2);
  if (!fs || !stderr) return;
  fs.close(stderr);
  fs.open('/dev/null', 'w'); // takes the lowest free descriptor, 2
}

const DTYPES: Record<string, NcType> = {
  b: 'int8',
  '<b': 'int8',
  '>b': 'int8',
  '|b': 'int8',
  '<B': 'uint8',
  '>B': 'uint8',
  '|B': 'uint8',
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
  ) {
    this.native = new NativeChunks(path);
  }

  static async open(path: string): Promise<HDF5Backend> {
    ready ??= h5wasm.ready.then(silenceHdf5ErrorStack);
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
      const phony: PhonyDims = { count: 0, byGroup: new Map() };
      for (const key of datasetPaths(file)) {
        const obj = file.get(key);
        if (!(obj instanceof h5wasm.Dataset)) continue;
        const attrTypes: Record<string, NcType> = {};
        const attrs = readAttrs(obj as unknown as { attrs: Record<string, H5Attr> }, attrTypes, path);
        const shape = (obj.shape ?? []).map(Number);
        const names = dimNames(obj, key, shape, phony);
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

  /** Chunked deflate/shuffle variables read without libhdf5. */
  private readonly native: NativeChunks;

  async read(name: string, start: number[], count: number[], into?: Uint8Array): Promise<NcArray> {
    const v = this.variables.find((x) => x.name === name);
    if (!v) throw new DecodeError('BAD_SELECTION', this.path, `no variable ${name}`);
    const total = count.reduce((a, b) => a * b, 1);
    if (total > MAX_VALUES_PER_READ) throw new DecodeError('LIMIT', this.path, `variable ${name}: window of ${total} values is too large`);
    for (let i = 0; i < start.length; i++) {
      if (start[i]! < 0 || start[i]! + count[i]! > v.shape[i]!) {
        throw new DecodeError('BAD_SELECTION', this.path, `variable ${name}: window [${start[i]}, +${count[i]}) outside dimension ${v.dims[i]} of size ${v.shape[i]}`);
      }
    }
    const fast = await this.readNative(v, start, count, into);
    if (fast) return fast;
    const ds = this.file.get(name) as H5Dataset;
    try {
      const out = v.shape.length === 0 ? ds.value : ds.slice(start.map((s, i) => [s, s + count[i]!]));
      if (ArrayBuffer.isView(out)) return out as NcArray;
      if (typeof out === 'number') return new Float64Array([out]);
      if (typeof out === 'bigint') return v.type === 'uint64' ? new BigUint64Array([out]) : new BigInt64Array([out]);
      throw new DecodeError('UNSUPPORTED', this.path, `variable ${name}: non-numeric data (${String(ds.dtype)})`);
    } catch (e) {
      if (e instanceof DecodeError) throw e;
      throw new DecodeError('CORRUPT', this.path, `variable ${name}: ${(e as Error).message ?? String(e)}`);
    }
  }

  chunkShape(name: string): number[] | null {
    const ds = this.file.get(name);
    if (!(ds instanceof h5wasm.Dataset)) return null;
    const chunks = ds.metadata.chunks;
    return chunks ? chunks.map(Number) : null;
  }

  async close(): Promise<void> {
    this.file.close();
    await this.native.close();
  }

  /** The hyperslab through the native chunk reader, or null when this variable needs h5wasm. */
  private async readNative(v: NcVariable, start: number[], count: number[], into?: Uint8Array): Promise<NcArray | null> {
    if (v.shape.length === 0 || v.type === 'char' || v.type === 'string') return null;
    const bytes = await this.native.read(v.name, () => this.facts(v.name), start, count, into);
    return bytes ? typedView(v.type, bytes) : null;
  }

  /** h5wasm's facts about a chunked numeric dataset, for the native reader. */
  private facts(name: string): DatasetFacts | null {
    const ds = this.file.get(name);
    if (!(ds instanceof h5wasm.Dataset)) return null;
    const meta = ds.metadata;
    if (!meta.chunks || !meta.shape || !NUMERIC_CLASSES.has(meta.type)) return null;
    const ref = new Uint8Array(ds.create_reference().ref_data);
    const header = Number(new DataView(ref.buffer, ref.byteOffset, 8).getBigUint64(0, true));
    const filters = (ds.filters as Array<{ id: number }>).map((f) => ({ id: f.id }));
    return { shape: meta.shape.map(Number), elemSize: meta.size, littleEndian: meta.littleEndian, filters, header };
  }
}

/** HDF5 type classes of numeric data: integer, float. */
const NUMERIC_CLASSES = new Set([0, 1]);
/** HDF5 type classes whose attribute values netCDF users can see: integer, float, string. */
const DATA_CLASSES = new Set([0, 1, 3]);
/** netCDF attributes are small; a larger count means a damaged dataspace. */
const MAX_ATTR_VALUES = 1 << 20;

interface H5Attr {
  value: unknown;
  metadata: { type: number; total_size: number };
}

/** Paths of all datasets, depth first in file order; sub-group members are named "group/sub/var". */
function datasetPaths(file: H5File): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const walk = (prefix: string, depth: number): void => {
    const g = prefix ? file.get(prefix) : file;
    if (!g || !('keys' in g) || depth > 32) return;
    for (const k of (g as { keys(): string[] }).keys()) {
      const path = prefix ? `${prefix}/${k}` : k;
      const obj = file.get(path);
      if (obj instanceof h5wasm.Dataset) out.push(path);
      else if (obj instanceof h5wasm.Group && !seen.has(path)) {
        seen.add(path);
        walk(path, depth + 1);
      }
    }
  };
  walk('', 0);
  return out;
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

/** Phony dimensions created so far (netCDF-C's numbering is per file), by HDF5 group. */
interface PhonyDims {
  count: number;
  byGroup: Map<string, Array<{ name: string; size: number }>>;
}

/**
 * Dimension names: attached dimension scales; a 1-D dataset that is itself a scale names its own
 * dimension; otherwise, like netCDF-C, a "phony_dim_N" of the dataset's HDF5 group with the same
 * length that this dataset does not use yet, or a new one.
 */
function dimNames(ds: H5Dataset, name: string, shape: number[], phony: PhonyDims): string[] {
  const names: string[] = [];
  const slash = name.lastIndexOf('/');
  const prefix = slash >= 0 ? name.slice(0, slash + 1) : '';
  const inGroup = phony.byGroup.get(prefix) ?? [];
  phony.byGroup.set(prefix, inGroup);
  for (let i = 0; i < shape.length; i++) {
    let scales: string[] = [];
    try {
      scales = ds.get_attached_scales(i) ?? [];
    } catch {
      scales = [];
    }
    const own = shape.length === 1 && scales.length === 0 && isScale(ds) ? name : undefined;
    const named = (scales[0] ?? own)?.replace(/^\//, '');
    if (named !== undefined) {
      names.push(named);
      continue;
    }
    let dim = inGroup.find((d) => d.size === shape[i] && !names.includes(d.name));
    if (!dim) {
      dim = { name: `${prefix}phony_dim_${phony.count++}`, size: shape[i]! };
      inGroup.push(dim);
    }
    names.push(dim.name);
  }
  return names;
}

function isScale(ds: H5Dataset): boolean {
  try {
    return ds.get_scale_name() !== null;
  } catch {
    return false;
  }
}
