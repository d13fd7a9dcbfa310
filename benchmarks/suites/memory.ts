/**
 * memory: the bridge's resident memory with 1, 8 and 32 concurrent DoGet streams whose clients read
 * slowly (one batch, then a pause), on a dataset whose decoded size is far above 1 GiB, so nothing
 * but bounded per-stream buffering keeps RSS down. A fresh bridge per measurement; VmRSS sampled
 * from /proc/PID/status every 100 ms.
 */
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { memoryMiB, startBridge, type Bridge } from '../lib/bridge.js';
import { linkCatalog } from '../lib/catalog.js';
import { DATA, py } from '../lib/paths.js';
import { spawnTracked, stopChild } from '../lib/proc.js';
import { metric, median, sideStats, unavailable, type CaseResult } from '../lib/results.js';
import { noMatch, selected, type Suite, type SuiteOptions } from '../lib/suite.js';

const STREAMS = [1, 8, 32];
const READ_SECONDS = 8;
const DELAY_SECONDS = 1.0;
const PER_STREAM_TARGET = 16;
const TOTAL_TARGET = 1024;

export interface BigFile {
  name: string;
  path: string;
  gb: number;
  bytes: number;
  rows: number;
  note: string;
}

/** The large NetCDF-3 inputs (written by netCDF4-python when missing). */
export function bigInputs(gbs: number[], log: (s: string) => void): BigFile[] {
  log(`inputs: ${gbs.join(', ')} GB NetCDF-3 file(s) in benchmarks/data/big (written by netCDF4-python when missing)`);
  const [cmd, args] = py('gen_big.py', join(DATA, 'big'), ...gbs.map(String));
  try {
    const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    return (JSON.parse(out) as { files: BigFile[] }).files;
  } catch (e) {
    log(`input generator failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    return [];
  }
}

interface Sample {
  idle: number;
  baseline: number;
  peak: number;
  hwm: number;
  batches: number;
}

async function measure(bridge: Bridge, dataset: string, streams: number): Promise<Sample> {
  const idle = memoryMiB(bridge.pid).rss;
  const [cmd, args] = py('slow_reader.py', bridge.uri, dataset, String(streams), String(READ_SECONDS), String(DELAY_SECONDS));
  const child = spawnTracked(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const r = await lines.next();
    if (r.done) throw new Error('slow_reader exited early');
    const msg = JSON.parse(r.value) as Record<string, unknown>;
    if (msg.error) throw new Error(String(msg.error));
    return msg;
  };
  let peak = 0;
  let timer: NodeJS.Timeout | undefined;
  try {
    await next(); // planned: the bridge has described the file
    const baseline = memoryMiB(bridge.pid).rss;
    timer = setInterval(() => {
      peak = Math.max(peak, memoryMiB(bridge.pid).rss);
    }, 100);
    child.stdin!.write('go\n');
    await next(); // open
    const done = await next();
    clearInterval(timer);
    peak = Math.max(peak, memoryMiB(bridge.pid).rss);
    return { idle, baseline, peak, hwm: memoryMiB(bridge.pid).hwm, batches: Number(done.batches) };
  } finally {
    clearInterval(timer);
    await stopChild(child);
  }
}

export const memorySuite: Suite = {
  name: 'memory',
  title: 'bridge RSS under 1, 8 and 32 slow DoGet streams',
  description: [
    `N concurrent DoGet streams on N different endpoints of a NetCDF-3 dataset larger than memory targets (2 GB file,`,
    `≈ 3.5 GB of Arrow), each client taking one batch every ${DELAY_SECONDS} s for ${READ_SECONDS} s. A fresh bridge per`,
    'measurement; its VmRSS is sampled every 100 ms. `RSS idle`: just started; `RSS when planned`: after the',
    "client's GetFlightInfo (the file described); `MiB/stream` = (peak RSS − RSS when planned) / N; `peak RSS` is the",
    'bridge process total (main thread and decode workers). The bridge runs with `--cache-mem 0`: the',
    'decoded-partition cache is its own budget (default 512 MiB) that a slow stream would otherwise fill with',
    'what it has read; it adds at most that budget to any figure here.',
  ].join(' '),
  async run(opts: SuiteOptions) {
    const want = STREAMS.filter((n) => selected(opts, `${n}-stream${n > 1 ? 's' : ''}`));
    if (!want.length) return noMatch(STREAMS.map((n) => `${n}-stream${n > 1 ? 's' : ''}`));
    const gb = Math.min(2, opts.maxGb);
    const [file] = bigInputs([gb], opts.log);
    if (!file) return { cases: want.map((n) => unavailable(`${n}-stream${n > 1 ? 's' : ''}`, `${n} stream${n > 1 ? 's' : ''}`, 'input file could not be generated here')), notes: [] };
    const notes = [`dataset: ${file!.note} (${(file!.bytes / 1e9).toFixed(2)} GB, ${file!.rows} rows)`];
    const catalog = linkCatalog('memory', { big: [file!.path] });
    const results: CaseResult[] = [];
    // Each measurement starts a bridge and reads for a while: 3 rounds unless --rounds says otherwise.
    const rounds = opts.roundsGiven ? opts.rounds : 3;
    for (const n of want) {
      const samples: Sample[] = [];
      for (let round = 1; round <= rounds; round++) {
        const bridge = await startBridge(catalog, { cacheMem: '0' });
        try {
          const s = await measure(bridge, 'big', n);
          samples.push(s);
          opts.log(
            `${n} stream(s), round ${round}/${rounds}: RSS idle ${s.idle.toFixed(0)}, planned ${s.baseline.toFixed(0)} → peak ${s.peak.toFixed(0)} MiB (HWM ${s.hwm.toFixed(0)}), ` +
              `${((s.peak - s.baseline) / n).toFixed(1)} MiB/stream, ${s.batches} batches read`,
          );
        } finally {
          await bridge.stop();
        }
      }
      const perStream = samples.map((s) => (s.peak - s.baseline) / n);
      results.push({
        id: `${n}-stream${n > 1 ? 's' : ''}`,
        label: `${n} stream${n > 1 ? 's' : ''}`,
        status: 'ok',
        sides: {
          idle: sideStats('RSS idle', 'MiB', samples.map((s) => s.idle)),
          baseline: sideStats('RSS when planned', 'MiB', samples.map((s) => s.baseline)),
          peak: sideStats('peak RSS', 'MiB', samples.map((s) => s.peak)),
        },
        metrics: [
          metric('per_stream', 'MiB per stream', 'MiB/stream', perStream, PER_STREAM_TARGET, 'lower'),
          metric('peak', 'peak RSS', 'MiB', samples.map((s) => s.peak), n === 32 ? TOTAL_TARGET : null, 'lower'),
        ],
        info: { batches_read: median(samples.map((s) => s.batches)) },
      });
    }
    return { cases: results, notes, rounds };
  },
};
