/**
 * node:zlib inflate into memory the caller owns, through one native stream reused for every call:
 * what inflate.ts uses where WebAssembly is unavailable or a block is too large for its memory.
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
import { constants, Inflate, InflateRaw, inflateRawSync, inflateSync } from 'node:zlib';
import { InflateError, type InflateFormat } from './inflate-error.js';

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

const streams: Record<InflateFormat, Stream | null | undefined> = { zlib: undefined, raw: undefined };
const probe = new Uint8Array(1);

function nativeStream(format: InflateFormat): Stream | null {
  const known = streams[format];
  if (known !== undefined) return known;
  try {
    const z = (format === 'raw' ? new InflateRaw() : new Inflate()) as unknown as { _handle?: ZlibHandle; _writeState?: Uint32Array };
    const handle = z._handle;
    const state = z._writeState;
    if (!handle || typeof handle.writeSync !== 'function' || typeof handle.reset !== 'function' || !(state instanceof Uint32Array)) return (streams[format] = null);
    const s: Stream = { handle, state, error: null };
    // Errors are reported through this callback during writeSync; the stream object itself stays usable.
    handle.onerror = (message) => {
      s.error = message;
    };
    return (streams[format] = s);
  } catch {
    return (streams[format] = null);
  }
}

/**
 * Inflates the whole stream `input` into `out` and returns the number of bytes written.
 * Throws InflateError when the stream is damaged or truncated, or decodes to more than `out` holds.
 */
export function zlibInflateInto(input: Uint8Array, out: Uint8Array, format: InflateFormat = 'zlib'): number {
  const s = nativeStream(format);
  if (!s) return inflateByCopy(input, out, format);
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

function inflateByCopy(input: Uint8Array, out: Uint8Array, format: InflateFormat): number {
  let data: Buffer;
  try {
    const options = { maxOutputLength: Math.max(1, out.length) };
    data = format === 'raw' ? inflateRawSync(input, options) : inflateSync(input, options);
  } catch (e) {
    throw new InflateError(e instanceof RangeError ? `data decode to more than the ${out.length} bytes expected` : (e as Error).message);
  }
  out.set(data);
  return data.length;
}
