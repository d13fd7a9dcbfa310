/**
 * scaling: a full Flight read (every endpoint, batches drained) of NetCDF-3 inputs of 1, 2, 4 and
 * 8 GB, each on a fresh bridge: time per GB should stay constant (linear time) and the bridge's
 * peak RSS flat. Inputs are capped by `--max-gb` and by the free disk space.
 */
import { statfsSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { memoryMiB, startBridge } from '../lib/bridge.js';
import { linkCatalog } from '../lib/catalog.js';
import { DATA, py } from '../lib/paths.js';
import { JsonWorker } from '../lib/proc.js';
import { metric, sideStats, type CaseResult } from '../lib/results.js';
import { selected, type Suite, type SuiteOptions } from '../lib/suite.js';
import { bigInputs } from './memory.js';

const SIZES_GB = [1, 2, 4, 8];
/** Largest vs smallest input: s/GB and peak RSS may grow by at most this factor. */
const GROWTH_TARGET = 1.25;

export const scalingSuite: Suite = {
  name: 'scaling',
  title: 'time and peak RSS from 1 to 8 GB inputs',
  description: [
    'A full Flight read (pyarrow client, endpoints one after another, batches counted and dropped) of uncompressed',
    'NetCDF-3 files of 1, 2, 4 and 8 GB (8 float32 variables on a 1440×721 grid) on a fresh bridge per input.',
    'Time per GB should be constant and the bridge\'s peak RSS (VmRSS sampled every 100 ms) flat; the last row',
    `compares the largest input with the smallest (target ≤ ${GROWTH_TARGET}x for both). Each input is read once as a`,
    'warm-up, then timed; peak RSS covers both reads. Bridge with default options. One round by default (`--rounds N` repeats).',
  ].join(' '),
  async run(opts: SuiteOptions) {
    const notes: string[] = [];
    let sizes = SIZES_GB.filter((g) => g <= opts.maxGb && selected(opts, `${g}gb`));
    if (opts.maxGb < 8) notes.push(`inputs capped at ${opts.maxGb} GB by --max-gb`);
    // Free disk: the files not yet written must fit with 5 GB to spare.
    const fs = statfsSync(DATA.replace(/\/benchmarks\/data$/, '') || '/');
    const free = (fs.bavail * fs.bsize) / 1e9;
    let need = 0;
    const fits = sizes.filter((g) => {
      if (existsSync(join(DATA, 'big', `nc3-${g}gb.nc`))) return true;
      need += g;
      return need + 5 <= free;
    });
    if (fits.length < sizes.length) notes.push(`only ${free.toFixed(0)} GB free on disk: skipped ${sizes.filter((g) => !fits.includes(g)).join(', ')} GB`);
    sizes = fits;
    if (!sizes.length) return { cases: [], notes: [...notes, 'no input size selected'] };
    const rounds = opts.roundsGiven ? opts.rounds : 1;
    const files = bigInputs(sizes, opts.log);
    if (!files.length) return { cases: [], notes: [...notes, 'input files could not be generated here (n/a)'], rounds };
    const results: CaseResult[] = [];
    const perGb = new Map<number, number[]>();
    const peaks = new Map<number, number[]>();
    for (const f of files) {
      const catalog = linkCatalog('scaling', { big: [f.path] });
      const times: number[] = [];
      const peak: number[] = [];
      let rows = 0;
      let bytes = 0;
      for (let round = 1; round <= rounds; round++) {
        const bridge = await startBridge(catalog);
        let max = 0;
        const timer = setInterval(() => (max = Math.max(max, memoryMiB(bridge.pid).rss)), 100);
        try {
          const [cmd, args] = py('flight_read.py', bridge.uri, 'big', 'stream', '1');
          const w = await JsonWorker.start(`scaling/${f.name}`, cmd, args);
          if (typeof w === 'string') throw new Error(w);
          try {
            // Warm-up pass on the same bridge: the file described and in the page cache, as for the other sizes.
            const warm = await w.run({}, 1_800_000);
            opts.log(`${f.gb} GB warm-up read: ${warm.seconds.toFixed(1)} s`);
            const r = await w.run({}, 1_800_000);
            times.push(r.seconds);
            rows = Number(r.rows);
            bytes = Number(r.bytes);
          } finally {
            await w.quit();
          }
          max = Math.max(max, memoryMiB(bridge.pid).hwm);
          peak.push(max);
          opts.log(
            `${f.gb} GB round ${round}/${rounds}: ${times.at(-1)!.toFixed(1)} s (${(times.at(-1)! / (f.bytes / 1e9)).toFixed(2)} s/GB), ` +
              `${rows} rows, ${(bytes / 1e9).toFixed(1)} GB of Arrow, bridge peak RSS ${max.toFixed(0)} MiB`,
          );
        } finally {
          clearInterval(timer);
          await bridge.stop();
        }
      }
      const gb = f.bytes / 1e9;
      perGb.set(f.gb, times.map((t) => t / gb));
      peaks.set(f.gb, peak);
      results.push({
        id: `${f.gb}gb`,
        label: `${f.gb} GB (${(f.rows / 1e6).toFixed(0)} M rows)`,
        status: 'ok',
        sides: { read: sideStats('full read', 's', times, { rows, bytes }) },
        metrics: [metric('s_per_gb', 'seconds per GB of input', 's/GB', perGb.get(f.gb)!, null, 'lower'), metric('peak', 'bridge peak RSS', 'MiB', peak, null, 'lower')],
        info: { file_bytes: f.bytes, arrow_bytes: bytes },
      });
    }
    const lo = Math.min(...sizes);
    const hi = Math.max(...sizes);
    if (hi > lo) {
      const ratio = (m: Map<number, number[]>): number[] => m.get(hi)!.map((x, i) => x / m.get(lo)![i]!);
      results.push({
        id: 'growth',
        label: `${hi} GB vs ${lo} GB`,
        status: 'ok',
        sides: {},
        metrics: [
          metric('time_growth', 's/GB largest / smallest', 'x', ratio(perGb), GROWTH_TARGET, 'lower'),
          metric('rss_growth', 'peak RSS largest / smallest', 'x', ratio(peaks), GROWTH_TARGET, 'lower'),
        ],
      });
    }
    return { cases: results, notes, rounds };
  },
};
