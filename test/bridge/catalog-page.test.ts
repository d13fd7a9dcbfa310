/**
 * The catalog page in a real headless Chromium (Debian's, driven by playwright-core): it renders
 * every sample dataset, every quicklook image loads (naturalWidth > 0), the browser reports no
 * console errors and makes no request outside the bridge. Saves docs/catalog-page.png, shown in
 * the README. Skipped, saying why, where /usr/bin/chromium is missing (./dev installs it).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BridgeCore } from '../../src/bridge/core.js';
import { startHttpServer } from '../../src/bridge/http-server.js';
import { Catalog } from '../../src/catalog/catalog.js';
import { EMBEDDED_CATALOG, LocalSource } from '../../src/catalog/local-source.js';
import { DecodePool } from '../../src/workers/decode-pool.js';
import { repoRoot } from '../support/corpus.js';

const CHROMIUM = '/usr/bin/chromium';
const missing = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} not found (Debian package chromium, installed by ./dev from scripts/apt-packages.txt)`;
if (missing) console.warn(`catalog page test skipped: ${missing}`);

let pool: DecodePool;
let http: Awaited<ReturnType<typeof startHttpServer>>;
let browser: BrowserContext | undefined;
const profile = mkdtempSync(join(tmpdir(), 'wekeo-chromium-'));

beforeAll(async () => {
  pool = new DecodePool({ size: 2 });
  const catalog = new Catalog([new LocalSource(EMBEDDED_CATALOG)], (p) => pool.describe(p));
  const core = new BridgeCore(catalog, pool, { secret: 'test' });
  core.flightUri = 'grpc://127.0.0.1:8815';
  http = await startHttpServer(core, '127.0.0.1', 0);
});

afterAll(async () => {
  await browser?.close();
  await http?.close();
  await pool?.close();
  rmSync(profile, { recursive: true, force: true });
});

it.skipIf(missing !== undefined)('renders every dataset with loaded quicklooks and no console errors in headless Chromium', async () => {
  // A fresh profile directory each run (playwright passes it as --user-data-dir).
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1200, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  const errors: string[] = [];
  const foreign: string[] = [];
  const origin = `http://127.0.0.1:${http.port}`;
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => !r.url().startsWith(origin) && !r.url().startsWith('data:') && foreign.push(r.url()));
  const res = await page.goto(`${origin}/`, { waitUntil: 'load', timeout: 240_000 });
  expect(res?.status()).toBe(200);
  const names = await page.locator('section h2').allTextContents();
  expect(names.sort()).toEqual(['cams-chemistry', 'cmems-currents', 'era5-ensemble', 'era5-pressure-levels', 'ncep-air']);
  const images = await page.locator('img').evaluateAll((els) => els.map((e) => ({ src: (e as HTMLImageElement).src, w: (e as HTMLImageElement).naturalWidth, done: (e as HTMLImageElement).complete })));
  expect(images.length).toBeGreaterThanOrEqual(5);
  expect(images.filter((i) => !(i.done && i.w > 0))).toEqual([]);
  // Units and snippets are filled in for the dataset.
  const era5 = page.locator('#ds-era5-pressure-levels');
  await expect.poll(() => era5.locator('td').allTextContents()).toContain('m**2 s**-2');
  expect(await era5.locator('pre').first().textContent()).toContain('"dataset": "era5-pressure-levels"'.replace(': ', ':'));
  expect(errors).toEqual([]);
  expect(foreign).toEqual([]);
  await page.locator('#ds-era5-pressure-levels').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(repoRoot, 'docs/catalog-page.png'), fullPage: false });
}, 300_000);
