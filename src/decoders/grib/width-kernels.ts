/**
 * Simple-packing loops specialised per bit width, generated once per width: every 8 values of
 * b bits fill exactly b octets, so a loop over such blocks can read the block as 32-bit words
 * and take each value out of one or two of them with shifts that are constants of the width,
 * instead of computing a byte address and a shift per value. Hand-written loops cover the
 * common widths (simple.ts); these cover the others, which producers pick to fit a precision
 * (10, 13, 14, 15 bits...) and which were 15-20% behind ecCodes with the generic loop. The
 * generated source depends only on the width (an integer 1-31), never on file contents.
 */
import type { Scale } from './simple.js';

/** Decodes `blocks` blocks of 8 values from octet p into out[at..at+8·blocks), scaled. */
export type BlockKernel = (dv: DataView, p: number, blocks: number, r: number, bscale: number, dscale: number, out: Float64Array, at: number) => void;

const kernels: Array<BlockKernel | undefined> = [];

function source(bits: number): string {
  const words = Math.ceil(bits / 4); // 8·bits bits in 32-bit words
  const lines: string[] = [];
  // The last word may reach up to 3 octets past the block (PAD covers the last block).
  for (let j = 0; j < words; j++) lines.push(`const w${j} = dv.getUint32(p + ${4 * j}, false);`);
  for (let k = 0; k < 8; k++) {
    const o = k * bits;
    const j = o >>> 5;
    const off = o & 31;
    const hi = off === 0 ? `w${j}` : `(w${j} << ${off})`;
    const v = off + bits <= 32 ? `(${hi} >>> ${32 - bits})` : `((${hi} | (w${j + 1} >>> ${32 - off})) >>> ${32 - bits})`;
    lines.push(`out[at + ${k}] = (${v} * bscale + r) * dscale;`);
  }
  return `for (let g = 0; g < blocks; g++, p += ${bits}, at += 8) {\n${lines.join('\n')}\n}`;
}

/** The block kernel for `bits` (1-31). */
export function blockKernel(bits: number): BlockKernel {
  if (!(Number.isInteger(bits) && bits >= 1 && bits <= 31)) throw new RangeError(`no block kernel for ${bits} bits`);
  let k = kernels[bits];
  if (!k) kernels[bits] = k = new Function('dv', 'p', 'blocks', 'r', 'bscale', 'dscale', 'out', 'at', source(bits)) as BlockKernel;
  return k;
}

/** n values of `bits` bits from octet p, scaled into out[at..): whole blocks; returns how many were done. */
export function unpackBlocks(dv: DataView, p: number, bits: number, n: number, s: Scale, out: Float64Array, at: number): number {
  const blocks = n >>> 3;
  if (blocks) blockKernel(bits)(dv, p, blocks, s.r, s.bscale, s.dscale, out, at);
  return blocks * 8;
}
