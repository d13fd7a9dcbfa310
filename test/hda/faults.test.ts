/**
 * HDA fault cases found from outside, each against the local test broker or a real killed
 * process: token requests answered 502/503/504 or reset are retried with the usual backoff; a
 * download lock left by a kill -9 is taken over at once, and a live one is waited for with a
 * message naming it; negative bbox values on the command line; credential sources named in
 * errors and empty variables refused; progress labelled by file name; the counters move.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hdaCommand } from '../../src/cli/hda.js';
import { DownloadCache } from '../../src/hda/cache.js';
import { HdaClient, type Product } from '../../src/hda/client.js';
import { HdaConfigError, loadConfig, tryLoadConfig } from '../../src/hda/config.js';
import { downloadProducts } from '../../src/hda/downloader.js';
import { HdaAuthError, HdaUnavailableError } from '../../src/hda/errors.js';
import { hdaStats } from '../../src/hda/stats.js';

const snapshot = () => ({ requests: Object.fromEntries(hdaStats.requests), retries: hdaStats.retries, bytesDownloaded: hdaStats.bytesDownloaded });
import { repoRoot } from '../support/corpus.js';
import { CMEMS, S3, testDatasets } from './fixtures.js';
import { PASSWORD, startFakeHda, USER, type FakeHda } from './server.js';

const FAST = { attempts: 4, baseDelayMs: 5, maxDelayMs: 20, maxQuotaWaitMs: 1000, timeoutMs: 5000 };
const POLL = { firstDelayMs: 5, maxDelayMs: 20, deadlineMs: 5000 };
let hda: FakeHda;
let tmp: string;

const client = (password = PASSWORD, source = 'test') =>
  new HdaClient({ url: hda.url, user: USER, password, source }, { retry: FAST, poll: POLL, acceptTerms: true, pageSize: 10 });

beforeAll(async () => {
  hda = await startFakeHda(testDatasets(), { pollsBefore200: 1 });
  tmp = mkdtempSync(join(tmpdir(), 'wekeo-hda-faults-'));
});
afterAll(async () => {
  await hda.close();
  rmSync(tmp, { recursive: true, force: true });
});
afterEach(() => {
  hda.faults.length = 0;
});

describe('token request faults', () => {
  for (const status of [502, 503, 504]) {
    it(`retries a ${status} answered to the login, with backoff, and counts the retries`, async () => {
      hda.faults.push({ route: 'token', kind: 'status', status, times: 2 });
      const before = snapshot();
      const c = client();
      const hits = hda.hits.token ?? 0;
      await expect(c.http.accessToken()).resolves.toMatch(/^[0-9a-f]{32}$/);
      expect(hda.hits.token! - hits).toBe(3);
      const after = snapshot();
      expect(after.retries - before.retries).toBe(2);
      expect((after.requests[String(status)] ?? 0) - (before.requests[String(status)] ?? 0)).toBe(2);
      await c.close();
    });
  }

  it('retries a login whose connection is reset', async () => {
    hda.faults.push({ route: 'token', kind: 'drop', times: 2 });
    const c = client();
    const hits = hda.hits.token ?? 0;
    await expect(c.http.accessToken()).resolves.toMatch(/^[0-9a-f]{32}$/);
    expect(hda.hits.token! - hits).toBe(3);
    await c.close();
  });

  it('gives up after the bounded attempts with an "unavailable" error, not "login failed"', async () => {
    hda.faults.push({ route: 'token', kind: 'status', status: 503, times: 100 });
    const c = client();
    const hits = hda.hits.token ?? 0;
    const err = await c.http.accessToken().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HdaUnavailableError);
    expect((err as Error).message).toMatch(/kept answering HTTP 503 \(4 attempts\).*try again later/);
    expect(hda.hits.token! - hits).toBe(FAST.attempts);
    await c.close();
  });

  it('still fails fast on wrong credentials, naming where they came from', async () => {
    const c = client('wrong', 'HDA_USER/HDA_PASSWORD');
    const hits = hda.hits.token ?? 0;
    const err = await c.http.accessToken().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HdaAuthError);
    expect((err as Error).message).toMatch(/login failed for user "alice" \(credentials from HDA_USER\/HDA_PASSWORD\): Invalid user credentials/);
    expect(hda.hits.token! - hits).toBe(1);
    await c.close();
  });
});

describe('download lock after kill -9', () => {
  const holders: ChildProcess[] = [];
  afterAll(() => holders.forEach((h) => h.kill('SIGKILL')));

  /** A real process holding the lock of `product`, hung inside its download. */
  async function holder(dir: string, product: string): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/hda/lock-holder.ts'), dir, CMEMS, product], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    holders.push(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => String(d).includes('locked') && resolve());
      child.once('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
    });
    return child;
  }

  it('waits for a live holder saying which lock and pid, then takes over at once when it is killed', async () => {
    const dir = join(tmp, 'lock-cache');
    const child = await holder(dir, 'prod-1');
    const lines: string[] = [];
    const cache = new DownloadCache(dir, { log: (l) => lines.push(l) });
    const t0 = Date.now();
    let killedAt = 0;
    const downloaded = cache.ensure(CMEMS, 'prod-1', async (tmpFile) => {
      writeFileSync(tmpFile, 'data');
      return { filename: 'x.nc' };
    });
    await new Promise((r) => setTimeout(r, 600));
    // Still waiting on the live holder, and saying so.
    expect(lines.some((l) => l.includes(`waiting for process ${child.pid} on ${hostname()}`) && l.includes('prod-1') && l.includes('.lock'))).toBe(true);
    child.kill('SIGKILL');
    killedAt = Date.now();
    const got = await downloaded;
    expect(got.entry.filename).toBe('x.nc');
    expect(Date.now() - killedAt).toBeLessThan(3000); // not the 30 minutes of the age rule
    expect(Date.now() - t0).toBeGreaterThan(500);
    expect(lines.some((l) => l.includes('taking over') && l.includes(String(child.pid)))).toBe(true);
  });

  it('takes over at once a lock whose process died before this run started', async () => {
    const dir = join(tmp, 'lock-cache-2');
    const child = await holder(dir, 'prod-2');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const cache = new DownloadCache(dir, { log: null });
    const t0 = Date.now();
    await cache.ensure(CMEMS, 'prod-2', async (f) => (writeFileSync(f, 'x'), { filename: 'a.nc' }));
    expect(Date.now() - t0).toBeLessThan(1500);
  });

  it('keeps a lock from another host until it is old', async () => {
    const dir = join(tmp, 'lock-cache-3');
    const cache = new DownloadCache(dir, { log: null, staleLockMs: 800 });
    const { cacheKey } = await import('../../src/hda/cache.js');
    const lock = join(dir, 'partial', `${cacheKey(CMEMS, 'prod-3')}.lock`);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'partial'), { recursive: true });
    writeFileSync(lock, JSON.stringify({ pid: 1, host: 'some-other-host', since: Date.now(), nonce: 'n' }));
    const t0 = Date.now();
    await cache.ensure(CMEMS, 'prod-3', async (f) => (writeFileSync(f, 'x'), { filename: 'a.nc' }));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(700);
  });
});

describe('command line and credentials', () => {
  const sink = (f: (s: string) => void) => new Writable({ write: (c, _e, cb) => (f(String(c)), cb()) });
  async function run(env: Record<string, string | undefined>, ...args: string[]): Promise<{ code: number; out: string }> {
    const saved = { HDA_USER: process.env.HDA_USER, HDA_PASSWORD: process.env.HDA_PASSWORD, HDA_URL: process.env.HDA_URL };
    Object.assign(process.env, env);
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
    let out = '';
    try {
      const code = await hdaCommand(args, { stdout: sink((s) => (out += s)), stderr: sink(() => undefined) });
      return { code, out };
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }

  it('accepts negative bbox values (--bbox -10,35,20,60)', async () => {
    const r = await run({ HDA_USER: USER, HDA_PASSWORD: PASSWORD, HDA_URL: hda.url }, 'search', S3, '--bbox', '-10,35,20,60', '--json', '--accept-terms', '--rc', join(tmp, 'none'));
    expect(r.code).toBe(0);
    const found = JSON.parse(r.out) as Product[];
    expect(found.length).toBe(23);
    const west = await run({ HDA_USER: USER, HDA_PASSWORD: PASSWORD, HDA_URL: hda.url }, 'search', S3, '--bbox', '-20,35,-9,60', '--json', '--rc', join(tmp, 'none'));
    expect((JSON.parse(west.out) as Product[]).map((p) => p.bbox![0])).toEqual([-10, -9]);
  });

  it('names the environment, not ~/.hdarc, when a login with environment credentials fails', async () => {
    const rc = join(tmp, 'hdarc-ok');
    writeFileSync(rc, `user: ${USER}\npassword: ${PASSWORD}\n`);
    await expect(run({ HDA_USER: USER, HDA_PASSWORD: 'bad', HDA_URL: hda.url }, 'datasets', '--rc', rc)).rejects.toThrow(/credentials from HDA_USER\/HDA_PASSWORD\)/);
    await expect(run({ HDA_USER: undefined, HDA_PASSWORD: 'bad', HDA_URL: hda.url }, 'datasets', '--rc', rc)).rejects.toThrow(new RegExp(`user from ${rc.replace(/[/.]/g, '\\$&')}, password from HDA_PASSWORD`));
    const fromFile = loadConfig({ rcPath: rc, env: {} });
    expect(fromFile.source).toBe(rc);
  });

  it('refuses empty HDA_USER / HDA_PASSWORD naming the variable instead of falling back to the file', () => {
    const rc = join(tmp, 'hdarc-ok');
    expect(() => tryLoadConfig({ rcPath: rc, env: { HDA_USER: '' } })).toThrow(HdaConfigError);
    expect(() => tryLoadConfig({ rcPath: rc, env: { HDA_USER: '' } })).toThrow(/^HDA_USER is set but empty/);
    expect(() => tryLoadConfig({ rcPath: rc, env: { HDA_PASSWORD: '  ' } })).toThrow(/^HDA_PASSWORD is set but empty/);
    expect(tryLoadConfig({ rcPath: rc, env: {} })).toMatchObject({ user: USER });
  });
});

it('labels the progress bar by file name and counts downloaded bytes', async () => {
  const written: string[] = [];
  const progress = { write: (s: string) => (written.push(s), true) } as unknown as NodeJS.WriteStream;
  const c = client();
  const products: Product[] = [];
  for await (const p of c.search(CMEMS, {})) products.push(p);
  const before = snapshot().bytesDownloaded;
  const [got] = await downloadProducts(c, new DownloadCache(join(tmp, 'progress-cache'), { log: null }), products, { progress });
  expect(snapshot().bytesDownloaded - before).toBe(got!.entry.bytes - (await import('node:fs')).statSync(join(got!.dir, 'unzipped/cmems/currents_2024-01.nc')).size);
  const text = written.join('');
  expect(text).toContain('cmems_currents_2024-01.zip');
  expect(text).not.toContain(products[0]!.id);
  await c.close();
});
