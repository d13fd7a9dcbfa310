/**
 * Allocation without zero-filling for arrays a kernel overwrites entirely (decoded values, data
 * sections read from the file): zeroing 8 MB that is rewritten at once cost about a third of a
 * simple-packing decode. Node's allocUnsafeSlow gives a buffer of its own at offset 0, so views
 * are aligned for any element type.
 */

/** A Float64Array of n elements with undefined contents: every element must be written. */
export function float64Uninitialized(n: number): Float64Array {
  return new Float64Array(Buffer.allocUnsafeSlow(n * 8).buffer, 0, n);
}

/** A byte array of n elements with undefined contents: every element must be written. */
export function bytesUninitialized(n: number): Uint8Array {
  return new Uint8Array(Buffer.allocUnsafeSlow(n).buffer, 0, n);
}
