/**
 * Inflate (zlib or raw DEFLATE) of whole blocks whose output size is bounded: GeoTIFF tiles and
 * strips (geotiff/block-reader.ts), HDF5 deflate chunks (netcdf/hdf5-filters.ts).
 *
 * Blocks are decoded by our own whole-buffer decoder in WebAssembly (inflate-wasm.ts, inflate.c):
 * it knows the whole input and the bound up front, so it needs no streaming state or window.
 * Where WebAssembly is unavailable, or for blocks too large for its memory, node:zlib does the
 * work through one reused native stream (inflate-zlib.ts), with the same results and errors.
 */
import { InflateError, type InflateFormat } from './inflate-error.js';
import { wasmInflate } from './inflate-wasm.js';
import { zlibInflateInto } from './inflate-zlib.js';

export { InflateError, type InflateFormat } from './inflate-error.js';

/**
 * Most bytes `n` bytes of deflate data can decode to (deflate's ratio is at most about 1032:1,
 * plus the zlib header and trailer). Output buffers are sized by what a file claims, so a damaged
 * header claiming gigabytes must be held to this before anything is allocated.
 */
export function inflateBound(n: number): number {
  return n * 1032 + 1024;
}

/**
 * Inflates the whole stream `input` into `out` and returns the number of bytes written.
 * Throws InflateError when the stream is damaged or truncated, or decodes to more than `out` holds.
 */
export function inflateInto(input: Uint8Array, out: Uint8Array, format: InflateFormat = 'zlib'): number {
  const data = wasmDecode(input, out.length, format);
  if (!data) return zlibInflateInto(input, out, format);
  out.set(data);
  return data.length;
}

/**
 * Inflates the whole stream `input` (at most `maxBytes` of output) and returns the output without
 * copying it where it can: the view may be of memory that the next inflate call overwrites, so
 * use or copy it before then. Throws as inflateInto.
 */
export function inflateView(input: Uint8Array, maxBytes: number, format: InflateFormat = 'zlib'): Uint8Array {
  const data = wasmDecode(input, maxBytes, format);
  if (data) return data;
  const out = new Uint8Array(maxBytes);
  return out.subarray(0, zlibInflateInto(input, out, format));
}

/** The WebAssembly decode, or null where it cannot run: no WebAssembly, too large, or its
    memory cannot grow (a RangeError from `grow`, never a decode error). */
function wasmDecode(input: Uint8Array, capacity: number, format: InflateFormat): Uint8Array | null {
  const wasm = wasmInflate();
  if (!wasm || !wasm.fits(input.length, capacity)) return null;
  try {
    return wasm.decode(input, capacity, format);
  } catch (e) {
    if (e instanceof RangeError) return null;
    throw e;
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
