/**
 * Writes a NetCDF-3 classic file of a (time, lat, lon) grid with two float variables, big enough
 * to make an export's memory bound visible (T x 361 x 720 cells; 40 steps = 10.4 M rows, about
 * 330 MB of Arrow). Values vary smoothly with noise, so compression does not make it trivial.
 * Written band by band: the generator itself holds one time step at a time.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

type Attr = [name: string, text: string];
interface Var {
  name: string;
  dims: number[];
  type: 5 | 6; // NC_FLOAT, NC_DOUBLE
  attrs: Attr[];
}

class Header {
  private readonly parts: Buffer[] = [];
  int(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }
  name(s: string): this {
    const b = Buffer.from(s, 'utf8');
    this.int(b.length);
    this.parts.push(b, Buffer.alloc((4 - (b.length % 4)) % 4));
    return this;
  }
  get length(): number {
    return this.parts.reduce((n, p) => n + p.length, 0);
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export function writeBigNetcdf(path: string, steps: number, ny = 361, nx = 720): { rows: number; arrowBytes: number } {
  const dims: Array<[string, number]> = [['time', steps], ['lat', ny], ['lon', nx]];
  const vars: Var[] = [
    { name: 'time', dims: [0], type: 6, attrs: [['units', 'hours since 2024-01-01 00:00:00'], ['standard_name', 'time']] },
    { name: 'lat', dims: [1], type: 6, attrs: [['units', 'degrees_north'], ['standard_name', 'latitude']] },
    { name: 'lon', dims: [2], type: 6, attrs: [['units', 'degrees_east'], ['standard_name', 'longitude']] },
    { name: 't2m', dims: [0, 1, 2], type: 5, attrs: [['units', 'K'], ['long_name', '2 metre temperature']] },
    { name: 'u10', dims: [0, 1, 2], type: 5, attrs: [['units', 'm s-1'], ['long_name', '10 metre U wind component']] },
  ];
  const size = (v: Var) => v.dims.reduce((n, d) => n * dims[d]![1], 1) * (v.type === 6 ? 8 : 4);
  const build = (begins: number[]) => {
    const h = new Header();
    h.int(0x43444601).int(0); // "CDF\x01", numrecs
    h.int(0x0a).int(dims.length);
    for (const [n, len] of dims) h.name(n).int(len);
    h.int(0).int(0); // no global attributes
    h.int(0x0b).int(vars.length);
    vars.forEach((v, i) => {
      h.name(v.name).int(v.dims.length);
      for (const d of v.dims) h.int(d);
      h.int(0x0c).int(v.attrs.length);
      for (const [an, text] of v.attrs) h.name(an).int(2).name(text); // NC_CHAR: count + padded bytes, like a name
      h.int(v.type).int(size(v)).int(begins[i]!);
    });
    return h;
  };
  const headerLength = build(vars.map(() => 0)).length;
  const begins: number[] = [];
  let at = headerLength;
  for (const v of vars) {
    begins.push(at);
    at += size(v);
  }
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, build(begins).bytes(), 0, headerLength, 0);
    const f64 = (vals: number[]) => {
      const b = Buffer.alloc(vals.length * 8);
      vals.forEach((v, i) => b.writeDoubleBE(v, i * 8));
      return b;
    };
    writeSync(fd, f64(Array.from({ length: steps }, (_, i) => i * 6)), 0, steps * 8, begins[0]);
    writeSync(fd, f64(Array.from({ length: ny }, (_, i) => 90 - (180 * i) / (ny - 1))), 0, ny * 8, begins[1]);
    writeSync(fd, f64(Array.from({ length: nx }, (_, i) => (360 * i) / nx)), 0, nx * 8, begins[2]);
    const step = new Float32Array(ny * nx);
    const bytes = Buffer.from(step.buffer);
    let seed = 12345;
    for (const [vi, base] of [[3, 250], [4, 0]] as const) {
      for (let t = 0; t < steps; t++) {
        for (let y = 0; y < ny; y++) {
          const c = base + 30 * Math.cos((y / ny) * Math.PI);
          for (let x = 0; x < nx; x++) {
            seed = (seed * 1103515245 + 12345) & 0x7fffffff;
            step[y * nx + x] = c + 5 * Math.sin((x + t * 7) / 40) + (seed / 0x7fffffff - 0.5);
          }
        }
        bytes.swap32(); // to big-endian
        writeSync(fd, bytes, 0, bytes.length, begins[vi]! + t * bytes.length);
        bytes.swap32();
      }
    }
  } finally {
    closeSync(fd);
  }
  const rows = steps * ny * nx;
  return { rows, arrowBytes: rows * (8 * 3 + 4 * 2) };
}
