import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HdaClient, type Product } from '../../src/hda/client.js';
import { fetchToFile } from '../../src/hda/download.js';
import { hdaStats } from '../../src/hda/stats.js';
import { CMEMS, S3, testDatasets } from './fixtures.js';
import { PASSWORD, startFakeHda, USER, type FakeHda } from './server.js';

const FAST = { attempts: 5, baseDelayMs: 5, maxDelayMs: 20, maxQuotaWaitMs: 1000, timeoutMs: 5000 };
let hda: FakeHda;
let tmp: string;

const client = () => new HdaClient({ url: hda.url, user: USER, password: PASSWORD, source: 'test' }, { retry: FAST, poll: { firstDelayMs: 5, maxDelayMs: 20, deadlineMs: 5000 }, acceptTerms: true });
const snapshot = () => ({ requests: new Map(hdaStats.requests), retries: hdaStats.retries, bytes: hdaStats.bytesDownloaded });
const moved = (before: Map<string, number>, status: string) => (hdaStats.requests.get(status) ?? 0) - (before.get(status) ?? 0);

async function first(c: HdaClient, id: string): Promise<Product> {
  for await (const p of c.search(id, {})) return p;
  throw new Error('no product');
}

beforeAll(async () => {
  hda = await startFakeHda(testDatasets());
  tmp = mkdtempSync(join(tmpdir(), 'wekeo-hda-stats-'));
});
afterAll(async () => {
  await hda.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('hdaStats', () => {
  it('counts responses by status and the retries they cause', async () => {
    const c = client();
    const before = snapshot();
    hda.faults.push({ route: 'search', kind: 'status', status: 503, times: 2 });
    await first(c, CMEMS);
    expect(moved(before.requests, '503')).toBe(2);
    expect(moved(before.requests, '200')).toBeGreaterThanOrEqual(2); // token + search
    expect(hdaStats.retries - before.retries).toBe(2);
    await c.close();
  });

  it('counts downloaded bytes once, including a resumed download', async () => {
    const c = client();
    const { path } = await c.order(await first(c, S3));
    const before = snapshot();
    hda.faults.push({ route: 'file', kind: 'reset', afterBytes: 200, times: 1 });
    const r = await fetchToFile(c.http, path, join(tmp, 'p.bin'));
    expect(hdaStats.bytesDownloaded - before.bytes).toBe(r.bytes);
    expect(hdaStats.retries - before.retries).toBe(1);
    await c.close();
  });
});
