/**
 * A damaged NetCDF-4 file gives a typed DecodeError and nothing on stderr: libhdf5's own error
 * stack (printed to fd 2 by default, dozens of lines per failed call) is silenced. Run in a child
 * process, because libhdf5 writes to the process's file descriptor 2, which no in-process
 * capture of process.stderr sees.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { repoRoot } from '../../support/corpus.js';

const dir = mkdtempSync(join(tmpdir(), 'wekeo-hdf5-quiet-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('reports a damaged NetCDF-4 file as a typed error without printing libhdf5 traces', () => {
  // The same 40 bytes flipped (fixed seed) that made h5wasm print 35 lines of HDF5-DIAG before the fix.
  const bytes = readFileSync(join(repoRoot, 'samples/ncep-air/air.nc'));
  let seed = 5;
  for (let i = 0; i < 40; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const at = 600 + (seed % (bytes.length - 600));
    bytes[at] = bytes[at]! ^ 0xff;
  }
  const bad = join(dir, 'damaged.nc');
  writeFileSync(bad, bytes);
  const script = `
    const { netcdfDecoder } = await import(${JSON.stringify(join(repoRoot, 'src/decoders/netcdf/index.ts'))});
    try { await netcdfDecoder.describe(${JSON.stringify(bad)}); console.log('described'); }
    catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code })); }`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
  expect(r.stderr).not.toMatch(/HDF5-DIAG|H5[A-Z]\w*\.c line/);
  expect(r.stderr).toBe('');
  const out = r.stdout.trim();
  // Either outcome is acceptable for a damaged file, but an error must be typed.
  if (out !== 'described') expect(JSON.parse(out)).toMatchObject({ name: 'DecodeError' });
});
