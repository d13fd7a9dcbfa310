/**
 * export: `wekeo export` throughput, MB/s of Arrow rows turned into hive-partitioned Parquet (zstd,
 * by month) on the uncompressed NetCDF-3 file of the decode suite, decoded in the same process.
 * One side only: the figure is the export's own speed (decode + Parquet encode + disk).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { linkCatalog } from '../lib/catalog.js';
import { runInterleaved, type CaseSpec } from '../lib/harness.js';
import { DATA, nodeWorker } from '../lib/paths.js';
import type { Reply } from '../lib/proc.js';
import { unavailable, type CaseResult } from '../lib/results.js';
import { noMatch, selected, type Suite, type SuiteOptions } from '../lib/suite.js';
import { decodeInputs } from './decode.js';

const DATASET = 'nc3';
const mbps = (r: Reply | undefined): number => (r ? Number(r.bytes) / 1e6 / r.seconds : NaN);

export const exportSuite: Suite = {
  name: 'export',
  title: 'Parquet export MB/s',
  description: [
    'The rows of the decode suite\'s uncompressed NetCDF-3 file exported by `wekeo export`\'s code (src/export) in one',
    'Node process: planned, decoded by the decode pool, and written as hive-partitioned Parquet (zstd, time_bucket by',
    'month) into a fresh folder per pass, `_SUCCESS` included. MB/s = Arrow bytes exported per second (what a Flight',
    'read of the same query would transfer).',
  ].join(' '),
  async run(opts: SuiteOptions) {
    if (!selected(opts, 'netcdf3')) return noMatch(['netcdf3']);
    const manifest = decodeInputs(['netcdf3'], opts.log);
    const f = manifest.files[0];
    if (!f) return { cases: [unavailable('netcdf3', 'export', 'input file could not be generated here')], notes: [] };
    const catalog = linkCatalog('export', { [DATASET]: [f.path] });
    const outRoot = join(DATA, 'export', 'out');
    mkdirSync(outRoot, { recursive: true });
    const [cmd, args] = nodeWorker('workers/export.ts', catalog, DATASET, outRoot);
    const spec: CaseSpec = {
      id: 'netcdf3',
      label: 'NetCDF-3 classic → Parquet (zstd, by month)',
      sides: [{ key: 'ours', label: 'wekeo export', cmd, args }],
      ratios: [],
      metrics: [{ name: 'mbps', label: 'export MB/s (Arrow bytes)', unit: 'MB/s', target: null, better: 'higher', perRound: (p) => mbps(p.ours) }],
      passTimeoutMs: 600_000,
    };
    const r: CaseResult = await runInterleaved(spec, opts.rounds, opts.log, opts.versions);
    for (const m of r.metrics) if (Number.isFinite(m.value)) opts.log(`export: ${m.label} ${m.value.toFixed(1)}`);
    return { cases: [r], notes: [`dataset: ${f.note}`] };
  },
};
