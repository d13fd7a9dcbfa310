/**
 * Writes a suite's results: `<suite>.json` (everything), `<suite>.md` (the table) and
 * `<suite>.png` (bar chart through matplotlib in the venv), and regenerates
 * `benchmarks/README.md` from whatever results files exist.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH, PY_DIR, RESULTS, VENV_PYTHON } from './paths.js';
import type { CaseResult, Metric, SideStats, SuiteResult } from './results.js';

function num(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(2);
}

/** Notes may carry a worker's stderr: one line, no table pipes, bounded. */
function oneLine(s: string, max = 300): string {
  const t = s.replace(/\s*\n\s*/g, ' ⏎ ').replace(/\|/g, '\\|');
  return t.length > max ? `${t.slice(0, max)}…` : t;
}

function sideCell(s: SideStats | null | undefined): string {
  if (!s) return '–';
  return `${num(s.median)} (${num(s.min)}–${num(s.max)})`;
}

function metricCell(m: Metric): string {
  if (!Number.isFinite(m.value)) return 'n/a';
  const u = m.unit === 'x' ? 'x' : ` ${m.unit}`;
  return m.samples.length > 1 ? `**${num(m.value)}${u}** (${num(m.min)}–${num(m.max)})` : `**${num(m.value)}${u}**`;
}

function targetCell(m: Metric): string {
  if (m.target === null) return '–';
  const t = `${m.better === 'higher' ? '≥' : '≤'} ${num(m.target)}${m.unit === 'x' ? 'x' : ` ${m.unit}`}`;
  return m.met === null ? t : `${t} ${m.met ? '✅' : '❌'}`;
}

/** Side columns and metric columns in first-seen order over all cases. */
function columns(r: SuiteResult): { sides: Array<[string, string]>; metrics: Array<[string, string]> } {
  const sides = new Map<string, Set<string>>();
  const units = new Map<string, string>();
  const metrics = new Map<string, string>();
  for (const c of r.cases) {
    for (const [k, s] of Object.entries(c.sides)) {
      if (!s) continue;
      if (!sides.has(k)) sides.set(k, new Set());
      sides.get(k)!.add(s.label);
      units.set(k, s.unit);
    }
    for (const m of c.metrics) if (!metrics.has(m.name)) metrics.set(m.name, m.label);
  }
  // A side whose tool differs by case (ecCodes, netCDF-C, GDAL) is headed by its role.
  const head = (k: string, labels: Set<string>): string => `${labels.size === 1 ? [...labels][0] : k === 'ref' ? 'reference' : k} (${units.get(k)})`;
  return { sides: [...sides].map(([k, l]) => [k, head(k, l)] as [string, string]), metrics: [...metrics] };
}

export function machineLine(r: SuiteResult): string {
  const m = r.machine;
  return `${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB RAM, ${m.os}; load average at start ${m.loadAverage.join(' / ')}`;
}

export function suiteTable(r: SuiteResult): string {
  const { sides, metrics } = columns(r);
  const head = ['case', ...sides.map(([, l]) => `${l}<br>median (min–max)`), ...metrics.flatMap(([, l]) => [l, 'target'])];
  const rows = r.cases.map((c: CaseResult) => {
    const byName = new Map(c.metrics.map((m) => [m.name, m]));
    const cells = [
      c.status === 'ok' ? c.label : `${c.label} (${c.status})`,
      ...sides.map(([k]) => sideCell(c.sides[k])),
      ...metrics.flatMap(([k]) => {
        const m = byName.get(k);
        return m ? [metricCell(m), targetCell(m)] : ['–', '–'];
      }),
    ];
    return `| ${cells.join(' | ')} |`;
  });
  const notes = r.cases.filter((c) => c.note).map((c) => `- ${c.label}: ${oneLine(c.note!)}`);
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows, ...(notes.length ? ['', ...notes] : [])].join('\n');
}

export function versionsLine(r: SuiteResult): string {
  return Object.entries(r.versions)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

function suiteMarkdown(r: SuiteResult): string {
  return [
    `# ${r.suite}: ${r.title}`,
    '',
    r.description,
    '',
    `Measured ${r.date} in ${Math.round(r.durationSeconds)} s on ${machineLine(r)}.`,
    `${r.rounds} interleaved round(s) after a warm-up. Versions: ${versionsLine(r)}.`,
    '',
    suiteTable(r),
    ...(r.notes.length ? ['', ...r.notes.map((n) => `- ${oneLine(n)}`)] : []),
    '',
    `![${r.suite}](${r.suite}.png)`,
    '',
  ].join('\n');
}

/**
 * A run of some cases only (`npm run bench -- decode grib1`) keeps the other cases of the last
 * results file instead of dropping them: they stay as measured then, and a note says when and on
 * which revision, so every row of the table remains a measurement and none is mistaken for new.
 */
export function mergeWithPrevious(r: SuiteResult): SuiteResult {
  const json = join(RESULTS, `${r.suite}.json`);
  if (!existsSync(json)) return r;
  let old: SuiteResult;
  try {
    old = JSON.parse(readFileSync(json, 'utf8')) as SuiteResult;
  } catch {
    return r;
  }
  const fresh = new Map(r.cases.map((c) => [c.id, c]));
  const then = `${old.date}, wekeo-bridge ${old.versions['wekeo-bridge'] ?? 'unknown revision'}`;
  const kept = old.cases.filter((c) => !fresh.has(c.id)).map((c) => ({ ...c, measured: c.measured ?? then }));
  if (!kept.length) return r;
  const when = new Map<string, string[]>();
  for (const c of kept) when.set(c.measured, [...(when.get(c.measured) ?? []), c.id]);
  const ids = [...old.cases.map((c) => c.id), ...r.cases.map((c) => c.id).filter((id) => !old.cases.some((c) => c.id === id))];
  return {
    ...r,
    cases: ids.map((id) => fresh.get(id) ?? kept.find((c) => c.id === id)!),
    notes: [
      ...r.notes.filter((n) => !n.startsWith('only cases matching')),
      `this run measured ${r.cases.map((c) => c.id).join(', ')}; the other rows are kept from earlier runs`,
      ...[...when].map(([m, list]) => `measured ${m}: ${list.join(', ')}`),
    ],
  };
}

export function writeSuite(r: SuiteResult, log: (s: string) => void): void {
  mkdirSync(RESULTS, { recursive: true });
  const json = join(RESULTS, `${r.suite}.json`);
  writeFileSync(json, JSON.stringify(r, null, 2) + '\n');
  writeFileSync(join(RESULTS, `${r.suite}.md`), suiteMarkdown(r));
  try {
    execFileSync(VENV_PYTHON, [join(PY_DIR, 'chart.py'), json, join(RESULTS, `${r.suite}.png`)], { stdio: ['ignore', 'inherit', 'pipe'] });
  } catch (e) {
    log(`chart for ${r.suite} not drawn: ${(e as { stderr?: Buffer }).stderr?.toString().slice(-400) ?? String(e)}`);
  }
  log(`wrote benchmarks/results/${r.suite}.{json,md,png}`);
}

export interface SuiteInfo {
  name: string;
  title: string;
  description: string;
}

/** benchmarks/README.md: how to reproduce, then the latest table and chart of every suite. */
export function writeReadme(suites: SuiteInfo[]): void {
  const parts = [
    '# Benchmarks',
    '',
    '<!-- Generated by `npm run bench` (benchmarks/lib/report.ts) from benchmarks/results/*.json and benchmarks/analysis.md: edit those sources, not this file. -->',
    '',
    'Side-by-side measurements of wekeo-bridge against the tools a user would otherwise call (ecCodes,',
    'netCDF-C, GDAL, xarray/cfgrib, pyarrow\'s C++ Flight server, Spark), on the same files in the same run.',
    'Every number is a ratio or a resource measure taken in one run: each side runs as its own',
    'long-lived process, gets one warm-up pass, then passes alternate (ours, reference, ours, reference, …)',
    'so the load of the machine falls on both alike. Ratios are **speed ours / speed reference**',
    '(= t_reference / t_ours, > 1 means the bridge is faster), taken per round; tables show the median',
    'and min–max over rounds. Targets are those of issue #8.',
    '',
    '## Reproduce',
    '',
    '```bash',
    'npm run bench                       # every suite (installs npm packages and the .venv-bench venv first)',
    'npm run bench -- decode             # one suite',
    'npm run bench -- decode grib2-simple   # one case (substring of the case id)',
    'npm run bench -- decode --rounds 9  # more rounds (default 5)',
    'npm run bench -- scaling --max-gb 2 # smaller inputs',
    '```',
    '',
    'Inputs are generated by the reference tools themselves (ecCodes, netCDF4-python, rasterio/GDAL) into',
    '`benchmarks/data/` (git-ignored) and regenerated only when missing or when their generator changed.',
    'Results go to `benchmarks/results/<suite>.{json,md,png}`; this page is rebuilt from them after every run.',
    'The numbers below come from a shared 2-core development machine and are noisy; compare ratios, not times.',
    '',
    'Needs Node ≥ 20, Python ≥ 3.10 (for the venv), Java 17 for the spark suite (the shim jar is built with',
    'Maven when `jvm-shim/target` has none), and about 20 GB of free disk for the scaling inputs (sizes that do',
    'not fit are skipped with a note). Servers run on loopback on free ports and every process a suite starts',
    'is stopped when it ends, fails or is interrupted. The suites measure the work tree as it is (TypeScript',
    'run through tsx, no build); the bridge revision is recorded with each result (`+ N uncommitted file(s)` when',
    '`src/` has changes; a run from an exported tree without `.git` names it with `WEKEO_BENCH_REVISION`).',
    '',
    'Layout: `lib/` harness (interleaving, statistics, reports, bridge and process control), `suites/` one file',
    'per suite, `workers/` our timed sides (Node), `py/` reference sides, input generators and the chart.',
    'Single-purpose scripts from earlier issues: `ccsds.ts` (CCSDS decoder vs libaec `aec`),',
    '`tiff-deflate.ts` (node:zlib vs geotiff.js inflate), `hda-parallel.ts` (parallel HDA downloads from a local test broker), each',
    'run with `npx tsx benchmarks/<file>`.',
    '',
  ];
  for (const s of suites) {
    const json = join(RESULTS, `${s.name}.json`);
    parts.push(`## ${s.name}: ${s.title}`, '', s.description, '');
    if (!existsSync(json)) {
      parts.push(`Not run yet: \`npm run bench -- ${s.name}\`.`, '');
      continue;
    }
    const r = JSON.parse(readFileSync(json, 'utf8')) as SuiteResult;
    parts.push(`Measured ${r.date} on ${machineLine(r)}; ${r.rounds} round(s). Versions: ${versionsLine(r)}.`, '');
    parts.push(suiteTable(r), '');
    if (r.notes.length) parts.push(...r.notes.map((n) => `- ${oneLine(n)}`), '');
    if (existsSync(join(RESULTS, `${s.name}.png`))) parts.push(`![${s.name}](results/${s.name}.png)`, '');
  }
  // The hand-written analysis of targets not met (profiles, limits, what it would take) follows the tables.
  const analysis = join(BENCH, 'analysis.md');
  if (existsSync(analysis)) parts.push(readFileSync(analysis, 'utf8').trimEnd(), '');
  writeFileSync(join(BENCH, 'README.md'), parts.join('\n'));
}
