/** What inflate.ts and its two backends (inflate-wasm.ts, inflate-zlib.ts) share. */

/** A zlib stream (RFC 1950: header, DEFLATE data, Adler-32) or raw DEFLATE data (RFC 1951). */
export type InflateFormat = 'zlib' | 'raw';

export class InflateError extends Error {
  override name = 'InflateError';
}
