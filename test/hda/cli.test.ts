/** The `wekeo hda` commands against the local broker, through the CLI entry point. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hdaCommand } from '../../src/cli/hda.js';
import { CMEMS, S3, testDatasets } from './fixtures.js';
import { PASSWORD, startFakeHda, USER, type FakeHda } from './server.js';

let hda: FakeHda;
let tmp: string;
let rc: string;

beforeAll(async () => {
  hda = await startFakeHda(testDatasets(), { pollsBefore200: 1 });
  tmp = mkdtempSync(join(tmpdir(), 'wekeo-hda-cli-'));
  rc = join(tmp, 'hdarc');
  writeFileSync(rc, `url: ${hda.url}\nuser: ${USER}\npassword: ${PASSWORD}\n`);
});
afterAll(async () => {
  await hda.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const sink = (f: (s: string) => void) => new Writable({ write: (c, _e, cb) => (f(String(c)), cb()) });
  const code = await hdaCommand([...args, '--rc', rc], { stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)) });
  return { code, out, err };
}

it('lists datasets as text and JSON', async () => {
  const text = await run('datasets', '--search', 'ocean');
  expect(text.code).toBe(0);
  expect(text.out.trim().split('\n').map((l) => l.split('\t')[0])).toEqual([CMEMS, S3]);
  const json = JSON.parse((await run('datasets', '--json')).out) as Array<{ id: string }>;
  expect(json.length).toBe(3);
});

it('shows queryables and searches with bbox, time and filters', async () => {
  expect((await run('queryables', S3)).out).toMatch(/^sat\tstring\tSentinel-3A, Sentinel-3B$/m);
  const r = await run('search', S3, '--bbox', '0,30,10,50', '--start', '2024-01-02', '--end', '2024-01-02T23:59:59Z', '--filter', 'sat=Sentinel-3A', '--json', '--accept-terms');
  const found = JSON.parse(r.out) as Array<{ id: string; start: string }>;
  expect(found.length).toBeGreaterThan(0);
  expect(found.every((p) => p.start.startsWith('2024-01-02'))).toBe(true);
});

it('downloads into --out through the cache', async () => {
  const out = join(tmp, 'out');
  const r = await run('download', CMEMS, '--out', out, '--cache', join(tmp, 'cache'), '--accept-terms');
  expect(r.code).toBe(0);
  const file = r.out.trim();
  expect(file).toBe(join(out, 'cmems_currents_2024-01.zip'));
  expect(readFileSync(file).subarray(0, 2).toString()).toBe('PK');
});

it('fails with a usable message on unknown filters and missing arguments', async () => {
  await expect(run('search', S3, '--filter', 'nope=1')).rejects.toThrow(/has no filter "nope"/);
  await expect(run('download', S3)).rejects.toThrow(/missing --out DIR/);
  expect((await run('frobnicate')).code).toBe(2);
});
