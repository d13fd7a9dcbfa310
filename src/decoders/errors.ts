/**
 * Every failure to read a file surfaces as a DecodeError that names the file and what is wrong,
 * so a user (or a Flight client) sees "grib: /data/x.grib: message 3, section 5: ..." instead of
 * a RangeError from deep inside a typed-array constructor.
 */
export type DecodeErrorCode =
  | 'UNKNOWN_FORMAT'
  | 'TRUNCATED'
  | 'CORRUPT'
  | 'UNSUPPORTED'
  | 'LIMIT'
  | 'NOT_FOUND'
  | 'BAD_SELECTION';

export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  constructor(
    readonly code: DecodeErrorCode,
    readonly file: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${detail}`, options);
  }

  toJSON(): { code: DecodeErrorCode; file: string; detail: string } {
    return { code: this.code, file: this.file, detail: this.detail };
  }
}

/** Wraps any non-DecodeError thrown while decoding `file` so that no raw RangeError escapes. */
export function asDecodeError(file: string, err: unknown, context = 'decode failed'): DecodeError {
  if (err instanceof DecodeError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new DecodeError('CORRUPT', file, `${context}: ${msg}`, { cause: err });
}

/** Largest number of values a single decode may allocate (guards against absurd headers). */
export const MAX_VALUES_PER_READ = 1 << 28;
