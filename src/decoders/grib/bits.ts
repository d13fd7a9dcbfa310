/**
 * Big-endian bit and byte reading for GRIB: packed n-bit unsigned integers (n = 0..32, any
 * alignment) and the sign-magnitude and IBM float encodings GRIB uses in its headers.
 */

/** Unpacks `count` n-bit unsigned values starting at bit `bitOffset` of `buf` into `out`. */
export function unpackBits(buf: Uint8Array, bitOffset: number, bits: number, count: number, out: Uint32Array | Float64Array = new Uint32Array(count)): Uint32Array | Float64Array {
  if (bits === 0) {
    out.fill(0, 0, count);
    return out;
  }
  const needBytes = Math.ceil((bitOffset + bits * count) / 8);
  if (needBytes > buf.length) throw new RangeError(`packed data needs ${needBytes} bytes, have ${buf.length}`);
  // Byte-aligned common widths: no bit arithmetic at all.
  if ((bitOffset & 7) === 0) {
    let p = bitOffset >> 3;
    if (bits === 8) {
      for (let i = 0; i < count; i++) out[i] = buf[p + i]!;
      return out;
    }
    if (bits === 16) {
      for (let i = 0; i < count; i++, p += 2) out[i] = (buf[p]! << 8) | buf[p + 1]!;
      return out;
    }
    if (bits === 24) {
      for (let i = 0; i < count; i++, p += 3) out[i] = (buf[p]! << 16) | (buf[p + 1]! << 8) | buf[p + 2]!;
      return out;
    }
    if (bits === 32) {
      for (let i = 0; i < count; i++, p += 4) out[i] = ((buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!) >>> 0;
      return out;
    }
  }
  // General case: a 32-bit window refilled byte by byte; values up to 25 bits come from one read.
  let pos = bitOffset;
  if (bits <= 25) {
    const mask = (1 << bits) - 1;
    for (let i = 0; i < count; i++, pos += bits) {
      const byte = pos >>> 3;
      const shift = 32 - bits - (pos & 7);
      const w = ((buf[byte]! << 24) | ((buf[byte + 1] ?? 0) << 16) | ((buf[byte + 2] ?? 0) << 8) | (buf[byte + 3] ?? 0)) >>> 0;
      out[i] = (w >>> shift) & mask;
    }
    return out;
  }
  for (let i = 0; i < count; i++, pos += bits) out[i] = readBits(buf, pos, bits);
  return out;
}

/** One n-bit (n <= 32) big-endian unsigned value at a bit offset. */
export function readBits(buf: Uint8Array, bitOffset: number, bits: number): number {
  let v = 0;
  let pos = bitOffset;
  let left = bits;
  while (left > 0) {
    const byte = buf[pos >>> 3] ?? 0;
    const avail = 8 - (pos & 7);
    const take = Math.min(avail, left);
    const part = (byte >>> (avail - take)) & ((1 << take) - 1);
    v = v * (1 << take) + part;
    left -= take;
    pos += take;
  }
  return v;
}

export function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

export function u24(b: Uint8Array, o: number): number {
  return (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!;
}

export function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

export function u64(b: Uint8Array, o: number): number {
  return u32(b, o) * 4294967296 + u32(b, o + 4);
}

/** GRIB "signed" integers are sign-magnitude: the top bit is the sign. */
export function s8(b: Uint8Array, o: number): number {
  const v = b[o]!;
  return v & 0x80 ? -(v & 0x7f) : v;
}

export function s16(b: Uint8Array, o: number): number {
  const v = u16(b, o);
  return v & 0x8000 ? -(v & 0x7fff) : v;
}

export function s24(b: Uint8Array, o: number): number {
  const v = u24(b, o);
  return v & 0x800000 ? -(v & 0x7fffff) : v;
}

export function s32(b: Uint8Array, o: number): number {
  const v = u32(b, o);
  return v >= 0x80000000 ? -(v - 0x80000000) : v;
}

export function f32(b: Uint8Array, o: number): number {
  return new DataView(b.buffer, b.byteOffset + o, 4).getFloat32(0, false);
}

/** IBM System/360 single precision float (GRIB1 reference values). */
export function ibm32(b: Uint8Array, o: number): number {
  const sign = b[o]! & 0x80 ? -1 : 1;
  const exp = (b[o]! & 0x7f) - 64;
  const mant = u24(b, o + 1);
  if (mant === 0) return 0;
  return sign * (mant / 16777216) * Math.pow(16, exp);
}

/** All bits set in an n-byte field: GRIB's "missing" marker. */
export function isMissing(b: Uint8Array, o: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (b[o + i] !== 0xff) return false;
  return true;
}
