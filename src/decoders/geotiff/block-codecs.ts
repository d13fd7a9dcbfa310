/**
 * TIFF LZW and PackBits decoding bounded by the block's size. geotiff.js's LZW decoder grows a
 * JS array without limit, so one damaged strip could end the process; here output past the
 * strip/tile size is an error, as is a stream that ends before its end-of-information code.
 *
 * LZW as TIFF 6.0 section 13 defines it: MSB-first codes of 9 to 12 bits, Clear = 256,
 * EndOfInformation = 257, and the code width grows one code early (libtiff's behaviour).
 */

const CLEAR = 256;
const EOI = 257;
const MAX_CODES = 4096;

export class CodecError extends Error {}

export function decodeLzw(input: Uint8Array, maxBytes: number): Uint8Array {
  const out = new Uint8Array(maxBytes);
  const prefix = new Int32Array(MAX_CODES);
  const suffix = new Uint8Array(MAX_CODES);
  const length = new Int32Array(MAX_CODES);
  const first = new Uint8Array(MAX_CODES);
  for (let i = 0; i < 256; i++) {
    suffix[i] = i;
    first[i] = i;
    length[i] = 1;
    prefix[i] = -1;
  }
  let bitPos = 0;
  const totalBits = input.length * 8;
  let width = 9;
  let next = 258;
  let prev = -1;
  let pos = 0;

  const emit = (code: number): void => {
    const len = length[code]!;
    if (pos + len > maxBytes) throw new CodecError(`LZW output exceeds the ${maxBytes}-byte block`);
    let c = code;
    for (let i = pos + len - 1; i >= pos; i--) {
      out[i] = suffix[c]!;
      c = prefix[c]!;
    }
    pos += len;
  };

  for (;;) {
    if (bitPos + width > totalBits) {
      // libtiff accepts a stream that simply stops once the block is full.
      if (pos === maxBytes) break;
      throw new CodecError(`LZW stream ends after ${pos} of ${maxBytes} bytes without an end code`);
    }
    let code = 0;
    for (let i = 0; i < width; i++, bitPos++) code = (code << 1) | ((input[bitPos >> 3]! >> (7 - (bitPos & 7))) & 1);
    if (code === EOI) break;
    if (code === CLEAR) {
      width = 9;
      next = 258;
      prev = -1;
      continue;
    }
    if (prev === -1) {
      if (code > 255) throw new CodecError(`LZW code ${code} right after a clear code`);
      emit(code);
      prev = code;
      continue;
    }
    if (code < next) {
      emit(code);
      if (next < MAX_CODES) add(prev, first[code]!);
    } else if (code === next && next < MAX_CODES) {
      add(prev, first[prev]!);
      emit(code);
    } else {
      throw new CodecError(`LZW code ${code} is not in the table (next ${next})`);
    }
    prev = code;
    if (next >= (1 << width) - 1 && width < 12) width++;
  }
  return pos === maxBytes ? out : out.slice(0, pos);

  function add(p: number, byte: number): void {
    prefix[next] = p;
    suffix[next] = byte;
    length[next] = length[p]! + 1;
    first[next] = first[p]!;
    next++;
  }
}

/** PackBits (TIFF compression 32773): runs and literals, output bounded by the block size. */
export function decodePackBits(input: Uint8Array, maxBytes: number): Uint8Array {
  const out = new Uint8Array(maxBytes);
  let pos = 0;
  for (let i = 0; i < input.length && pos < maxBytes; ) {
    const n = (input[i++]! << 24) >> 24;
    if (n >= 0) {
      const count = n + 1;
      if (i + count > input.length || pos + count > maxBytes) throw new CodecError(`PackBits literal of ${count} bytes runs past the data`);
      out.set(input.subarray(i, i + count), pos);
      i += count;
      pos += count;
    } else if (n !== -128) {
      const count = 1 - n;
      if (i >= input.length || pos + count > maxBytes) throw new CodecError(`PackBits run of ${count} bytes runs past the data`);
      out.fill(input[i++]!, pos, pos + count);
      pos += count;
    }
  }
  return pos === maxBytes ? out : out.slice(0, pos);
}
