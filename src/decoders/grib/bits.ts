/**
 * Big-endian header fields of GRIB sections: unsigned and sign-magnitude integers, IEEE and IBM
 * floats, and the all-ones "missing" marker. Packed data values are read by packed.ts.
 */

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
