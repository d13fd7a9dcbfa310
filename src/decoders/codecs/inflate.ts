/**
 * zlib inflate into memory the caller owns, through one native stream reused for every call.
 *
 * `zlib.inflateSync` creates (and tears down) a native stream per call and allocates a fresh
 * output Buffer each time: per HDF5 chunk, GeoTIFF tile or PNG field that is an inflateInit, a
 * 32 KiB window and an external allocation the GC must later reclaim (in the NetCDF-4 decode
 * profile, allocation and GC were a third of the time spent inflating). Here the stream is reset
 * instead, and output goes straight into the caller's buffer.
 *
 * This drives the zlib binding Node's own `zlib.js` uses (`_handle.writeSync`, `_writeState`);
 * where a Node version lacks it, `inflateSync` is used instead, with the same results and errors.
 */
import { constants, Inflate, inflateSync } from 'node:zlib';

/**
 * Most bytes `n` bytes of deflate data can decode to (deflate's ratio is at most about 1032:1,
 * plus the zlib header and trailer). Output buffers are sized by what a file claims, so a damaged
 * header claiming gigabytes must be held to this before anything is allocated.
 */
export function inflateBound(n: number): number {
  return n * 1032 + 1024;
}

export class InflateError extends Error {
  override name = 'InflateError';
}

interface ZlibHandle {
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
  reset(): void;
  onerror: (message: string, errno: number) => void;
}

interface Stream {
  handle: ZlibHandle;
  /** [avail_out, avail_in] after the last writeSync. */
  state: Uint32Array;
  error: string | null;
}

let stream: Stream | null | undefined;
const probe = new Uint8Array(1);

function nativeStream(): Stream | null {
  if (stream !== undefined) return stream;
  try {
    const z = new Inflate() as unknown as { _handle?: ZlibHandle; _writeState?: Uint32Array };
    const handle = z._handle;
    const state = z._writeState;
    if (!handle || typeof handle.writeSync !== 'function' || typeof handle.reset !== 'function' || !(state instanceof Uint32Array)) return (stream = null);
    const s: Stream = { handle, state, error: null };
    // Errors are reported through this callback during writeSync; the stream object itself stays usable.
    handle.onerror = (message) => {
      s.error = message;
    };
    return (stream = s);
  } catch {
    return (stream = null);
  }
}

/**
 * Inflates the whole zlib stream `input` into `out` and returns the number of bytes written.
 * Throws InflateError when the stream is damaged or truncated, or decodes to more than `out` holds.
 */
export function inflateInto(input: Uint8Array, out: Uint8Array): number {
  const s = nativeStream();
  if (!s) return inflateByCopy(input, out);
  s.error = null;
  try {
    s.handle.writeSync(constants.Z_FINISH, input, 0, input.length, out, 0, out.length);
    if (s.error) throw new InflateError(s.error);
    const written = out.length - s.state[0]!;
    if (s.state[0] === 0) {
      // Output full: the stream must end here (its trailer may still be unread), not go on.
      const rest = s.state[1]!;
      s.handle.writeSync(constants.Z_FINISH, input, input.length - rest, rest, probe, 0, 1);
      if (s.error) throw new InflateError(s.error);
      if (s.state[0] === 0) throw new InflateError(`data decode to more than the ${out.length} bytes expected`);
    }
    return written;
  } finally {
    s.handle.reset();
  }
}

/**
 * Inflates into a buffer of exactly `size` bytes; throws InflateError unless the stream decodes
 * to exactly that many.
 */
export function inflateExact(input: Uint8Array, out: Uint8Array, size: number): Uint8Array {
  const view = out.subarray(0, size);
  const n = inflateInto(input, view);
  if (n !== size) throw new InflateError(`data decode to ${n} bytes, not the ${size} expected`);
  return view;
}

function inflateByCopy(input: Uint8Array, out: Uint8Array): number {
  let data: Buffer;
  try {
    data = inflateSync(input, { maxOutputLength: Math.max(1, out.length) });
  } catch (e) {
    throw new InflateError(e instanceof RangeError ? `data decode to more than the ${out.length} bytes expected` : (e as Error).message);
  }
  out.set(data);
  return data.length;
}
