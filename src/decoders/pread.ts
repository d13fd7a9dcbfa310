/**
 * Positional reads for the decoders' own readers (NetCDF, GeoTIFF blocks), done synchronously: decoders run in decode workers,
 * where a blocking pread stalls nothing else, and skipping the libuv thread-pool round trip of
 * an async read made decodeAll about 25% cheaper in CPU and faster still in wall time on a
 * loaded machine (benchmarks/data/decode, interleaved with netCDF-C). Because sync reads never
 * return to the event loop, long loops call `breathe()` so the worker's heartbeat timer and
 * messages still run (the decode pool's watchdog takes a silent worker for a stuck one).
 */
import { readSync, readvSync } from 'node:fs';

/** Reads exactly `length` bytes at `position` of `fd` into `buf` at `offset`; returns the bytes read. */
export function preadFully(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, offset + done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** Reads exactly the bytes of `iov` at `position` (one readv per call, as the kernel allows); returns the bytes read. */
export function preadvFully(fd: number, iov: Uint8Array[], position: number): number {
  let want = 0;
  for (const b of iov) want += b.byteLength;
  let done = readvSync(fd, iov, position);
  if (done === want || done === 0) return done;
  // A short readv (signals, huge spans): finish buffer by buffer from where it stopped.
  let skip = done;
  for (const b of iov) {
    if (skip >= b.byteLength) {
      skip -= b.byteLength;
      continue;
    }
    const n = preadFully(fd, b, skip, b.byteLength - skip, position + done);
    done += n;
    if (n < b.byteLength - skip) break;
    skip = 0;
  }
  return done;
}

/** At most this long without a turn of the event loop. */
const BREATH_MS = 50;
let lastBreath = performance.now();

/** Lets timers and messages run when the current task has held the thread for a while. */
export async function breathe(): Promise<void> {
  const now = performance.now();
  if (now - lastBreath < BREATH_MS) return;
  await new Promise<void>((resolve) => setImmediate(resolve));
  lastBreath = performance.now();
}
