/**
 * rows: a whole dataset through the bridge into one pyarrow Table (the README's snippet, and the
 * same with a thread pool over endpoints) against xarray `open_dataset(...).to_dataframe()` on the
 * same file (netCDF4 engine for NetCDF-4, cfgrib for GRIB). Compared in rows per second.
 */
import { serveHasOption, startBridge, type Bridge } from '../lib/bridge.js';
import { linkCatalog } from '../lib/catalog.js';
import { runInterleaved, type CaseSpec } from '../lib/harness.js';
import { py } from '../lib/paths.js';
import { unavailable, type CaseResult } from '../lib/results.js';
import { noMatch, selected, type Suite, type SuiteOptions } from '../lib/suite.js';
import { decodeInputs } from './decode.js';

const TARGET = 1.5;
const PARALLEL_STREAMS = 4;

const CASES = [
  { id: 'netcdf4', input: 'netcdf4-zlib', label: 'NetCDF-4 zlib · xarray (netcdf4)', engine: 'netcdf4' },
  { id: 'grib', input: 'grib2-simple', label: 'GRIB2 simple · xarray (cfgrib)', engine: 'cfgrib' },
] as const;

const RATIOS = [
  { name: 'seq', label: 'Flight sequential / xarray', unit: 'x', target: TARGET, better: 'higher' as const },
  { name: 'par', label: `Flight ${PARALLEL_STREAMS} streams / xarray`, unit: 'x', target: TARGET, better: 'higher' as const },
];

export const rowsSuite: Suite = {
  name: 'rows',
  title: 'full Flight read into pyarrow vs xarray to_dataframe()',
  description: [
    'Rows per second of a whole dataset into memory. Ours: the bridge (`wekeo serve`, started by the suite on',
    'loopback) read with pyarrow.flight exactly as in the README (`get_flight_info`, one `do_get(...).read_all()`',
    `per endpoint, \`concat_tables\`), and the same with a ${PARALLEL_STREAMS}-thread pool over endpoints. Reference: xarray`,
    '`open_dataset(path).to_dataframe()` on the same file (netcdf4 engine; cfgrib for GRIB, no index file kept).',
    'The client and the reference are timed in-process; the bridge serves on the same 2 cores.',
  ].join(' '),
  async run(opts: SuiteOptions) {
    const cases = CASES.filter((c) => selected(opts, c.id));
    if (!cases.length) return noMatch(CASES.map((c) => c.id));
    const manifest = decodeInputs(
      cases.map((c) => c.input),
      opts.log,
    );
    const files = new Map(manifest.files.map((f) => [f.name, f]));
    const datasets: Record<string, string[]> = {};
    for (const c of cases) if (files.has(c.input)) datasets[c.id] = [files.get(c.input)!.path];
    const results: CaseResult[] = [];
    const notes: string[] = [];
    let bridge: Bridge | undefined;
    try {
      // Every pass decodes: a decoded-partition cache would turn the timed passes into cache hits.
      bridge = await startBridge(linkCatalog('rows', datasets), { cacheMem: '0', log: opts.log });
      if (serveHasOption('cache-mem')) notes.push('bridge started with --cache-mem 0: every pass decodes the file');
      for (const c of cases) {
        const f = files.get(c.input);
        if (!f) {
          results.push(unavailable(c.id, c.label, 'input file could not be generated here', RATIOS));
          continue;
        }
        const seq = py('flight_read.py', bridge.uri, c.id, 'table', '1');
        const par = py('flight_read.py', bridge.uri, c.id, 'table', String(PARALLEL_STREAMS));
        const ref = py('ref_rows.py', c.engine, f.path);
        const spec: CaseSpec = {
          id: c.id,
          label: c.label,
          sides: [
            { key: 'seq', label: 'Flight seq.', cmd: seq[0], args: seq[1] },
            { key: 'par', label: `Flight ×${PARALLEL_STREAMS}`, cmd: par[0], args: par[1] },
            { key: 'ref', label: 'xarray', cmd: ref[0], args: ref[1], reference: true },
          ],
          ratios: [
            { name: 'seq', label: RATIOS[0]!.label, side: 'seq', reference: 'ref', target: TARGET, work: 'rows' },
            { name: 'par', label: RATIOS[1]!.label, side: 'par', reference: 'ref', target: TARGET, work: 'rows' },
          ],
          info: { bytes: f.bytes, input: f.note },
        };
        const r = await runInterleaved(spec, opts.rounds, opts.log, opts.versions);
        const rows = r.sides.seq?.facts.rows;
        const refRows = r.sides.ref?.facts.rows;
        if (rows !== undefined && refRows !== undefined && rows !== refRows) {
          r.note = [r.note, `rows differ: Flight ${rows}, xarray ${refRows}`].filter(Boolean).join('; ');
        }
        for (const m of r.metrics) if (Number.isFinite(m.value)) opts.log(`${c.id}: ${m.label} ${m.value.toFixed(2)}x (target ≥ ${TARGET})`);
        results.push(r);
      }
    } finally {
      await bridge?.stop();
    }
    return { cases: results, notes };
  },
};
