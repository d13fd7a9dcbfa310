/**
 * /healthz states from a real decode pool (starting, ok, broken by workers that die while
 * starting, closed) and the request log's two formats.
 */
import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { BridgeCore } from '../../src/bridge/core.js';
import { startHttpServer } from '../../src/bridge/http-server.js';
import { parseLogFormat, RequestLog } from '../../src/bridge/request-log.js';
import { Catalog } from '../../src/catalog/catalog.js';
import { EMBEDDED_CATALOG, LocalSource } from '../../src/catalog/local-source.js';
import { DecodePool, FAILED_STARTS_BROKEN } from '../../src/workers/decode-pool.js';

const pools: DecodePool[] = [];
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

function newPool(): DecodePool {
  const pool = new DecodePool({ size: 1 });
  pools.push(pool);
  return pool;
}

const firstWorker = (pool: DecodePool) => (pool as unknown as { slots: Array<{ worker: Worker }> }).slots[0]!.worker;

async function healthz(pool: DecodePool): Promise<{ status: number; body: { status: string; detail: string } }> {
  const catalog = new Catalog([new LocalSource(EMBEDDED_CATALOG)], (p) => pool.describe(p));
  const http = await startHttpServer(new BridgeCore(catalog, pool, { secret: 'test' }), '127.0.0.1', 0);
  try {
    const res = await fetch(`http://127.0.0.1:${http.port}/healthz`);
    return { status: res.status, body: (await res.json()) as { status: string; detail: string } };
  } finally {
    await http.close();
  }
}

describe('/healthz', () => {
  it('is 503 while the workers load, then 200', async () => {
    const pool = newPool();
    expect(pool.health().state).toBe('starting'); // no worker can have reported yet
    const deadline = Date.now() + 50_000;
    while (pool.health().state !== 'ok' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await healthz(pool)).toEqual({ status: 200, body: { status: 'ok', detail: '1 of 1 decode workers ready' } });
  });

  it(`is 503 once ${FAILED_STARTS_BROKEN} workers in a row died while starting`, async () => {
    const pool = newPool();
    for (let i = 0; i < FAILED_STARTS_BROKEN; i++) {
      const w = firstWorker(pool);
      const exited = once(w, 'exit');
      await w.terminate();
      await exited;
    }
    const h = await healthz(pool);
    expect(h.status).toBe(503);
    expect(h.body.status).toBe('broken');
    expect(h.body.detail).toMatch(/3 decode workers in a row died while starting \(decode worker exited with code \d+\)/);
  });

  it('is 503 when the pool is closed', async () => {
    const pool = newPool();
    await pool.close();
    const h = await healthz(pool);
    expect(h).toEqual({ status: 503, body: { status: 'broken', detail: 'decode pool is closed' } });
  });
});

describe('request log', () => {
  const rec = { method: 'DoGet', dataset: 'ncep-air', rows: 10, bytes: 800, ms: 3, status: 'OK' };

  it('writes one JSON object per line with the documented keys', () => {
    const lines: string[] = [];
    new RequestLog('json', (l) => lines.push(l)).write(rec);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    expect(JSON.parse(lines[0]!)).toMatchObject(rec);
  });

  it('writes one text line, and nothing when off', () => {
    const lines: string[] = [];
    new RequestLog('text', (l) => lines.push(l)).write({ ...rec, status: 'NOT_FOUND', error: 'unknown dataset "x"' });
    new RequestLog('off', (l) => lines.push(l)).write(rec);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\S+Z DoGet dataset=ncep-air rows=10 bytes=800 ms=3 status=NOT_FOUND error="unknown dataset \\"x\\""\n$/);
  });

  it('rejects an unknown --log-format', () => {
    expect(() => parseLogFormat('yaml')).toThrow(/--log-format must be one of text, json, off, got "yaml"/);
  });
});
