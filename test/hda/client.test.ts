import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DownloadCache, queryKey } from '../../src/hda/cache.js';
import { HdaClient, type Product } from '../../src/hda/client.js';
import { loadConfig, normalizeUrl, parseRc, tryLoadConfig } from '../../src/hda/config.js';
import { fetchToFile, filenameFrom } from '../../src/hda/download.js';
import { downloadProducts } from '../../src/hda/downloader.js';
import { HdaAuthError, HdaDownloadError, HdaError, HdaQueryError, HdaQuotaError } from '../../src/hda/errors.js';
import { expandDays, mapQuery } from '../../src/hda/filters.js';
import { CMEMS, ERA5, S3, testDatasets } from './fixtures.js';
import { PASSWORD, startFakeHda, USER, type FakeHda } from './server.js';

const FAST = { attempts: 5, baseDelayMs: 5, maxDelayMs: 20, maxQuotaWaitMs: 1000, timeoutMs: 5000 };
const POLL = { firstDelayMs: 5, maxDelayMs: 20, deadlineMs: 5000 };
let hda: FakeHda;
let tmp: string;

function client(extra: Partial<{ acceptTerms: boolean; pageSize: number; password: string }> = {}): HdaClient {
  return new HdaClient({ url: hda.url, user: USER, password: extra.password ?? PASSWORD, source: 'test' }, { retry: FAST, poll: POLL, acceptTerms: extra.acceptTerms ?? true, pageSize: extra.pageSize ?? 10 });
}

async function products(c: HdaClient, id: string, q = {}): Promise<Product[]> {
  const out: Product[] = [];
  for await (const p of c.search(id, q)) out.push(p);
  return out;
}

const sha = (b: Buffer | Uint8Array) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  hda = await startFakeHda(testDatasets());
  tmp = mkdtempSync(join(tmpdir(), 'wekeo-hda-'));
});
afterAll(async () => {
  await hda.close();
  rmSync(tmp, { recursive: true, force: true });
});
afterEach(() => {
  hda.faults.length = 0;
  hda.pollsBefore200 = 2;
});

describe('configuration', () => {
  it('reads ~/.hdarc lines with or without spaces and with colons in the password', () => {
    expect(parseRc('url: http://x/\nuser:bob\npassword: a:b:c\n# comment\n')).toEqual({ url: 'http://x/', user: 'bob', password: 'a:b:c' });
  });

  it('takes options over environment over file, and never puts the password in errors', () => {
    const rc = join(tmp, 'hdarc');
    writeFileSync(rc, 'user: fileuser\npassword: filepass\n');
    expect(tryLoadConfig({ rcPath: rc, env: {} })).toMatchObject({ user: 'fileuser', password: 'filepass', url: 'https://gateway.prod.wekeo2.eu/hda-broker/' });
    expect(tryLoadConfig({ rcPath: rc, env: { HDA_USER: 'envuser', HDA_PASSWORD: 'envpass', HDA_URL: 'http://h/api/v1' } })).toMatchObject({ user: 'envuser', url: 'http://h/' });
    expect(tryLoadConfig({ rcPath: rc, env: { HDA_USER: 'envuser' }, user: 'opt' })).toMatchObject({ user: 'opt', password: 'filepass' });
    expect(tryLoadConfig({ rcPath: join(tmp, 'none'), env: {} })).toBeNull();
    expect(() => loadConfig({ rcPath: join(tmp, 'none'), env: {} })).toThrow(/credentials missing/);
    expect(normalizeUrl('http://a/hda-broker')).toBe('http://a/hda-broker/');
  });
});

describe('authentication', () => {
  it('reports bad credentials clearly without leaking the password', async () => {
    const c = client({ password: 'wrong-secret' });
    const err = await c.http.accessToken().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HdaAuthError);
    expect(String((err as Error).message)).toMatch(/login failed.*Invalid user credentials/);
    expect(String((err as Error).message)).not.toContain('wrong-secret');
    await c.close();
  });

  it('logs in again when the token expires mid-run', async () => {
    const c = client();
    const first = [];
    for await (const d of c.datasets()) first.push(d.id);
    hda.expireAllTokens();
    const before = hda.hits.token ?? 0;
    const again = [];
    for await (const d of c.datasets()) again.push(d.id);
    expect(again).toEqual(first);
    expect(hda.hits.token).toBeGreaterThan(before);
    await c.close();
  });
});

describe('discovery and search', () => {
  it('lists datasets page by page and filters by text', async () => {
    const c = client({ pageSize: 1 });
    const all = [];
    for await (const d of c.datasets()) all.push(d.id);
    expect(all).toEqual([ERA5, CMEMS, S3]);
    const some = [];
    for await (const d of c.datasets('ocean')) some.push(d.title);
    expect(some).toEqual(['Global Ocean Physics Analysis and Forecast', 'OLCI Level 2 Ocean Colour Reduced Resolution']);
    expect((await c.queryables(S3)).properties.dtstart).toMatchObject({ format: 'date-time' });
    await c.close();
  });

  it('follows search paging to the end and stops at a limit', async () => {
    const c = client({ pageSize: 5 });
    expect((await products(c, S3)).length).toBe(23);
    const limited = [];
    for await (const p of c.search(S3, {}, 7)) limited.push(p);
    expect(limited.length).toBe(7);
    const p = (await products(c, S3))[0]!;
    expect(p).toMatchObject({ datasetId: S3, size: 500, start: '2024-01-01T10:00:00.000Z' });
    expect(p.bbox).toEqual([-10, 35, 0, 45]);
    await c.close();
  });

  it('maps generic bbox/start/end onto each dataset\'s own filter names', async () => {
    const c = client();
    const start = new Date('2024-01-02T00:00:00Z');
    const end = new Date('2024-01-03T23:00:00Z');
    expect(await c.searchBody(S3, { bbox: [0, 30, 10, 50], start, end })).toEqual({ dataset_id: S3, bbox: [0, 30, 10, 50], dtstart: '2024-01-02T00:00:00.000Z', dtend: '2024-01-03T23:00:00.000Z' });
    expect(await c.searchBody(CMEMS, { start, end })).toMatchObject({ min_date: '2024-01-02T00:00:00.000Z', max_date: '2024-01-03T23:00:00.000Z' });
    expect(await c.searchBody(ERA5, { start, end, filters: { variable: 'temperature' } })).toEqual({ dataset_id: ERA5, year: ['2024'], month: ['01'], day: ['02', '03'], time: Array.from({ length: 24 }, (_, h) => `${String(h).padStart(2, '0')}:00`), variable: ['temperature'] });
    const s3 = await products(c, S3, { start: new Date('2024-01-02T00:00:00Z'), end: new Date('2024-01-02T23:59:59Z') });
    expect(s3.length).toBeGreaterThan(0);
    expect(s3.every((p) => p.start!.startsWith('2024-01-02'))).toBe(true);
    await c.close();
  });

  it('refuses filters it cannot map instead of searching everything', async () => {
    const c = client();
    await expect(c.searchBody(ERA5, { bbox: [0, 0, 1, 1] })).rejects.toThrow(HdaQueryError);
    await expect(c.searchBody(S3, { filters: { cloudCover: '10' } })).rejects.toThrow(/has no filter "cloudCover"/);
    await expect(c.searchBody(S3, { filters: { sat: 'Sentinel-9' } })).rejects.toThrow(/not among Sentinel-3A, Sentinel-3B/);
    expect(() => mapQuery('X', { properties: { foo: {} } }, { start: new Date() })).toThrow(/cannot map start\/end/);
    expect(() => expandDays('X', new Date('2000-01-01'), new Date('2010-01-01'))).toThrow(/too long/);
    await c.close();
  });

  it('accepts terms only with the user\'s consent', async () => {
    hda.accepted.clear();
    const refuse = client({ acceptTerms: false });
    await expect(products(refuse, CMEMS)).rejects.toThrow(/Terms and conditions not accepted/);
    const accept = client({ acceptTerms: true });
    expect((await products(accept, CMEMS)).length).toBe(1);
    expect(hda.accepted.has('Copernicus_Marine_Service_Product_License')).toBe(true);
    await refuse.close();
    await accept.close();
  });
});

describe('faults and retries', () => {
  it('retries 500/502/503 and slow answers, then succeeds', async () => {
    const c = client();
    hda.faults.push({ route: 'search', kind: 'status', status: 500, times: 1 }, { route: 'search', kind: 'status', status: 502, times: 1 }, { route: 'search', kind: 'status', status: 503, times: 1 }, { route: 'search', kind: 'slow', ms: 50, times: 1 });
    expect((await products(c, CMEMS)).length).toBe(1);
    await c.close();
  });

  it('honours Retry-After on 429, then gives a clear quota error when the quota stays exhausted', async () => {
    const c = client();
    hda.faults.push({ route: 'search', kind: 'status', status: 429, times: 1, headers: { 'retry-after': '0' } });
    expect((await products(c, CMEMS)).length).toBe(1);
    const reset = Math.floor(Date.now() / 1000) + 3600;
    hda.faults.push({ route: 'search', kind: 'status', status: 429, times: 10, headers: { 'x-quota-limit': '100', 'x-quota-remaining': '0', 'x-quota-reset': String(reset) } });
    const err = await products(c, CMEMS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HdaQuotaError);
    expect((err as Error).message).toMatch(/quota reached .*0 requests remaining out of 100; quota resets at/);
    await c.close();
  });

  it('fails fast on other 4xx with the server message', async () => {
    const c = client();
    hda.faults.push({ route: 'search', kind: 'status', status: 422, times: 1, body: JSON.stringify({ detail: [{ loc: ['body', 'variables'], msg: 'Input should be a valid list' }] }) });
    const before = hda.hits.search ?? 0;
    await expect(products(c, CMEMS)).rejects.toThrow(/HTTP 422: body.variables: Input should be a valid list/);
    expect(hda.hits.search).toBe(before + 1);
    await c.close();
  });
});

describe('downloads and cache', () => {
  it('orders, polls through 202s and downloads byte for byte', async () => {
    const c = client();
    hda.pollsBefore200 = 4;
    const [p] = await products(c, S3, {});
    const { path } = await c.order(p!);
    const dest = join(tmp, 'one.bin');
    const r = await fetchToFile(c.http, path, dest);
    expect(sha(readFileSync(dest))).toBe(sha(hda.datasets[2]!.products[0]!.bytes));
    expect(r.filename).toBe('S3A_0.SEN3.zip');
    await c.close();
  });

  it.each([
    ['a reset connection', { route: 'file', kind: 'reset', afterBytes: 200, times: 2 } as const],
    ['a truncated body (wrong Content-Length)', { route: 'file', kind: 'truncate', afterBytes: 300, times: 1 } as const],
  ])('resumes with Range after %s and ends byte-identical', async (_label, fault) => {
    const c = client();
    const [p] = await products(c, S3);
    const { path } = await c.order(p!);
    hda.ranges.length = 0;
    hda.faults.push(fault);
    const dest = join(tmp, `resume-${fault.kind}.bin`);
    const r = await fetchToFile(c.http, path, dest);
    expect(sha(readFileSync(dest))).toBe(sha(p ? hda.datasets[2]!.products[0]!.bytes : Buffer.alloc(0)));
    expect(hda.ranges.some((x) => /^bytes=\d+-$/.test(x))).toBe(true);
    expect(r.bytes).toBe(500);
    await c.close();
  });

  it('restarts from zero when the server ignores Range', async () => {
    const c = client();
    const [p] = await products(c, S3);
    const { path } = await c.order(p!);
    const dest = join(tmp, 'ignore-range.bin');
    writeFileSync(dest, Buffer.from('garbage that must not survive'));
    hda.faults.push({ route: 'file', kind: 'ignoreRange', times: 1 });
    await fetchToFile(c.http, path, dest);
    expect(sha(readFileSync(dest))).toBe(sha(hda.datasets[2]!.products[0]!.bytes));
    await c.close();
  });

  it('never leaves a partial file in the cache, and a later run completes it', async () => {
    const c = client();
    const cache = new DownloadCache(join(tmp, 'cache-partial'));
    const [p] = await products(c, S3);
    hda.faults.push({ route: 'file', kind: 'reset', afterBytes: 10, times: 20 });
    await expect(downloadProducts(c, cache, [p!], { progress: null })).rejects.toThrow(HdaDownloadError);
    expect(await cache.get(p!.datasetId, p!.id)).toBeNull();
    expect(readdirSync(join(tmp, 'cache-partial', 'entries'))).toEqual([]);
    hda.faults.length = 0;
    const [got] = await downloadProducts(c, cache, [p!], { progress: null });
    expect(sha(readFileSync(join(got!.dir, got!.entry.filename)))).toBe(sha(hda.datasets[2]!.products[0]!.bytes));
    await c.close();
  });

  it('skips products already in the cache and downloads in bounded parallel', async () => {
    const c = client();
    const cache = new DownloadCache(join(tmp, 'cache-skip'));
    const ps = (await products(c, S3)).slice(0, 6);
    await downloadProducts(c, cache, ps, { parallel: 3, progress: null });
    const files = hda.hits.file ?? 0;
    const orders = hda.hits.order ?? 0;
    await downloadProducts(c, cache, ps, { parallel: 3, progress: null });
    expect(hda.hits.file).toBe(files);
    expect(hda.hits.order).toBe(orders);
    await c.close();
  });

  it('evicts least recently used entries beyond the size limit', async () => {
    const c = client();
    const cache = new DownloadCache(join(tmp, 'cache-lru'), { maxBytes: 1100 });
    const ps = (await products(c, S3)).slice(0, 3);
    for (const p of ps) await downloadProducts(c, cache, [p], { progress: null });
    expect(await cache.get(S3, ps[0]!.id)).toBeNull(); // oldest evicted
    expect(await cache.get(S3, ps[2]!.id)).not.toBeNull();
    await c.close();
  });

  it('downloads a product once when two processes share the cache', async () => {
    const dir = join(tmp, 'cache-shared');
    const c1 = client();
    const c2 = client();
    const [p] = await products(c1, CMEMS);
    const before = hda.hits.file ?? 0;
    hda.faults.push({ route: 'file', kind: 'slow', ms: 100, times: 1 });
    const [a, b] = await Promise.all([downloadProducts(c1, new DownloadCache(dir), [p!], { progress: null }), downloadProducts(c2, new DownloadCache(dir), [p!], { progress: null })]);
    expect(hda.hits.file).toBe(before + 1);
    expect(a[0]!.dir).toBe(b[0]!.dir);
    await c1.close();
    await c2.close();
  });

  it('unpacks zip products and lists their data files', async () => {
    const c = client();
    const cache = new DownloadCache(join(tmp, 'cache-zip'));
    const [got] = await downloadProducts(c, cache, await products(c, CMEMS), { progress: null });
    expect(got!.entry.files).toEqual(['unzipped/cmems/currents_2024-01.nc']);
    expect(existsSync(join(got!.dir, 'unzipped/cmems/currents_2024-01.nc'))).toBe(true);
    await c.close();
  });

  it('caches searches by their normalized body', async () => {
    const cache = new DownloadCache(join(tmp, 'cache-q'));
    await cache.putQuery({ b: 1, a: [2, { d: 1, c: 2 }] }, ['x']);
    expect(await cache.getQuery({ a: [2, { c: 2, d: 1 }], b: 1 })).toEqual(['x']);
    expect(queryKey({ a: 1 })).not.toBe(queryKey({ a: 2 }));
  });

  it('parses Content-Disposition names safely', () => {
    expect(filenameFrom('attachment; filename="a b.zip"')).toBe('a_b.zip');
    expect(filenameFrom("attachment; filename*=UTF-8''x%2Fy.nc")).toBe('y.nc');
    expect(filenameFrom('attachment; filename=../../etc/passwd')).toBe('passwd');
    expect(filenameFrom(undefined)).toBeNull();
    expect(new HdaError('x', 500).status).toBe(500);
  });
});
