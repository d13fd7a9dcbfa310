/**
 * Window arithmetic shared by the decoders: the one range check for selections, and the one
 * default batch size.
 */
import { DecodeError } from './errors.js';
import type { IndexRange } from './types.js';

/**
 * Bytes a decoder aims for per batch (all columns together) when the selection names none; the
 * bridge uses it too. About one 2 MiB Flight message, so a batch is sent without splitting and an
 * open stream holds only a few MiB: on 8.3 M rows of NetCDF-3, 2 MiB batches streamed as fast as
 * 8 MiB ones and cut the bridge's RSS at 32 concurrent streams from 18 to 13 MiB per stream.
 */
export const DEFAULT_BATCH_BYTES = 2 * 1024 * 1024 - 64 * 1024;

/** The selected [start, end) of an axis of length n (the whole axis when omitted), checked. */
export function axisRange(r: IndexRange | undefined, n: number, what: string, path: string): IndexRange {
  const [a, b] = r ?? [0, n];
  if (!(Number.isInteger(a) && Number.isInteger(b) && a >= 0 && b <= n && a <= b)) {
    throw new DecodeError('BAD_SELECTION', path, `${what} range [${a}, ${b}) outside [0, ${n})`);
  }
  return [a, b];
}
