/**
 * `wekeo export` as a user runs it (the built CLI in a child process) on a generated NetCDF grid of
 * 10.4 M rows (about 330 MB of Arrow): a kill -9 in the middle leaves no Parquet file under a
 * final name and no _SUCCESS; Ctrl+C (SIGINT) stops with code 130 and removes its temporary
 * files; the next export into the same folder succeeds while its RSS, sampled every 50 ms,
 * stays under a bound far below the data's size; a non-empty folder is refused.
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
/** Peak RSS allowed for the export of ~330 MB of Arrow (Node, the decoder, parquet-wasm's heap). */
const RSS_BOUND = 450 * 1024 ** 2;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'wekeo-export-'));
  mkdirSync(join(tmp, 'catalog', 'grid'), { recursive: true });
  ({ rows, arrowBytes } = writeBigNetcdf(join(tmp, 'catalog', 'grid', 'grid.nc'), 40));
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

it('exports into the folder of the killed run (its leftovers removed) with bounded memory', async () => {
  const out = join(tmp, 'out');
  const run = startExport(out, '--partition-by', 'day');
  let peak = 0;
  const sampler = setInterval(() => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${run.child.pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]) * 1024);
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
  // 40 steps 6 hours apart: 10 days.
  expect(files.filter((f) => f.endsWith('.parquet'))).toEqual(Array.from({ length: 10 }, (_, d) => `time_bucket=2024-01-${String(d + 1).padStart(2, '0')}/part-00000.parquet`));
  const summary = JSON.parse(readFileSync(join(out, '_SUCCESS'), 'utf8')) as { rows: number };
  expect(summary.rows).toBe(rows);
  process.stderr.write(`export of ${rows} rows (${(arrowBytes / 2 ** 20).toFixed(0)} MiB Arrow): peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB\n`);
  expect(peak).toBeGreaterThan(0);
  expect(peak).toBeLessThan(RSS_BOUND);
  expect(peak).toBeLessThan(arrowBytes); // not holding the dataset
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
