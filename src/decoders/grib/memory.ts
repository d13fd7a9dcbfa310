/**
 * Allocation without zero-filling for arrays that are overwritten entirely (decoded values, data
 * sections read from the file, batch columns): zeroing 8 MB that is rewritten at once cost about
 * a third of a simple-packing decode. Node's allocUnsafeSlow gives a buffer of its own at offset
 * 0 (never a slice of Node's shared pool), so views are aligned and the buffer can be
 * transferred to another thread.
 */

/** A Float64Array of n elements with undefined contents: every element must be written. */
export function float64Uninitialized(n: number): Float64Array {
  return new Float64Array(Buffer.allocUnsafeSlow(n * 8).buffer, 0, n);
}

/** A byte array of n elements with undefined contents: every element must be written. */
export function bytesUninitialized(n: number): Uint8Array {
  return new Uint8Array(Buffer.allocUnsafeSlow(n).buffer, 0, n);
}

/**
 * Typed views carved one after another from one uninitialised buffer, each 8-byte aligned: the
 * columns of a batch in one allocation (fewer, larger mappings for the allocator and the kernel
 * to set up than one per column). Every view must be written entirely.
 */
export class ViewArena {
  private readonly buf: ArrayBuffer;
  private at = 0;

  /** Bytes that `n` elements of `width` bytes take in an arena. */
  static size(n: number, width: number): number {
    return (n * width + 7) & ~7;
  }

  constructor(bytes: number) {
    this.buf = Buffer.allocUnsafeSlow(bytes).buffer as ArrayBuffer;
  }

  private take(n: number, width: number): number {
    const start = this.at;
    this.at += ViewArena.size(n, width);
    if (this.at > this.buf.byteLength) throw new RangeError(`arena of ${this.buf.byteLength} bytes exhausted`);
    return start;
  }

  f64(n: number): Float64Array {
    return new Float64Array(this.buf, this.take(n, 8), n);
  }

  i64(n: number): BigInt64Array {
    return new BigInt64Array(this.buf, this.take(n, 8), n);
  }

  f32(n: number): Float32Array {
    return new Float32Array(this.buf, this.take(n, 4), n);
  }

  i32(n: number): Int32Array {
    return new Int32Array(this.buf, this.take(n, 4), n);
  }
}
