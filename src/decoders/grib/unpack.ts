/**
 * Decodes one GRIB field's values (message order) from its data, bitmap and packing: simple,
 * complex and complex with spatial differencing, IEEE, JPEG 2000, PNG, CCSDS, and GRIB1 simple
 * and second-order. Each kernel writes straight into the one output array: with a bitmap into
 * its tail, which `expandBitmap` then spreads over the grid in place. Values follow the reference
 * decoder's arithmetic, (R + X·2^E)·10^-D in double precision, and as there a constant field
 * (0 bits per value, all packings but complex) is R everywhere: ecCodes writes the constant
 * itself as R even when D is not 0.
 */
import { aecDecodeScaled, AecError } from '../codecs/ccsds.js';
import { decodeJpeg2000Scaled, Jpeg2000Error } from '../codecs/jpeg2000.js';
import { decodePngScaled, pngSampleCount } from '../codecs/png.js';
import { DecodeError } from '../errors.js';
import { countPresent, expandBitmap } from './bitmap.js';
import { unpackComplex } from './complex.js';
import { unpackIeee } from './ieee.js';
import { float64Uninitialized } from './memory.js';
import type { GribField, GridDef, Packing } from './model.js';
import { padded } from './packed.js';
import { SecondOrderError, undoBoustrophedonic, unpackSecondOrder } from './second-order.js';
import { countNaN, scaleCanGiveNaN, scaleOf, unpackScaled } from './simple.js';
import type { FileSource } from './source.js';

export interface FieldValues {
  /** One value per grid point in message order; NaN where missing. */
  values: Float64Array;
  /** Number of NaN in `values` (0 lets readers skip looking for them); null when not counted. */
  missing: number | null;
}

export async function decodeField(src: FileSource, f: GribField): Promise<FieldValues> {
  const where = `GRIB message ${f.message + 1}${f.field ? ` field ${f.field + 1}` : ''}`;
  if (f.grid.kind === 'unsupported') throw new DecodeError('UNSUPPORTED', src.path, `${where}, section 3: unsupported grid: ${f.grid.what}`);
  if (f.packing.kind === 'unsupported') throw new DecodeError('UNSUPPORTED', src.path, `${where}, section 5: unsupported packing: ${f.packing.what}`);
  const points = f.numberOfPoints;
  let bitmap: Uint8Array | null = null;
  let present = points;
  if (f.bitmapOffset >= 0) {
    // A view of the read-ahead window: later window loads allocate anew, so it stays valid.
    bitmap = await src.read(f.bitmapOffset, Math.ceil(points / 8));
    if (bitmap.length * 8 < points) throw new DecodeError('TRUNCATED', src.path, `${where}, bitmap section: truncated`);
    present = countPresent(bitmap, points);
  }
  const data = await src.readPadded(f.dataOffset, f.dataLength);
  if (data.length < f.dataLength) throw new DecodeError('TRUNCATED', src.path, `${where}, data section: truncated`);
  // Every element is written below: by the kernel, or by the bitmap expansion.
  const values = float64Uninitialized(points);
  let missing: number | null;
  try {
    missing = await unpack(f.packing, data, present, values, points - present, src, where);
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    const detail = e instanceof AecError ? `CCSDS stream: ${e.message}` : e instanceof Jpeg2000Error ? `JPEG 2000 code stream: ${e.message}` : e instanceof SecondOrderError ? `second-order packing: ${e.message}` : (e as Error).message;
    throw new DecodeError('CORRUPT', src.path, `${where}, data section: ${detail}`);
  }
  if (bitmap) {
    expandBitmap(values, bitmap, points, present);
    if (missing !== null) missing += points - present;
  }
  if (f.packing.kind === 'grib1_second_order' && f.packing.header.boustrophedonic) {
    // Stored order (bitmap included) reverses every second row; values are returned in scanning order.
    undoBoustrophedonic(values, rowLengths(f.grid, points, where, src.path));
  }
  return { values, missing };
}

/** Points per row in message order: the pl array of reduced grids, Ni otherwise. */
function rowLengths(grid: GridDef, points: number, where: string, path: string): number[] {
  if (grid.kind === 'reduced_gg') return grid.pl;
  const ni = 'ni' in grid ? grid.ni : 0;
  if (!(ni > 0) || points % ni !== 0) throw new DecodeError('CORRUPT', path, `${where}: boustrophedonic order needs whole rows (${points} points, ${ni} per row)`);
  return new Array<number>(points / ni).fill(ni);
}

/** The n packed values into out[at..at+n); returns how many are NaN (null: not counted). */
async function unpack(p: Packing, data: Uint8Array, n: number, out: Float64Array, at: number, src: FileSource, where: string): Promise<number | null> {
  const path = src.path;
  const buf = padded(data);
  switch (p.kind) {
    case 'simple':
    case 'grib1_simple': {
      if (p.bits === 0) return constant(p.r, out, at, n);
      if (p.bits > 32) throw new DecodeError('CORRUPT', path, `${where}, section 5: ${p.bits} bits per value`);
      if (p.bits * n > data.length * 8) throw new RangeError(`${n} values of ${p.bits} bits need ${Math.ceil((p.bits * n) / 8)} bytes, the data section has ${data.length}`);
      const s = scaleOf(p.r, p.e, p.d);
      unpackScaled(buf, 0, p.bits, n, s, out, at);
      return scaleCanGiveNaN(s) ? countNaN(out, at, n) : 0;
    }
    case 'grib1_second_order': {
      const s = scaleOf(p.r, p.e, p.d);
      unpackSecondOrder(p.header, buf, data.length, n, s, out, at);
      return scaleCanGiveNaN(s) ? countNaN(out, at, n) : 0;
    }
    case 'ieee':
      if (data.length < (n * p.precision) / 8) throw new DecodeError('TRUNCATED', path, `${where}, data section: ${data.length} bytes for ${n} IEEE values`);
      unpackIeee(data, n, p.precision, out, at);
      return null;
    case 'complex': {
      // Groups can still have widths with 0-bit references, and missing values: no shortcut.
      const missing = unpackComplex(p, buf, data.length, n, out, at, src.work(n));
      return scaleCanGiveNaN(scaleOf(p.r, p.e, p.d)) ? countNaN(out, at, n) : missing;
    }
    case 'jpeg2000':
    case 'png': {
      if (p.bits === 0) return constant(p.r, out, at, n);
      const s = scaleOf(p.r, p.e, p.d);
      if (data.length === 0) out.fill((0 * s.bscale + s.r) * s.dscale, at, at + n);
      else if (p.kind === 'png') {
        const samples = pngSampleCount(data);
        if (samples !== n) throw new DecodeError('CORRUPT', path, `${where}, data section: PNG image has ${samples} samples, expected ${n}`);
        decodePngScaled(data, s, out, at);
      } else await decodeJpeg2000Scaled(data, n, s, out, at);
      return scaleCanGiveNaN(s) ? countNaN(out, at, n) : 0;
    }
    case 'ccsds': {
      if (p.bits === 0) return constant(p.r, out, at, n);
      const s = scaleOf(p.r, p.e, p.d);
      aecDecodeScaled(data, { bitsPerSample: p.bits, blockSize: p.blockSize, rsi: p.rsi, flags: p.flags }, n, s, out, at);
      return scaleCanGiveNaN(s) ? countNaN(out, at, n) : 0;
    }
  }
}

function constant(r: number, out: Float64Array, at: number, n: number): number {
  out.fill(r, at, at + n);
  return r !== r ? n : 0;
}
