/**
 * GRIB1 second-order packing, "general extended" variant (WMO GRIB1 binary data section with
 * extended flags, table 11-2 bit 5): what ECMWF's archive (ERA5 and older IFS data) calls
 * grid_second_order. Values are split into groups, each with a first-order value and its own bit
 * width; optional spatial differencing (SPD) of order 1-3 and boustrophedonic row order.
 *
 * Octet numbers below are 1-based within the binary data section (BDS), as the standard gives them.
 */
import { readBits, unpackArray, unpackInto } from './packed.js';
import { scaleInto, type Scale } from './simple.js';

export interface SecondOrderHeader {
  /** Octet (1-based, in the BDS) where the first-order values start. */
  n1: number;
  /** Octet where the second-order values start. */
  n2: number;
  /** Octet where the group lengths start. */
  nl: number;
  groups: number;
  widthOfFirstOrder: number;
  widthOfWidths: number;
  widthOfLengths: number;
  /** Spatial differencing order (0-3) and the bit width of its initial values and bias. */
  spdOrder: number;
  widthOfSpd: number;
  boustrophedonic: boolean;
}

export class SecondOrderError extends Error {}

/** Reads the header from the first octets of the BDS (octet 14 holds the extended flags); a string names a variant we do not decode. */
export function parseSecondOrderHeader(bds: Uint8Array, bdsLength: number): SecondOrderHeader | string {
  if (bds.length < 26) throw new SecondOrderError(`section too short (${bdsLength} octets) for a second-order header`);
  const ext = bds[13]!;
  if (ext & 0x40) return 'GRIB1 second-order packing of a matrix of values';
  if (!(ext & 0x08)) return 'GRIB1 second-order packing other than general extended (row by row / constant width / general)';
  if (ext & 0x20) return 'GRIB1 second-order packing with a secondary bitmap';
  const u16 = (o: number) => (bds[o]! << 8) | bds[o + 1]!;
  const groups = u16(16) + 65536 * bds[20]!;
  const widthOfFirstOrder = bds[10]!;
  const widthOfWidths = bds[21]!;
  const widthOfLengths = bds[22]!;
  const spdOrder = ext & 0x03;
  const widthOfSpd = spdOrder ? bds[25]! : 0;
  for (const [k, w] of [['first-order values', widthOfFirstOrder], ['group widths', widthOfWidths], ['group lengths', widthOfLengths], ['SPD', widthOfSpd]] as const) {
    if (w > 32) throw new SecondOrderError(`${w} bits per ${k}`);
  }
  // The arrays follow each other, each starting on an octet: widths, lengths, first-order values,
  // then the second-order values. The header's 16-bit octet pointers NL, N1 and N2 cannot say
  // where they start once a field needs more than 65535 octets (encoders then write 65535), so
  // the positions are computed from the widths, as the reference decoder does.
  const widthsStart = spdOrder ? 27 + Math.ceil(((spdOrder + 1) * widthOfSpd) / 8) : 26;
  const nl = widthsStart + Math.ceil((groups * widthOfWidths) / 8);
  const n1 = nl + Math.ceil((groups * widthOfLengths) / 8);
  const n2 = n1 + Math.ceil((groups * widthOfFirstOrder) / 8);
  const h: SecondOrderHeader = { widthOfFirstOrder, n1, n2, groups, widthOfWidths, widthOfLengths, nl, spdOrder, widthOfSpd, boustrophedonic: (ext & 0x04) !== 0 };
  const need = (octet: number, bits: number, what: string): void => {
    if (octet < 12 || octet - 1 + Math.ceil(bits / 8) > bdsLength) throw new SecondOrderError(`${what} at octet ${octet} (${bits} bits) outside the ${bdsLength}-octet section`);
  };
  need(widthsStart, h.groups * h.widthOfWidths, 'group widths');
  need(h.nl, h.groups * h.widthOfLengths, 'group lengths');
  need(h.n1, h.groups * h.widthOfFirstOrder, 'first-order values');
  if (h.n2 < 12 || h.n2 > bdsLength + 1) throw new SecondOrderError(`second-order values at octet ${h.n2} outside the section`);
  return h;
}

/**
 * Decodes the field into out[at..at+expected), scaled. `data` holds the BDS from octet 12 on, with
 * PAD readable bytes after it; `expected` is the number of values the bitmap or grid calls for.
 * Group values are read straight into the output, then one pass undoes the spatial
 * differencing and scales in place, in the reference decoder's arithmetic. (A separate work
 * array, which helps complex packing, measured no gain here.)
 */
export function unpackSecondOrder(h: SecondOrderHeader, data: Uint8Array, dataBytes: number, expected: number, s: Scale, out: Float64Array, at: number): void {
  const bitAt = (octet: number) => (octet - 12) * 8;
  const widthsStart = h.spdOrder ? 27 + Math.ceil(((h.spdOrder + 1) * h.widthOfSpd) / 8) : 26;
  const widths = unpackArray(data, bitAt(widthsStart), h.widthOfWidths, h.groups);
  const lengths = unpackArray(data, bitAt(h.nl), h.widthOfLengths, h.groups);
  const firsts = unpackArray(data, bitAt(h.n1), h.widthOfFirstOrder, h.groups);
  let total = h.spdOrder;
  let bits = 0;
  for (let g = 0; g < h.groups; g++) {
    if (widths[g]! > 32) throw new SecondOrderError(`group ${g}: ${widths[g]} bits per value`);
    total += lengths[g]!;
    bits += widths[g]! * lengths[g]!;
  }
  if (total !== expected) throw new SecondOrderError(`groups hold ${total} values, expected ${expected}`);
  if (bitAt(h.n2) + bits > dataBytes * 8) throw new SecondOrderError(`second-order values (${bits} bits) run past the end of the section`);

  let k = at + h.spdOrder;
  let pos = bitAt(h.n2);
  for (let g = 0; g < h.groups; g++) {
    const len = lengths[g]!;
    pos = unpackInto(data, pos, widths[g]!, len, firsts[g]!, out, k);
    k += len;
  }
  if (h.spdOrder) undoSpatialDifferencingScaled(h, data, out, at, expected, s);
  else scaleInto(out, at, out, at, expected, s);
}

/**
 * Spatial differencing undone and values scaled in the same pass, in place. Initial values are
 * unsigned, the bias is sign and magnitude, all `widthOfSpd` bits wide, from octet 27. The sums
 * are integers below 2^53, so float64 gives the reference decoder's values.
 */
function undoSpatialDifferencingScaled(h: SecondOrderHeader, data: Uint8Array, x: Float64Array, at: number, n: number, s: Scale): void {
  const { r, bscale, dscale } = s;
  const w = h.widthOfSpd;
  const base = (27 - 12) * 8;
  const first = [0, 0, 0];
  for (let i = 0; i < h.spdOrder && i < n; i++) first[i] = readBits(data, base + i * w, w);
  const raw = readBits(data, base + h.spdOrder * w, w);
  const sign = w > 0 && raw >= 2 ** (w - 1);
  const bias = sign ? -(raw - 2 ** (w - 1)) : raw;
  const end = at + n;
  for (let i = 0; i < h.spdOrder && i < n; i++) x[at + i] = (first[i]! * bscale + r) * dscale;
  if (h.spdOrder === 1) {
    let y = first[0]!;
    for (let i = at + 1; i < end; i++) {
      y += x[i]! + bias;
      x[i] = (y * bscale + r) * dscale;
    }
  } else if (h.spdOrder === 2) {
    let y = first[1]! - first[0]!;
    let z = first[1]!;
    for (let i = at + 2; i < end; i++) {
      y += x[i]! + bias;
      z += y;
      x[i] = (z * bscale + r) * dscale;
    }
  } else if (h.spdOrder === 3) {
    let y = first[2]! - first[1]!;
    let z = y - (first[1]! - first[0]!);
    let w3 = first[2]!;
    for (let i = at + 3; i < end; i++) {
      z += x[i]! + bias;
      y += z;
      w3 += y;
      x[i] = (w3 * bscale + r) * dscale;
    }
  }
}

/** Boustrophedonic order stores every second row reversed; rows are `rowLengths` points long. */
export function undoBoustrophedonic(values: Float64Array, rowLengths: number[]): void {
  let start = 0;
  for (let r = 0; r < rowLengths.length; r++) {
    const len = rowLengths[r]!;
    if (r % 2 === 1) values.subarray(start, start + len).reverse();
    start += len;
  }
}
