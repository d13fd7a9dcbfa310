/**
 * Runs one decode task of a CLI command in a decode worker, so the decode pool's watchdog applies
 * (a damaged file that stalls libhdf5 ends with an error instead of hanging the command).
 */
import { DecodePool } from '../workers/decode-pool.js';

export async function inWorker<T>(task: (pool: DecodePool) => Promise<T>): Promise<T> {
  const pool = new DecodePool({ size: 1 });
  // Pool workers do not keep a process alive (a server must be able to exit): this does, meanwhile.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  try {
    return await task(pool);
  } finally {
    clearInterval(keepAlive);
    await pool.close();
  }
}
