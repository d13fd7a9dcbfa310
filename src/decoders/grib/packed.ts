/**
 * Packed n-bit unsigned integers (big-endian, any bit alignment, n = 0..32): the raw material of
 * every GRIB packing. Values are read word-wise from 32-bit windows assembled from four bytes
 * (two values per window up to 12 bits, a fifth byte for widths over 25), never bit by bit.
 * Buffers from `FileSource.readPadded` carry PAD zero bytes after the data so the window stays
 * inside the array; a read past the end would still give the right value (a missing typed-array
 * element converts to 0), only slower.
 */

/** Zero bytes `FileSource.readPadded` leaves after the data for the word-wise reads. */
export const PAD = 8;

/** `data` extended over the PAD bytes after it (a padded copy when its buffer has no room). */
export function padded(data: Uint8Array): Uint8Array {
  if (data.byteOffset + data.length + PAD <= data.buffer.byteLength) return new Uint8Array(data.buffer, data.byteOffset, data.length + PAD);
  const out = new Uint8Array(data.length + PAD);
  out.set(data);
  return out;
}

/**
 * `count` values of `bits` bits starting at bit `pos`, each plus `add`, into out[at..at+count).
 * Returns the bit position after the last value. Callers check beforehand that the bits exist.
 */
export function unpackInto(buf: Uint8Array, pos: number, bits: number, count: number, add: number, out: Float64Array, at: number): number {
  const end = at + count;
  if (bits === 0) {
    out.fill(add, at, end);
    return pos;
  }
  const shift = 32 - bits;
  if (bits <= 12) {
    // Two values from each 32-bit window (it holds at least 25 valid bits).
    let i = at;
    for (; i + 1 < end; i += 2, pos += 2 * bits) {
      const q = pos >>> 3;
      const w = ((buf[q]! << 24) | (buf[q + 1]! << 16) | (buf[q + 2]! << 8) | buf[q + 3]!) << (pos & 7);
      out[i] = (w >>> shift) + add;
      out[i + 1] = ((w << bits) >>> shift) + add;
    }
    if (i < end) {
      const q = pos >>> 3;
      const w = (buf[q]! << 24) | (buf[q + 1]! << 16) | (buf[q + 2]! << 8) | buf[q + 3]!;
      out[i] = ((w << (pos & 7)) >>> shift) + add;
      pos += bits;
    }
    return pos;
  }
  if (bits <= 25) {
    for (let i = at; i < end; i++, pos += bits) {
      const q = pos >>> 3;
      const w = (buf[q]! << 24) | (buf[q + 1]! << 16) | (buf[q + 2]! << 8) | buf[q + 3]!;
      out[i] = ((w << (pos & 7)) >>> shift) + add;
    }
    return pos;
  }
  for (let i = at; i < end; i++, pos += bits) {
    const q = pos >>> 3;
    const s = pos & 7;
    const w = (buf[q]! << 24) | (buf[q + 1]! << 16) | (buf[q + 2]! << 8) | buf[q + 3]!;
    // For s = 0 the fifth byte shifts out entirely (a byte >>> 8 is 0).
    out[i] = (((w << s) | (buf[q + 4]! >>> (8 - s))) >>> shift) + add;
  }
  return pos;
}

/** `count` values of `bits` bits from bit `pos` as a new array (group references, widths, lengths). */
export function unpackArray(buf: Uint8Array, pos: number, bits: number, count: number): Float64Array {
  const out = new Float64Array(count);
  unpackInto(buf, pos, bits, count, 0, out, 0);
  return out;
}

/** One n-bit (n <= 32) value at a bit offset (header fields inside data sections). */
export function readBits(buf: Uint8Array, pos: number, bits: number): number {
  if (bits === 0) return 0;
  const q = pos >>> 3;
  const s = pos & 7;
  const w = ((buf[q] ?? 0) << 24) | ((buf[q + 1] ?? 0) << 16) | ((buf[q + 2] ?? 0) << 8) | (buf[q + 3] ?? 0);
  return (((w << s) | ((buf[q + 4] ?? 0) >>> (8 - s))) >>> (32 - bits));
}
