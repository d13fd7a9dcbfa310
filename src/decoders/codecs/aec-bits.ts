/**
 * The bit reader of the CCSDS 121.0-B (AEC) decoder: big-endian bits from a 32-bit accumulator
 * refilled a byte at a time, with the two code shapes AEC streams are made of, n-bit fields and
 * fundamental sequence (unary) codes, and the split-sample block that is the decoder's hot loop.
 * A class rather than closures, so that its methods are single call targets the compiler inlines.
 */

/** Readable bytes the reader wants after the stream (a copy is made when the buffer has none). */
const PAD = 8;

export class AecError extends Error {
  override readonly name = 'AecError';
}

export class AecBitReader {
  private readonly buf: Uint8Array;
  readonly totalBits: number;
  /** The next bits MSB-first; the bits below the `nacc` valid ones are 0. */
  private acc = 0;
  private nacc = 0;
  /** Next byte to load. */
  private q = 0;
  /** High parts (fundamental sequence codes) of the block being decoded. */
  private readonly high = new Int32Array(64);

  constructor(input: Uint8Array) {
    // Bytes past the stream only feed codes of a block that then fails the end check.
    if (input.byteOffset + input.length + PAD <= input.buffer.byteLength) this.buf = new Uint8Array(input.buffer, input.byteOffset, input.length + PAD);
    else {
      this.buf = new Uint8Array(input.length + PAD);
      this.buf.set(input);
    }
    this.totalBits = input.length * 8;
  }

  pos(): number {
    return this.q * 8 - this.nacc;
  }

  /** `k` bits, 0..32. */
  bits(k: number): number {
    if (k === 0) return 0;
    if (k > 24) {
      const hi = this.bits(k - 16);
      return hi * 65536 + this.bits(16);
    }
    let a = this.acc;
    let na = this.nacc;
    while (na <= 24) {
      a |= this.buf[this.q++]! << (24 - na);
      na += 8;
    }
    const v = a >>> (32 - k);
    this.acc = a << k;
    this.nacc = na - k;
    return v;
  }

  alignToByte(): void {
    const drop = this.nacc & 7;
    this.acc <<= drop;
    this.nacc -= drop;
  }

  /** Fundamental sequence code: the number of 0 bits before the next 1 bit. */
  fundamental(): number {
    const buf = this.buf;
    let a = this.acc;
    let na = this.nacc;
    let p = this.q;
    let zeros = 0;
    for (;;) {
      while (na <= 24) {
        a |= buf[p++]! << (24 - na);
        na += 8;
      }
      if (a !== 0) break;
      zeros += na;
      na = 0;
      if (p >= buf.length) throw new AecError(`stream ends inside a fundamental sequence code at bit ${this.totalBits}`);
    }
    const z = Math.clz32(a);
    this.acc = z === 31 ? 0 : a << (z + 1);
    this.nacc = na - z - 1;
    this.q = p;
    return zeros + z;
  }

  /**
   * A split-sample block into out[start..end): its fundamental sequence codes (high parts), then
   * its k-bit low parts. The reader state stays in locals while it runs.
   */
  split(out: Uint32Array, start: number, end: number, k: number): void {
    const buf = this.buf;
    const high = this.high;
    let a = this.acc;
    let na = this.nacc;
    let p = this.q;
    const m = end - start;
    // While the accumulator holds a 1 bit the next code ends inside it (the bits below the valid
    // ones are 0), so it is refilled only when it runs out of ones, with a whole 32-bit word
    // when empty.
    let zeros = 0;
    for (let j = 0; j < m; ) {
      if (a === 0) {
        zeros += na;
        if (p >= buf.length) throw new AecError(`stream ends inside a fundamental sequence code at bit ${this.totalBits}`);
        a = (buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!;
        p += 4;
        na = 32;
        continue;
      }
      const z = Math.clz32(a);
      a = (a << z) << 1;
      na -= z + 1;
      high[j++] = zeros + z;
      zeros = 0;
    }
    if (k === 0) out.set(high.subarray(0, m), start);
    else if (k <= 25) {
      // Fixed-width low parts: each from its own 32-bit window at its bit position, so the
      // iterations do not wait on one another as they would through the accumulator.
      const shift = 32 - k;
      let bit = p * 8 - na;
      let j = 0;
      if (k <= 12) {
        // Two low parts from one window.
        for (; j + 1 < m; j += 2, bit += 2 * k) {
          const b = bit >>> 3;
          const w = ((buf[b]! << 24) | (buf[b + 1]! << 16) | (buf[b + 2]! << 8) | buf[b + 3]!) << (bit & 7);
          out[start + j] = (high[j]! << k) | (w >>> shift);
          out[start + j + 1] = (high[j + 1]! << k) | ((w << k) >>> shift);
        }
      }
      for (; j < m; j++, bit += k) {
        const b = bit >>> 3;
        const w = ((buf[b]! << 24) | (buf[b + 1]! << 16) | (buf[b + 2]! << 8) | buf[b + 3]!) << (bit & 7);
        // The low k bits of high << k are 0: | adds without leaving int32.
        out[start + j] = (high[j]! << k) | (w >>> shift);
      }
      p = bit >>> 3;
      const used = bit & 7;
      a = used ? (buf[p++]! << (24 + used)) | 0 : 0;
      na = used ? 8 - used : 0;
    }
    this.acc = a;
    this.nacc = na;
    this.q = p;
    if (k > 25) for (let j = 0; j < m; j++) out[start + j] = high[j]! * 2 ** k + this.bits(k);
  }
}
