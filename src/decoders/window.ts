/**
 * Window arithmetic shared by the decoders: the one range check for selections, and the one
 * default batch size.
 */
import { DecodeError } from './errors.js';
import type { IndexRange } from './types.js';

/** Bytes a decoder aims for per batch when the selection names none (all columns together). */
export const DEFAULT_BATCH_BYTES = 8 * 1024 * 1024;

/** The selected [start, end) of an axis of length n (the whole axis when omitted), checked. */
export function axisRange(r: IndexRange | undefined, n: number, what: string, path: string): IndexRange {
  const [a, b] = r ?? [0, n];
  if (!(Number.isInteger(a) && Number.isInteger(b) && a >= 0 && b <= n && a <= b)) {
    throw new DecodeError('BAD_SELECTION', path, `${what} range [${a}, ${b}) outside [0, ${n})`);
  }
  return [a, b];
}
