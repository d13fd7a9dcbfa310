/**
 * Child process for the stale-lock tests: takes the download lock of one product in a cache and
 * then hangs inside the download (as a run does while a product streams), until it is killed.
 * Prints "locked" once the lock is held. Usage: lock-holder.ts CACHE_DIR DATASET PRODUCT
 */
import { DownloadCache } from '../../src/hda/cache.js';

const [dir, dataset, product] = process.argv.slice(2) as [string, string, string];
const cache = new DownloadCache(dir, { log: null });
await cache.ensure(dataset, product, async () => {
  process.stdout.write('locked\n');
  await new Promise(() => setInterval(() => undefined, 1000)); // never finishes
  return { filename: null };
});
