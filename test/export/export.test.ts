/**
 * `wekeo export` as a user runs it (the built CLI in a child process) on a generated NetCDF grid of
 * 32.2 M rows (1 GB of Arrow; WEKEO_EXPORT_STEPS=40 for a quicker 10.4 M-row / 330 MB run): a
 * kill -9 in the middle leaves no Parquet file under a final name and no _SUCCESS; Ctrl+C
 * (SIGINT) stops with code 130 and removes its temporary files; the next export into the same
 * folder succeeds within the export's memory bound (README, Parquet export: peak RSS under
 * EXPORT_RSS_BOUND whatever the size) and without growing as it goes; a non-empty folder is refused.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { repoRoot } from '../support/corpus.js';
import { writeBigNetcdf } from './big-netcdf.js';

let tmp: string;
let rows: number;
let arrowBytes: number;
/** Time steps (6 h apart) of the generated grid: 124 = 31 days, 32.2 M rows, 1 GB of Arrow. */
const STEPS = Number(process.env.WEKEO_EXPORT_STEPS ?? 124);
/**
 * The export's memory bound (README, Parquet export): Node and the decode worker (~250 MiB here),
 * at most `queueDepth` (1) decoded batch of 2 MiB, one waiting batch and one row group (256 Ki rows)
 * in parquet-wasm per open file, whatever the size of the export.
 */
const EXPORT_RSS_BOUND = 450 * 1024 ** 2;
/** What RSS may still rise in the second half of the export over the first: far less than the data read meanwhile. */
const GROWTH_BOUND = 64 * 1024 ** 2;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'wekeo-export-'));
  mkdirSync(join(tmp, 'catalog', 'grid'), { recursive: true });
  ({ rows, arrowBytes } = writeBigNetcdf(join(tmp, 'catalog', 'grid', 'grid.nc'), STEPS));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function startExport(out: string, ...extra: string[]) {
  // The built CLI, as users run it (under tsx the loader alone adds several hundred MB of RSS).
  const cli = join(repoRoot, 'dist', 'cli', 'main.js');
  if (!existsSync(cli)) throw new Error('dist/ is missing: build with `npx tsc -p tsconfig.json` (./dev test does it)');
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'wekeo.js'), 'export', '--catalog', join(tmp, 'catalog'), '--dataset', 'grid', '--out', out, '--workers', '1', ...extra], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += String(d)));
  const exit = new Promise<number | null>((r) => child.once('exit', (code, signal) => r(signal ? null : code)));
  return { child, exit, stderr: () => stderr };
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)));
}

/** Waits until the export has written Parquet bytes into its temporary folder. */
async function untilWriting(out: string): Promise<void> {
  // Generous: planning and the first batches take long on a loaded machine.
  for (let i = 0; i < 3000; i++) {
    if (filesUnder(out).some((f) => f.startsWith('.wekeo-export-') && f.endsWith('.parquet'))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('export never started writing');
}

it('leaves no file under a final name when killed with -9, or interrupted with Ctrl+C', async () => {
  const out = join(tmp, 'out');
  const killed = startExport(out);
  try {
    await untilWriting(out);
  } finally {
    killed.child.kill('SIGKILL');
  }
  await killed.exit;
  const left = filesUnder(out);
  expect(left.length).toBeGreaterThan(0); // the temporary part file
  expect(left.every((f) => f.startsWith('.wekeo-export-'))).toBe(true);
  expect(existsSync(join(out, '_SUCCESS'))).toBe(false);

  const out2 = join(tmp, 'out-int');
  const interrupted = startExport(out2);
  try {
    await untilWriting(out2);
  } finally {
    interrupted.child.kill('SIGINT');
  }
  expect(await interrupted.exit).toBe(130);
  expect(interrupted.stderr()).toMatch(/interrupted; no file was left under a final name/);
  expect(filesUnder(out2)).toEqual([]);
}, 700_000);

it('exports into the folder of the killed run (its leftovers removed) within its memory bound', async () => {
  const out = join(tmp, 'out');
  const run = startExport(out, '--partition-by', 'day');
  // VmHWM is the kernel's own peak (monotone: the last read before exit misses at most 50 ms);
  // VmRSS over time shows whether memory grows with what was exported.
  let peak = 0;
  const samples: Array<{ t: number; rss: number }> = [];
  const sampler = setInterval(() => {
    try {
      const status = readFileSync(`/proc/${run.child.pid}/status`, 'utf8');
      const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
      const rss = /VmRSS:\s+(\d+) kB/.exec(status);
      if (hwm) peak = Math.max(peak, Number(hwm[1]) * 1024);
      if (rss) samples.push({ t: performance.now(), rss: Number(rss[1]) * 1024 });
    } catch {
      /* exited */
    }
  }, 50);
  const code = await run.exit;
  clearInterval(sampler);
  expect(code, run.stderr()).toBe(0);
  const files = filesUnder(out).sort();
  expect(files.filter((f) => f.startsWith('.'))).toEqual([]);
  expect(files).toContain('_SUCCESS');
  // Steps 6 hours apart from 2024-01-01; above 20 M rows the grid also gets 30° latitude bands
  // (latitudes 90 .. -90: bands 90, 60, ..., -90), each written as one part per day.
  const days = Math.ceil(STEPS / 4);
  const bands = rows > 20_000_000 ? [-90, -60, -30, 0, 30, 60, 90] : null;
  const expected = Array.from({ length: days }, (_, d) => `time_bucket=2024-01-${String(d + 1).padStart(2, '0')}`).flatMap((dir) =>
    bands ? bands.map((b) => `${dir}/lat_band=${b}/part-00000.parquet`) : [`${dir}/part-00000.parquet`],
  );
  expect(files.filter((f) => f.endsWith('.parquet'))).toEqual(expected.sort());
  const summary = JSON.parse(readFileSync(join(out, '_SUCCESS'), 'utf8')) as { rows: number };
  expect(summary.rows).toBe(rows);

  const mid = (samples[0]!.t + samples[samples.length - 1]!.t) / 2;
  const maxOf = (xs: Array<{ rss: number }>) => Math.max(...xs.map((s) => s.rss));
  const early = maxOf(samples.filter((s) => s.t <= mid));
  const late = maxOf(samples.filter((s) => s.t > mid));
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;
  process.stderr.write(`export of ${rows} rows (${mib(arrowBytes)} Arrow): peak RSS ${mib(peak)}, max RSS ${mib(early)} in the first half, ${mib(late)} in the second (${samples.length} samples)\n`);
  expect(samples.length).toBeGreaterThan(20);
  expect(peak).toBeGreaterThan(0);
  expect(peak).toBeLessThan(EXPORT_RSS_BOUND);
  expect(peak).toBeLessThan(arrowBytes); // not holding the dataset
  // Half of the data passes in the second half: holding any fixed share of it would show here.
  expect(late - early).toBeLessThan(GROWTH_BOUND);
}, 600_000);

it('refuses a folder that is not empty, naming what is there', async () => {
  const out = join(tmp, 'full');
  mkdirSync(out);
  writeFileSync(join(out, 'keep.txt'), 'x');
  const r = startExport(out);
  expect(await r.exit).toBe(1);
  expect(r.stderr()).toMatch(/--out .* is not empty \(keep.txt\): choose a new folder or remove it first/);
  expect(readdirSync(out)).toEqual(['keep.txt']);
}, 120_000);
