/**
 * A minimal NetCDF-3 classic (CDF-1) writer for tests that need a file of a given shape: fixed
 * dimensions only (no record dimension), big-endian values, text or numeric attributes. Written
 * from the format specification (NetCDF Users Guide, "File Format Specifications"), separate from
 * the decoder's header parser, so a test's expected values do not depend on the code under test.
 */
import { writeFileSync } from 'node:fs';

export type NcType = 'short' | 'int' | 'float' | 'double';
/** Text (NC_CHAR), numbers as NC_DOUBLE, or numbers of an explicit type. */
export type NcAttr = string | number[] | { type: NcType; values: number[] };

export interface NcVarSpec {
  name: string;
  dims: string[];
  type: NcType;
  attrs?: Record<string, NcAttr>;
  /** Every value in C order over `dims`. */
  values: ArrayLike<number>;
}

const TYPE_CODE: Record<NcType | 'char', number> = { char: 2, short: 3, int: 4, float: 5, double: 6 };
const TYPE_SIZE: Record<NcType, number> = { short: 2, int: 4, float: 4, double: 8 };

const pad4 = (n: number) => (4 - (n % 4)) % 4;

function typed(type: NcType, values: ArrayLike<number>): Buffer {
  const b = Buffer.alloc(values.length * TYPE_SIZE[type] + pad4(values.length * TYPE_SIZE[type]));
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (type === 'short') b.writeInt16BE(v, i * 2);
    else if (type === 'int') b.writeInt32BE(v, i * 4);
    else if (type === 'float') b.writeFloatBE(v, i * 4);
    else b.writeDoubleBE(v, i * 8);
  }
  return b;
}

export function writeNetcdf3(path: string, dims: Array<[name: string, size: number]>, vars: NcVarSpec[], globalAttrs: Record<string, NcAttr> = {}): void {
  const int = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    return b;
  };
  const name = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    return Buffer.concat([int(b.length), b, Buffer.alloc(pad4(b.length))]);
  };
  const attrList = (attrs: Record<string, NcAttr>) => {
    const entries = Object.entries(attrs);
    if (entries.length === 0) return Buffer.concat([int(0), int(0)]);
    const parts = [int(0x0c), int(entries.length)];
    for (const [k, a] of entries) {
      parts.push(name(k));
      if (typeof a === 'string') {
        const t = Buffer.from(a, 'utf8');
        parts.push(int(TYPE_CODE.char), int(t.length), t, Buffer.alloc(pad4(t.length)));
      } else {
        const { type, values } = Array.isArray(a) ? { type: 'double' as const, values: a } : a;
        parts.push(int(TYPE_CODE[type]), int(values.length), typed(type, values));
      }
    }
    return Buffer.concat(parts);
  };
  const dimIndex = new Map(dims.map(([n], i) => [n, i]));
  const sizes = vars.map((v) => {
    const count = v.dims.reduce((p, d) => p * dims[dimIndex.get(d)!]![1], 1);
    if (count !== v.values.length) throw new Error(`${v.name}: ${v.values.length} values for ${count} cells`);
    return count * TYPE_SIZE[v.type];
  });
  const header = (begins: number[]) =>
    Buffer.concat([
      Buffer.from('CDF\x01', 'latin1'),
      int(0), // numrecs
      int(0x0a),
      int(dims.length),
      ...dims.flatMap(([n, size]) => [name(n), int(size)]),
      attrList(globalAttrs),
      int(0x0b),
      int(vars.length),
      ...vars.flatMap((v, i) => [
        name(v.name),
        int(v.dims.length),
        ...v.dims.map((d) => int(dimIndex.get(d)!)),
        attrList(v.attrs ?? {}),
        int(TYPE_CODE[v.type]),
        int(sizes[i]! + pad4(sizes[i]!)),
        int(begins[i]!),
      ]),
    ]);
  const length = header(vars.map(() => 0)).length;
  const begins: number[] = [];
  let at = length;
  for (const s of sizes) {
    begins.push(at);
    at += s + pad4(s);
  }
  writeFileSync(path, Buffer.concat([header(begins), ...vars.map((v) => typed(v.type, v.values))]));
}
