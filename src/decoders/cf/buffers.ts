/**
 * Typed arrays that the caller overwrites entirely, allocated without the zero-filling pass of
 * `new Float64Array(n)` (Buffer.allocUnsafeSlow: uninitialised memory of its own, never a slice
 * of Node's shared pool, so it can be transferred to another thread). Decoded values, coordinate
 * columns and read buffers are all written in full before anyone reads them.
 */

function bytes(n: number): ArrayBuffer {
  return Buffer.allocUnsafeSlow(n).buffer as ArrayBuffer;
}

export function uninitialisedBytes(n: number): Uint8Array {
  return new Uint8Array(bytes(n), 0, n);
}

export function uninitialisedFloat32(n: number): Float32Array {
  return new Float32Array(bytes(n * 4), 0, n);
}

export function uninitialisedFloat64(n: number): Float64Array {
  return new Float64Array(bytes(n * 8), 0, n);
}

export function uninitialisedBigInt64(n: number): BigInt64Array {
  return new BigInt64Array(bytes(n * 8), 0, n);
}
