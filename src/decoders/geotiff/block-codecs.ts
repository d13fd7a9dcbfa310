/**
 * TIFF LZW and PackBits decoding bounded by the block's size. geotiff.js's LZW decoder grows a
 * JS array without limit, so one damaged strip could end the process; here output past the
 * strip/tile size is an error, as is a stream that ends before its end-of-information code.
 *
 * LZW as TIFF 6.0 section 13 defines it: MSB-first codes of 9 to 12 bits, Clear = 256,
 * EndOfInformation = 257, and the code width grows one code early (libtiff's behaviour).
 */

/*
 * Every LZW string is the previous string plus one byte, and both were just written to the output,
 * so a code's string is kept as (start, length) in the output itself: emitting a code is a copy
 * from earlier output, with no per-byte chain walk. Each code is cut from a big-endian 32-bit window
 * read at its bit position (9-12 bits always fit; the last bytes are read one by one). Strings are
 * copied four bytes at a time (a DataView reads and writes unaligned words); the copy may write up
 * to three bytes past the string, which the next string overwrites, so the output needs LZW_SLACK
 * bytes of room.
 */
const CLEAR = 256;
const EOI = 257;
const MAX_CODES = 4096;

/** Bytes of room the LZW decoder needs past the block's size. */
export const LZW_SLACK = 4;

export class CodecError extends Error {}

/** Start (in the output) and length of each code's string, interleaved. */
const table = new Int32Array(MAX_CODES * 2);

function fail(message: string): never {
  throw new CodecError(message);
}

/**
 * Decodes one TIFF LZW strip or tile into `out` (at least maxBytes + LZW_SLACK long; a fresh
 * array by default) and returns the decoded bytes (a view of `out`, at most `maxBytes`).
 */
export function decodeLzw(input: Uint8Array, maxBytes: number, out: Uint8Array = new Uint8Array(maxBytes + LZW_SLACK)): Uint8Array {
  if (out.length < maxBytes + LZW_SLACK) throw new RangeError(`LZW output buffer of ${out.length} bytes for a ${maxBytes}-byte block`);
  const dv = new DataView(out.buffer, out.byteOffset, out.length);
  const src = new DataView(input.buffer, input.byteOffset, input.length);
  const t = table;
  const n = input.length;
  const totalBits = n * 8;
  // Codes whose 32-bit window lies inside the input are read in one go; the last few bytes byte-wise.
  const fastBits = (n - 4) * 8;
  let bitPos = 0;
  let width = 9;
  let mask = 511;
  let next = 258;
  let prevStart = -1;
  let prevLength = 0;
  let pos = 0;
  for (;;) {
    let code: number;
    if (bitPos <= fastBits) {
      code = (src.getUint32(bitPos >>> 3) >>> (32 - width - (bitPos & 7))) & mask;
    } else {
      if (bitPos + width > totalBits) {
        if (pos === maxBytes) break;
        fail(`LZW stream ends after ${pos} of ${maxBytes} bytes without an end code`);
      }
      let v = 0;
      for (let b = bitPos >>> 3, e = Math.min(n, b + 4), k = 0; k < 4; b++, k++) v = (v << 8) | (b < e ? input[b]! : 0);
      code = ((v >>> 0) >>> (32 - width - (bitPos & 7))) & mask;
    }
    bitPos += width;
    let length: number;
    if (code < 256) {
      if (pos >= maxBytes) fail(`LZW output exceeds the ${maxBytes}-byte block`);
      out[pos] = code;
      length = 1;
    } else if (code >= 258 && code < next) {
      const from = t[2 * code]!;
      length = t[2 * code + 1]!;
      if (pos + length > maxBytes) fail(`LZW output exceeds the ${maxBytes}-byte block`);
      dv.setUint32(pos, dv.getUint32(from, true), true);
      for (let i = 4; i < length; i += 4) dv.setUint32(pos + i, dv.getUint32(from + i, true), true);
    } else if (code === CLEAR) {
      width = 9;
      mask = 511;
      next = 258;
      prevStart = -1;
      continue;
    } else if (code === EOI) {
      break;
    } else if (code === next && prevStart >= 0 && next < MAX_CODES) {
      length = prevLength + 1;
      if (pos + length > maxBytes) fail(`LZW output exceeds the ${maxBytes}-byte block`);
      for (let i = 0; i < prevLength; i += 4) dv.setUint32(pos + i, dv.getUint32(prevStart + i, true), true);
      out[pos + prevLength] = out[prevStart]!;
    } else {
      fail(prevStart < 0 ? `LZW code ${code} right after a clear code` : `LZW code ${code} is not in the table (next ${next})`);
    }
    if (prevStart >= 0 && next < MAX_CODES) {
      t[2 * next] = prevStart;
      t[2 * next + 1] = prevLength + 1;
      next++;
    }
    prevStart = pos;
    prevLength = length;
    pos += length;
    if (next >= mask && width < 12) {
      width++;
      mask = (mask << 1) | 1;
    }
  }
  return out.subarray(0, pos);
}

/** PackBits (TIFF compression 32773): runs and literals, output bounded by the block size. */
export function decodePackBits(input: Uint8Array, maxBytes: number, out: Uint8Array = new Uint8Array(maxBytes)): Uint8Array {
  if (out.length < maxBytes) throw new RangeError(`PackBits output buffer of ${out.length} bytes for a ${maxBytes}-byte block`);
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
  return out.subarray(0, pos);
}
