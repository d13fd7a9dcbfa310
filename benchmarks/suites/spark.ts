/**
 * spark: end to end in a local Spark (local[2]): `format("wekeo")` through the bridge against the
 * two ways a Spark user would otherwise get the same rows: `binaryFile` + `mapInPandas` decoding
 * with xarray, and `spark.read.parquet` of the rows converted beforehand. A count and a grouped
 * average per pass, each compared separately.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { serveHasOption, startBridge, type Bridge } from '../lib/bridge.js';
import { linkCatalog } from '../lib/catalog.js';
import { runInterleaved, type CaseSpec } from '../lib/harness.js';
import { DATA, ROOT, py } from '../lib/paths.js';
import type { Facts } from '../lib/proc.js';
import { metric, sideStats, unavailable, type CaseResult } from '../lib/results.js';
import { noMatch, selected, type Suite, type SuiteOptions } from '../lib/suite.js';
import { decodeInputs } from './decode.js';

const DATASET = 'nc4';
const VS_BINARY = 5;
const VS_PARQUET = 0.5;

const QUERIES = [
  { id: 'count', label: 'count()', fact: 'count_seconds' },
  { id: 'avg', label: 'groupBy(time).avg(t2m)', fact: 'avg_seconds' },
] as const;

const METRICS = [
  { name: 'vs_binary', label: 'wekeo / binaryFile+xarray', unit: 'x', target: VS_BINARY, better: 'higher' as const },
  { name: 'vs_parquet', label: 'wekeo / parquet', unit: 'x', target: VS_PARQUET, better: 'higher' as const },
];

/** The Spark 4 shim jar (the venv's pyspark is 4.x), built with Maven when it is missing (and Maven is there). */
function shimJar(log: (s: string) => void): string | string[] {
  const dir = join(ROOT, 'jvm-shim', 'target');
  const find = (): string | undefined =>
    existsSync(dir) ? readdirSync(dir).find((f) => /^wekeo-spark_4_2\.13-.*\.jar$/.test(f) && !f.startsWith('original-')) : undefined;
  let jar = find();
  if (!jar) {
    log('building the Spark shim (mvn -q -DskipTests package)');
    try {
      execFileSync('mvn', ['-q', '-f', join(ROOT, 'jvm-shim', 'pom.xml'), '-DskipTests', 'package'], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 900_000 });
    } catch (e) {
      return [`the Spark shim jar is missing and could not be built: ${e instanceof Error ? e.message : String(e)}`];
    }
    jar = find();
    if (!jar) return ['the Spark shim jar is missing after mvn package'];
  }
  return join(dir, jar);
}

export const sparkSuite: Suite = {
  name: 'spark',
  title: 'Spark: format("wekeo") vs binaryFile+xarray and vs Parquet',
  description: [
    'A local Spark session (local[2], pyspark matching the shim\'s Spark version) per side, kept across passes;',
    'each pass runs `count()` and `groupBy("time").avg("t2m")` over the 8.3 M-row NetCDF-4 file of the rows suite.',
    'Ours: `spark.read.format("wekeo")` from the bridge (started by the suite). References: `binaryFile` +',
    '`mapInPandas` opening each file with xarray (`to_dataframe`), and `spark.read.parquet` of the same rows written',
    'beforehand with pyarrow (snappy, one file per endpoint). Ratio = t_reference / t_wekeo per query.',
  ].join(' '),
  async run(opts: SuiteOptions) {
    const notes: string[] = [];
    const queries = QUERIES.filter((q) => selected(opts, q.id));
    if (!queries.length) return noMatch(QUERIES.map((q) => q.id));
    const jar = shimJar(opts.log);
    if (typeof jar !== 'string') return { cases: queries.map((q) => unavailable(q.id, q.label, jar[0]!, METRICS)), notes };
    const [f] = decodeInputs(['netcdf4-zlib'], opts.log).files;
    if (!f) return { cases: queries.map((q) => unavailable(q.id, q.label, 'input file could not be generated here', METRICS)), notes };
    let bridge: Bridge | undefined;
    try {
      // As in the rows suite, every pass decodes (no decoded-partition cache).
      bridge = await startBridge(linkCatalog('spark', { [DATASET]: [f.path] }), { cacheMem: '0', log: opts.log });
      if (serveHasOption('cache-mem')) notes.push('bridge started with --cache-mem 0: every pass decodes the file');
      const parquet = join(DATA, 'spark', `${DATASET}-parquet`);
      const [pc, pa] = py('to_parquet.py', bridge.uri, DATASET, f.path, parquet);
      const made = JSON.parse(execFileSync(pc, pa, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })) as Facts;
      opts.log(made.reused ? `parquet copy reused (${parquet})` : `parquet copy written: ${made.rows} rows in ${made.files} files`);
      const wekeo = py('spark_job.py', 'wekeo', jar, bridge.uri, DATASET);
      const binary = py('spark_job.py', 'binaryfile', f.path);
      const pq = py('spark_job.py', 'parquet', parquet);
      const spec: CaseSpec = {
        id: 'spark',
        label: 'spark',
        sides: [
          { key: 'wekeo', label: 'format("wekeo")', cmd: wekeo[0], args: wekeo[1] },
          { key: 'binary', label: 'binaryFile+xarray', cmd: binary[0], args: binary[1], reference: true },
          { key: 'parquet', label: 'parquet', cmd: pq[0], args: pq[1], reference: true },
        ],
        optional: ['binary', 'parquet'],
        ratios: [],
        passTimeoutMs: 900_000,
      };
      const r = await runInterleaved(spec, opts.rounds, opts.log, opts.versions);
      if (r.status !== 'ok' || !r.passes) return { cases: queries.map((q) => ({ ...unavailable(q.id, q.label, r.note ?? 'failed', METRICS), status: r.status })), notes };
      if (r.note) notes.push(r.note);
      const passes = r.passes;
      const rows = passes.wekeo?.at(-1)?.rows;
      const cases: CaseResult[] = queries.map((q) => {
        const times = (k: string): number[] => (passes[k] ?? []).map((p) => Number(p[q.fact]));
        const side = (k: string, label: string) => (passes[k]?.length ? sideStats(label, 's', times(k)) : null);
        const ours = times('wekeo');
        const ratio = (k: string): number[] => (passes[k]?.length ? times(k).map((t, i) => t / ours[i]!) : [NaN]);
        return {
          id: q.id,
          label: q.label,
          status: 'ok',
          sides: { wekeo: side('wekeo', 'format("wekeo")'), binary: side('binary', 'binaryFile+xarray'), parquet: side('parquet', 'parquet') },
          metrics: [
            metric(METRICS[0]!.name, METRICS[0]!.label, 'x', ratio('binary'), VS_BINARY),
            metric(METRICS[1]!.name, METRICS[1]!.label, 'x', ratio('parquet'), VS_PARQUET),
          ],
          info: { rows: rows ?? null },
        };
      });
      for (const c of cases) for (const m of c.metrics) if (Number.isFinite(m.value)) opts.log(`${c.id}: ${m.label} ${m.value.toFixed(2)}x (target ≥ ${m.target})`);
      const counts = Object.entries(passes).map(([k, p]) => `${k} ${p.at(-1)?.rows}`);
      notes.push(`rows counted per side: ${counts.join(', ')}`);
      return { cases, notes };
    } finally {
      await bridge?.stop();
    }
  },
};
