/**
 * The header of a classic-model netCDF file, read by us: CDF-1 (classic), CDF-2 (64-bit offset)
 * and CDF-5 (64-bit data: 64-bit sizes and counts, unsigned and 64-bit integer types), following
 * the netCDF classic format specification. Every count is checked against the bytes left, so a
 * damaged header fails with a typed error instead of a huge allocation.
 */
import type { NcType } from '../cf/variable.js';

/** nc_type codes of the classic formats (7-11 are CDF-5 only). */
export const CDF_TYPES: Record<number, NcType> = {
  1: 'int8',
  2: 'char',
  3: 'int16',
  4: 'int32',
  5: 'float32',
  6: 'float64',
  7: 'uint8',
  8: 'uint16',
  9: 'uint32',
  10: 'int64',
  11: 'uint64',
};

const TYPE_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 4, 6: 8, 7: 1, 8: 2, 9: 4, 10: 8, 11: 8 };

const NC_DIMENSION = 0x0a;
const NC_VARIABLE = 0x0b;
const NC_ATTRIBUTE = 0x0c;
const STREAMING = 0xffffffff;

export interface CdfAttribute {
  name: string;
  type: NcType;
  value: string | number[] | bigint[];
}

export interface CdfVariable {
  name: string;
  dimIds: number[];
  type: NcType;
  /** The nc_type code (gives the value size). */
  code: number;
  attributes: CdfAttribute[];
  /** Bytes of one record (record variables) or of the whole variable, as stored in the header. */
  vsize: number;
  begin: number;
  record: boolean;
}

export interface CdfHeader {
  version: 1 | 2 | 5;
  /** Number of records (computed from the file size for streamed files). */
  numRecords: number;
  dimensions: Array<{ name: string; size: number }>;
  /** Index of the unlimited dimension, or -1. */
  recordDim: number;
  /** Bytes between consecutive records. */
  recordStep: number;
  attributes: CdfAttribute[];
  variables: CdfVariable[];
}

/** Thrown when the header continues past the bytes given: the caller reads more and retries. */
export class NeedMoreBytes extends Error {}

/** A structurally invalid header; `message` says what and where. */
export class CdfHeaderError extends Error {}

class Cursor {
  pos = 0;
  private readonly view: DataView;
  constructor(
    private readonly buf: Uint8Array,
    private readonly complete: boolean,
    readonly wide: boolean,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) {
      if (this.complete) throw new CdfHeaderError(`${what} at byte ${this.pos} runs past the end of the file`);
      throw new NeedMoreBytes();
    }
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, false);
    this.pos += 4;
    return v;
  }
  u64(what: string): number {
    this.need(8, what);
    const v = this.view.getBigUint64(this.pos, false);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new CdfHeaderError(`${what} ${v} is too large`);
    return Number(v);
  }
  /** A count or size: 4 bytes, 8 in CDF-5. */
  size(what: string): number {
    return this.wide ? this.u64(what) : this.u32(what);
  }
  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n + ((4 - (n % 4)) % 4);
    return b;
  }
  name(what: string): string {
    const n = this.size(`${what} name length`);
    this.need(n, `${what} name`);
    // Some writers count a trailing NUL in the length; netCDF-C does not report it.
    return new TextDecoder().decode(this.bytes(n, `${what} name`)).replace(/\0+$/, '');
  }
  /** A list header: tag and element count; ABSENT lists are ZERO ZERO. */
  list(tag: number, what: string): number {
    const t = this.u32(`${what} tag`);
    const n = this.size(`${what} count`);
    if (t === 0 && n === 0) return 0;
    if (t !== tag) throw new CdfHeaderError(`${what}: tag 0x${t.toString(16)} at byte ${this.pos - (this.wide ? 12 : 8)}, expected 0x${tag.toString(16)}`);
    // Each element takes at least 4 bytes: a larger count cannot be real.
    if (this.complete && n * 4 > this.buf.length - this.pos) throw new CdfHeaderError(`${what}: ${n} entries cannot fit in the file`);
    return n;
  }
}

function attributes(c: Cursor, what: string): CdfAttribute[] {
  const n = c.list(NC_ATTRIBUTE, `${what} attribute list`);
  const out: CdfAttribute[] = [];
  for (let i = 0; i < n; i++) {
    const name = c.name(`${what} attribute`);
    const code = c.u32(`attribute ${name} type`);
    const type = CDF_TYPES[code];
    if (!type) throw new CdfHeaderError(`attribute ${name}: unknown type ${code}`);
    const count = c.size(`attribute ${name} length`);
    const raw = c.bytes(count * TYPE_SIZE[code]!, `attribute ${name} values`);
    out.push({ name, type, value: attrValues(code, raw, count) });
  }
  return out;
}

function attrValues(code: number, raw: Uint8Array, count: number): string | number[] | bigint[] {
  if (code === 2) return new TextDecoder().decode(raw).replace(/\0+$/, '');
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const width = TYPE_SIZE[code]!;
  if (code === 10 || code === 11) {
    return Array.from({ length: count }, (_, i) => (code === 10 ? v.getBigInt64(i * 8, false) : v.getBigUint64(i * 8, false)));
  }
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const p = i * width;
    out[i] =
      code === 1 ? v.getInt8(p)
      : code === 7 ? v.getUint8(p)
      : code === 3 ? v.getInt16(p, false)
      : code === 8 ? v.getUint16(p, false)
      : code === 4 ? v.getInt32(p, false)
      : code === 9 ? v.getUint32(p, false)
      : code === 5 ? v.getFloat32(p, false)
      : v.getFloat64(p, false);
  }
  return out;
}

/**
 * Parses a header from the first bytes of a file of `fileSize` bytes. Throws NeedMoreBytes when
 * `buf` ends inside the header (and is not the whole file), CdfHeaderError when it is invalid.
 */
export function parseCdfHeader(buf: Uint8Array, fileSize: number): CdfHeader {
  if (buf.length < 4 || buf[0] !== 0x43 || buf[1] !== 0x44 || buf[2] !== 0x46) throw new CdfHeaderError('no CDF signature');
  const version = buf[3];
  if (version !== 1 && version !== 2 && version !== 5) throw new CdfHeaderError(`unknown CDF version byte ${version}`);
  const c = new Cursor(buf, buf.length >= fileSize, version === 5);
  c.pos = 4;
  const rawRecs = version === 5 ? c.u64('record count') : c.u32('record count');

  const nd = c.list(NC_DIMENSION, 'dimension list');
  const dimensions: Array<{ name: string; size: number }> = [];
  let recordDim = -1;
  for (let i = 0; i < nd; i++) {
    const name = c.name('dimension');
    const size = c.size(`dimension ${name} length`);
    if (size === 0) {
      if (recordDim >= 0) throw new CdfHeaderError(`dimension ${name}: a second unlimited dimension`);
      recordDim = i;
    }
    dimensions.push({ name, size });
  }
  const globals = attributes(c, 'global');

  const nv = c.list(NC_VARIABLE, 'variable list');
  const variables: CdfVariable[] = [];
  for (let i = 0; i < nv; i++) {
    const name = c.name('variable');
    const rank = c.size(`variable ${name} rank`);
    if (rank > 1024) throw new CdfHeaderError(`variable ${name}: rank ${rank}`);
    const dimIds: number[] = [];
    for (let d = 0; d < rank; d++) {
      const id = c.size(`variable ${name} dimension id`);
      if (id >= dimensions.length) throw new CdfHeaderError(`variable ${name}: dimension id ${id} does not exist`);
      dimIds.push(id);
    }
    const atts = attributes(c, `variable ${name}`);
    const code = c.u32(`variable ${name} type`);
    const type = CDF_TYPES[code];
    if (!type || (code > 6 && version !== 5)) throw new CdfHeaderError(`variable ${name}: unknown type ${code}`);
    const vsize = c.size(`variable ${name} size`);
    const begin = version === 1 ? c.u32(`variable ${name} offset`) : c.u64(`variable ${name} offset`);
    const record = dimIds.length > 0 && dimIds[0] === recordDim;
    if (dimIds.slice(1).includes(recordDim) && recordDim >= 0) throw new CdfHeaderError(`variable ${name}: the unlimited dimension must come first`);
    variables.push({ name, dimIds, type, code, attributes: atts, vsize, begin, record });
  }

  const recVars = variables.filter((v) => v.record);
  // A file with a single record variable stores its records without padding (netCDF classic spec).
  const recordStep =
    recVars.length === 1
      ? recVars[0]!.dimIds.slice(1).reduce((p, id) => p * dimensions[id]!.size, TYPE_SIZE[recVars[0]!.code]!)
      : recVars.reduce((s, v) => s + v.vsize, 0);
  let numRecords = rawRecs;
  if (version !== 5 && rawRecs === STREAMING) {
    // Streamed files leave the count unset: it follows from the file size.
    const first = Math.min(...recVars.map((v) => v.begin));
    numRecords = recVars.length && recordStep > 0 ? Math.floor((fileSize - first) / recordStep) : 0;
  }
  return { version, numRecords, dimensions, recordDim, recordStep, attributes: globals, variables };
}
