/**
 * Decodes one GRIB field's values (message order) from its data, bitmap and packing: simple,
 * complex and complex with spatial differencing, IEEE, JPEG 2000, PNG, CCSDS, and GRIB1 simple.
 * Values follow the reference decoder's arithmetic: (R + X·2^E)·10^-D in double precision, and
 * as there, a constant field (0 bits per value, all packings but complex) is R everywhere:
 * ecCodes writes the constant itself as R even when D is not 0.
 */
import { aecDecode, AecError } from '../codecs/ccsds.js';
import { decodeJpeg2000 } from '../codecs/jpeg2000.js';
import { decodePng } from '../codecs/png.js';
import { DecodeError } from '../errors.js';
import { readBits, unpackBits } from './bits.js';
import type { GribField, GridDef, Packing } from './model.js';
import { SecondOrderError, undoBoustrophedonic, unpackSecondOrder } from './second-order.js';
import type { FileSource } from './source.js';

export interface FieldValues {
  /** One value per grid point in message order; NaN where missing. */
  values: Float64Array;
  missing: number;
}

/** 10^-D and 2^E computed by repeated multiplication/division, as the reference decoder does. */
function power(exp: number, base: number): number {
  let v = 1;
  for (let s = exp; s < 0; s++) v /= base;
  for (let s = exp; s > 0; s--) v *= base;
  return v;
}

function scaleInto(x: ArrayLike<number>, r: number, e: number, d: number, out: Float64Array, n: number): void {
  const bscale = power(e, 2);
  const dscale = power(-d, 10);
  for (let i = 0; i < n; i++) out[i] = (x[i]! * bscale + r) * dscale;
}

export async function decodeField(src: FileSource, f: GribField): Promise<FieldValues> {
  const where = `GRIB message ${f.message + 1}${f.field ? ` field ${f.field + 1}` : ''}`;
  if (f.grid.kind === 'unsupported') throw new DecodeError('UNSUPPORTED', src.path, `${where}, section 3: unsupported grid: ${f.grid.what}`);
  if (f.packing.kind === 'unsupported') throw new DecodeError('UNSUPPORTED', src.path, `${where}, section 5: unsupported packing: ${f.packing.what}`);
  const points = f.numberOfPoints;
  let bitmap: Uint8Array | null = null;
  let present = points;
  if (f.bitmapOffset >= 0) {
    bitmap = await src.read(f.bitmapOffset, Math.ceil(points / 8));
    if (bitmap.length * 8 < points) throw new DecodeError('TRUNCATED', src.path, `${where}, bitmap section: truncated`);
    bitmap = bitmap.slice();
    present = 0;
    for (let i = 0; i < points; i++) if (bitmap[i >> 3]! & (0x80 >> (i & 7))) present++;
  }
  const data = await src.read(f.dataOffset, f.dataLength);
  if (data.length < f.dataLength) throw new DecodeError('TRUNCATED', src.path, `${where}, data section: truncated`);
  let packed: Float64Array;
  try {
    packed = await unpack(f.packing, data, present, where, src.path);
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    const detail = e instanceof AecError ? `CCSDS stream: ${e.message}` : e instanceof SecondOrderError ? `second-order packing: ${e.message}` : (e as Error).message;
    throw new DecodeError('CORRUPT', src.path, `${where}, data section: ${detail}`);
  }
  const result = bitmap ? applyBitmap(packed, bitmap, points) : { values: packed, missing: countNaN(packed) };
  if (f.packing.kind === 'grib1_second_order' && f.packing.header.boustrophedonic) {
    // Stored order (bitmap included) reverses every second row; values are returned in scanning order.
    undoBoustrophedonic(result.values, rowLengths(f.grid, points, where, src.path));
  }
  return result;
}

function countNaN(v: Float64Array): number {
  let missing = 0;
  for (let i = 0; i < v.length; i++) if (v[i] !== v[i]) missing++;
  return missing;
}

/** Points per row in message order: the pl array of reduced grids, Ni otherwise. */
function rowLengths(grid: GridDef, points: number, where: string, path: string): number[] {
  if (grid.kind === 'reduced_gg') return grid.pl;
  const ni = 'ni' in grid ? grid.ni : 0;
  if (!(ni > 0) || points % ni !== 0) throw new DecodeError('CORRUPT', path, `${where}: boustrophedonic order needs whole rows (${points} points, ${ni} per row)`);
  return new Array<number>(points / ni).fill(ni);
}

function applyBitmap(packed: Float64Array, bitmap: Uint8Array, points: number): FieldValues {
  const values = new Float64Array(points);
  let k = 0;
  let missing = 0;
  for (let i = 0; i < points; i++) {
    if (bitmap[i >> 3]! & (0x80 >> (i & 7))) {
      const v = packed[k++]!;
      values[i] = v;
      if (v !== v) missing++;
    } else {
      values[i] = NaN;
      missing++;
    }
  }
  return { values, missing };
}

async function unpack(p: Packing, data: Uint8Array, n: number, where: string, path: string): Promise<Float64Array> {
  const out = new Float64Array(n);
  switch (p.kind) {
    case 'simple':
    case 'grib1_simple': {
      if (p.bits === 0) return out.fill(p.r);
      if (p.bits > 32) throw new DecodeError('CORRUPT', path, `${where}, section 5: ${p.bits} bits per value`);
      const x = unpackBits(data, 0, p.bits, n);
      scaleInto(x, p.r, p.e, p.d, out, n);
      return out;
    }
    case 'grib1_second_order': {
      scaleInto(unpackSecondOrder(p.header, data, n), p.r, p.e, p.d, out, n);
      return out;
    }
    case 'ieee': {
      const size = p.precision / 8;
      if (data.length < n * size) throw new DecodeError('TRUNCATED', path, `${where}, data section: ${data.length} bytes for ${n} IEEE values`);
      const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
      for (let i = 0; i < n; i++) out[i] = size === 4 ? dv.getFloat32(i * 4, false) : dv.getFloat64(i * 8, false);
      return out;
    }
    case 'jpeg2000': {
      if (p.bits === 0) return out.fill(p.r);
      if (data.length === 0) {
        scaleInto(new Float64Array(n), p.r, p.e, p.d, out, n);
        return out;
      }
      const x = await decodeJpeg2000(data);
      if (x.length !== n) throw new DecodeError('CORRUPT', path, `${where}, data section: JPEG 2000 image has ${x.length} samples, expected ${n}`);
      scaleInto(x, p.r, p.e, p.d, out, n);
      return out;
    }
    case 'png': {
      if (p.bits === 0) return out.fill(p.r);
      if (data.length === 0) {
        scaleInto(new Float64Array(n), p.r, p.e, p.d, out, n);
        return out;
      }
      const x = decodePng(data);
      if (x.length !== n) throw new DecodeError('CORRUPT', path, `${where}, data section: PNG image has ${x.length} samples, expected ${n}`);
      scaleInto(x, p.r, p.e, p.d, out, n);
      return out;
    }
    case 'ccsds': {
      if (p.bits === 0) return out.fill(p.r);
      const x = aecDecode(data, { bitsPerSample: p.bits, blockSize: p.blockSize, rsi: p.rsi, flags: p.flags }, n);
      scaleInto(x, p.r, p.e, p.d, out, n);
      return out;
    }
    case 'complex':
      // Groups can still have widths with 0-bit references, and missing values: no shortcut.
      return complexUnpack(p, data, n, out);
  }
}

/** Complex packing (5.2) and complex packing with spatial differencing (5.3). */
function complexUnpack(p: Extract<Packing, { kind: 'complex' }>, data: Uint8Array, n: number, out: Float64Array): Float64Array {
  const ng = p.ng;
  if (ng > n + 1) throw new RangeError(`${ng} groups for ${n} values`);
  let pos = 0; // bit position
  let ival1 = 0;
  let ival2 = 0;
  let minsd = 0;
  if (p.order > 0) {
    const nb = p.extraOctets * 8;
    const signed = (v: number) => {
      const sign = 2 ** (nb - 1);
      return v >= sign ? -(v - sign) : v;
    };
    ival1 = signed(readBits(data, pos, nb));
    pos += nb;
    if (p.order === 2) {
      ival2 = signed(readBits(data, pos, nb));
      pos += nb;
    }
    minsd = signed(readBits(data, pos, nb));
    pos += nb;
  }
  const align = () => (pos = (pos + 7) & ~7);
  const refs = unpackBits(data, pos, p.bits, ng);
  pos += p.bits * ng;
  align();
  const widths = unpackBits(data, pos, p.bitsWidth, ng);
  pos += p.bitsWidth * ng;
  align();
  const lengths = unpackBits(data, pos, p.bitsLength, ng);
  pos += p.bitsLength * ng;
  align();

  const primary = p.bits > 0 ? 2 ** p.bits - 1 : 0;
  const x = new Float64Array(n); // NaN marks missing
  let k = 0;
  for (let g = 0; g < ng; g++) {
    const len = g === ng - 1 ? p.lastLength : p.refLength + lengths[g]! * p.lengthIncrement;
    const width = p.refWidth + widths[g]!;
    const ref = refs[g]!;
    if (k + len > n) throw new RangeError(`group ${g + 1} of ${ng} overruns the ${n} values`);
    if (width === 0) {
      const miss = (p.missingMgmt >= 1 && ref === primary) || (p.missingMgmt === 2 && ref === primary - 1);
      x.fill(miss ? NaN : ref, k, k + len);
      k += len;
      continue;
    }
    if (width > 32) throw new RangeError(`group width ${width} bits`);
    const top = 2 ** width - 1;
    const vals = unpackBits(data, pos, width, len);
    pos += width * len;
    for (let i = 0; i < len; i++, k++) {
      const v = vals[i]!;
      x[k] = (p.missingMgmt >= 1 && v === top) || (p.missingMgmt === 2 && v === top - 1) ? NaN : v + ref;
    }
  }
  if (k !== n) throw new RangeError(`groups hold ${k} values, section 5 says ${n}`);
  if (p.order > 0) {
    // Undo spatial differencing over the present values only.
    let seen = 0;
    let y1 = 0;
    let y2 = 0;
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      if (v !== v) continue;
      let y: number;
      if (seen === 0) y = ival1;
      else if (p.order === 2 && seen === 1) y = ival2;
      else if (p.order === 1) y = v + minsd + y1;
      else y = v + minsd + 2 * y1 - y2;
      x[i] = y;
      y2 = y1;
      y1 = y;
      seen++;
    }
  }
  const bscale = power(p.e, 2);
  const dscale = power(-p.d, 10);
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    out[i] = v !== v ? NaN : (v * bscale + p.r) * dscale;
  }
  return out;
}
