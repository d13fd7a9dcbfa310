/**
 * transport: DoGet throughput of the bridge against pyarrow's C++ Flight server serving the same
 * table from memory in the same endpoints, on 1 and 4 concurrent streams, and the bridge's
 * CPU-seconds per GB served. The dataset is an uncompressed NetCDF-3 file, so decoding costs
 * little and the transport dominates. The `cache-hit` case compares DoGet served from each tier
 * of the decoded-data cache (memory, disk) with DoGet that decodes every time.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cpuSeconds, serveHasOption, startBridge, type Bridge } from '../lib/bridge.js';
import { linkCatalog } from '../lib/catalog.js';
import { runInterleaved, type CaseSpec } from '../lib/harness.js';
import { DATA, py } from '../lib/paths.js';
import { startServer, type Reply, type Server } from '../lib/proc.js';
import { metric, unavailable, type CaseResult } from '../lib/results.js';
import { noMatch, selected, type Suite, type SuiteOptions } from '../lib/suite.js';
import { decodeInputs } from './decode.js';

const DATASET = 'nc3';
const STREAMS = [1, 4];

const mbps = (r: Reply | undefined): number => (r ? Number(r.bytes) / 1e6 / r.seconds : NaN);
const cpuPerGb = (r: Reply | undefined): number => (r && typeof r.probe === 'number' ? r.probe / (Number(r.bytes) / 1e9) : NaN);

export const transportSuite: Suite = {
  name: 'transport',
  title: 'DoGet MB/s vs pyarrow C++ Flight server',
  description: [
    'The same dataset (an uncompressed NetCDF-3 file, 8.3 M rows; read once before timing) served by the bridge',
    'and by a `pyarrow.flight.FlightServerBase` holding the bridge\'s own output in memory, split into the same',
    'endpoints. One pyarrow client per side drains every endpoint (batches counted, not kept), on 1 stream and on 4',
    'concurrent streams. Ratio = bridge MB/s / pyarrow MB/s (Arrow buffer bytes received). CPU-s/GB: user+system',
    'time of the bridge process (all threads, from /proc/PID/stat) per 10⁹ bytes served. `4 vs 1` compares the',
    "bridge's own throughput on 4 streams and on 1.",
    '`cache-hit`: one stream of the same dataset from three bridges, one serving it from its memory cache',
    '(`--cache-mem 1GiB`), one from its disk cache only (`--cache-mem 0 --cache-dir`, filled by one read before timing)',
    'and one decoding on every read (`--cache-mem 0`); ratios are hit MB/s / decode MB/s.',
  ].join(' '),
  async run(opts: SuiteOptions) {
    const results: CaseResult[] = [];
    const notes: string[] = [];
    const want = STREAMS.filter((n) => selected(opts, `${n}-stream${n > 1 ? 's' : ''}`));
    const wantCache = selected(opts, 'cache-hit');
    if (!want.length && !wantCache) return noMatch(['1-stream', '4-streams', 'cache-hit']);
    const manifest = decodeInputs(['netcdf3'], opts.log);
    const f = manifest.files[0];
    if (!f) return { cases: [unavailable('transport', 'transport', 'input file could not be generated here')], notes };
    let bridge: Bridge | undefined;
    let ref: Server | undefined;
    try {
      // Already-decoded data: a decoded-partition cache large enough for the whole dataset, filled by the first read.
      bridge = await startBridge(linkCatalog('transport', { [DATASET]: [f.path] }), { cacheMem: '1GiB', log: opts.log });
      if (serveHasOption('cache-mem')) notes.push('bridge started with --cache-mem 1GiB: after the first read, DoGet serves decoded partitions from memory');
      const dir = join(DATA, 'transport');
      mkdirSync(dir, { recursive: true });
      const table = join(dir, `${DATASET}.arrow`);
      const [dc, da] = py('flight_dump.py', bridge.uri, DATASET, table);
      const dump = JSON.parse(execFileSync(dc, da, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })) as Record<string, number>;
      opts.log(`read once through the bridge: ${dump.rows} rows, ${(dump.bytes! / 1e6).toFixed(0)} MB in ${dump.endpoints} endpoints, ${dump.seconds!.toFixed(1)} s`);
      notes.push(`dataset: ${f.note}; served as ${dump.rows} rows, ${(dump.bytes! / 1e6).toFixed(0)} MB of Arrow buffers in ${dump.endpoints} endpoints`);
      if (want.length) {
        const [sc, sa] = py('ref_flight_server.py', table);
        ref = await startServer('pyarrow Flight server', sc, sa, /^listening on (grpc:\/\/\S+)/);
        opts.log(`pyarrow Flight server up on ${ref.address} (pid ${ref.child.pid})`);
      }
      const pid = bridge.pid;
      const byStreams = new Map<number, CaseResult>();
      for (const n of want) {
        const ours = py('flight_read.py', bridge.uri, DATASET, 'stream', String(n));
        const theirs = py('flight_read.py', ref!.address, DATASET, 'stream', String(n));
        const spec: CaseSpec = {
          id: `${n}-stream${n > 1 ? 's' : ''}`,
          label: `${n} stream${n > 1 ? 's' : ''}`,
          sides: [
            { key: 'ours', label: 'bridge', cmd: ours[0], args: ours[1], probe: () => cpuSeconds(pid) },
            { key: 'ref', label: 'pyarrow server', cmd: theirs[0], args: theirs[1], reference: true },
          ],
          ratios: [{ name: 'ratio', label: 'bridge/pyarrow MB/s', side: 'ours', reference: 'ref', target: n === 1 ? 0.5 : null, work: 'bytes' }],
          metrics: [
            { name: 'mbps', label: 'bridge MB/s', unit: 'MB/s', target: null, better: 'higher', perRound: (p) => mbps(p.ours) },
            { name: 'ref_mbps', label: 'pyarrow MB/s', unit: 'MB/s', target: null, better: 'higher', perRound: (p) => mbps(p.ref) },
            { name: 'cpu', label: 'bridge CPU-s/GB', unit: 'CPU-s/GB', target: 1, better: 'lower', perRound: (p) => cpuPerGb(p.ours) },
          ],
        };
        const r = await runInterleaved(spec, opts.rounds, opts.log, opts.versions);
        for (const m of r.metrics) if (Number.isFinite(m.value)) opts.log(`${n} stream(s): ${m.label} ${m.value.toFixed(2)}`);
        byStreams.set(n, r);
        results.push(r);
      }
      if (wantCache) results.push(await cacheHitCase(bridge, f.path, opts));
      const one = byStreams.get(1);
      const four = byStreams.get(4);
      if (one?.sides.ours && four?.sides.ours) {
        const mbps = (c: CaseResult): number[] => {
          const s = c.sides.ours!;
          return s.samples.map((t) => Number(s.facts.bytes) / 1e6 / t);
        };
        const a = mbps(four);
        const b = mbps(one);
        const per = a.map((x, i) => x / b[i]!);
        results.push({
          id: '4-vs-1',
          label: 'bridge 4 streams vs 1',
          status: 'ok',
          sides: {},
          metrics: [metric('speedup', 'bridge MB/s 4 streams / 1 stream', 'x', per, 1.0)],
          note: 'target: 4 streams faster than 1 (> 1.0x)',
        });
      }
    } finally {
      await ref?.stop();
      await bridge?.stop();
    }
    return { cases: results, notes };
  },
};

/**
 * DoGet from the memory tier (the suite's bridge, already read once), from the disk tier alone
 * (a bridge with its memory tier off, filled by one read) and decoding every time.
 */
async function cacheHitCase(memory: Bridge, file: string, opts: SuiteOptions): Promise<CaseResult> {
  if (!serveHasOption('cache-dir')) return unavailable('cache-hit', 'cache hit vs decode', 'this version of the bridge has no --cache-dir');
  const cacheDir = join(DATA, 'transport', 'disk-cache');
  rmSync(cacheDir, { recursive: true, force: true });
  const catalog = linkCatalog('transport', { [DATASET]: [file] });
  let disk: Bridge | undefined;
  let decode: Bridge | undefined;
  try {
    disk = await startBridge(catalog, { cacheMem: '0', cacheDir, log: opts.log });
    decode = await startBridge(catalog, { cacheMem: '0', log: opts.log });
    const side = (key: string, label: string, b: Bridge, reference = false) => {
      const [cmd, args] = py('flight_read.py', b.uri, DATASET, 'stream', '1');
      return { key, label, cmd, args, reference, probe: () => cpuSeconds(b.pid) };
    };
    // Each side's warm-up pass fills the disk tier (and warms the OS page cache for decode).
    return await runInterleaved(
      {
        id: 'cache-hit',
        label: 'cache hit vs decode (1 stream)',
        sides: [side('memory', 'memory hit', memory), side('disk', 'disk hit', disk), side('decode', 'decode every read', decode, true)],
        ratios: [
          { name: 'memory_ratio', label: 'memory hit / decode MB/s', side: 'memory', reference: 'decode', target: null, work: 'bytes' },
          { name: 'disk_ratio', label: 'disk hit / decode MB/s', side: 'disk', reference: 'decode', target: null, work: 'bytes' },
        ],
        metrics: [
          { name: 'memory_mbps', label: 'memory hit MB/s', unit: 'MB/s', target: null, better: 'higher', perRound: (p) => mbps(p.memory) },
          { name: 'disk_mbps', label: 'disk hit MB/s', unit: 'MB/s', target: null, better: 'higher', perRound: (p) => mbps(p.disk) },
          { name: 'decode_mbps', label: 'decode MB/s', unit: 'MB/s', target: null, better: 'higher', perRound: (p) => mbps(p.decode) },
          { name: 'disk_cpu', label: 'disk hit CPU-s/GB', unit: 'CPU-s/GB', target: null, better: 'lower', perRound: (p) => cpuPerGb(p.disk) },
        ],
      },
      opts.rounds,
      opts.log,
      opts.versions,
    );
  } finally {
    await disk?.stop();
    await decode?.stop();
  }
}
