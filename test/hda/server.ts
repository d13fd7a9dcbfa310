/**
 * A local HDA-compatible broker for tests (not a product feature): the documented endpoints and
 * JSON shapes of the WEkEO HDA v2 API (token, refresh, datasets, queryables, paged search,
 * order / HEAD poll (202 then 200) / download with Range, terms), serving real files, with
 * fault injection: 429 (Retry-After, X-Quota-*), 5xx, slow answers, connections reset before
 * an answer or mid-body, truncated bodies, Range ignored, token expiry mid-run, long 202 phases.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeProduct {
  id: string;
  /** Bytes served for the product. */
  bytes: Buffer;
  filename: string;
  start: string;
  end: string;
  bbox: [number, number, number, number];
  /** Announce the size in search results (otherwise "ND"). */
  announceSize?: boolean;
}

export interface FakeDataset {
  id: string;
  title: string;
  terms: string[];
  /** Queryable properties (JSON-schema-like), as the broker publishes them. */
  queryables: Record<string, unknown>;
  products: FakeProduct[];
  /** How a search matches time: which keys carry start/end, or ERA5-style year/month/day. */
  timeKeys: [string, string] | 'ymd';
}

export type Fault =
  | { route: Route; kind: 'status'; status: number; times: number; headers?: Record<string, string>; body?: string }
  | { route: Route; kind: 'slow'; ms: number; times: number }
  | { route: Exclude<Route, 'file'>; kind: 'drop'; times: number }
  | { route: 'file'; kind: 'reset' | 'truncate'; afterBytes: number; times: number }
  | { route: 'file'; kind: 'ignoreRange'; times: number };

export type Route = 'token' | 'datasets' | 'queryable' | 'search' | 'order' | 'poll' | 'file' | 'any';

export interface FakeHda {
  url: string;
  server: Server;
  datasets: FakeDataset[];
  faults: Fault[];
  /** Requests seen, by route, and the Range headers of file requests. */
  hits: Record<string, number>;
  ranges: string[];
  accepted: Set<string>;
  /** Polls answering 202 before an order is ready. */
  pollsBefore200: number;
  tokenTtlSeconds: number;
  expireAllTokens(): void;
  close(): Promise<void>;
}

export const USER = 'alice';
export const PASSWORD = 'p4ss:with:colons';

export async function startFakeHda(datasets: FakeDataset[], opts: { pollsBefore200?: number; tokenTtlSeconds?: number; bandwidthBytesPerSec?: number } = {}): Promise<FakeHda> {
  const tokens = new Map<string, number>(); // token -> expiry ms
  const refresh = new Map<string, boolean>();
  const orders = new Map<string, { product: FakeProduct; polls: number }>();
  const state: FakeHda = {
    url: '',
    server: undefined as unknown as Server,
    datasets,
    faults: [],
    hits: {},
    ranges: [],
    accepted: new Set(),
    pollsBefore200: opts.pollsBefore200 ?? 2,
    tokenTtlSeconds: opts.tokenTtlSeconds ?? 3600,
    expireAllTokens: () => {
      for (const k of tokens.keys()) tokens.set(k, 0);
    },
    close: () => new Promise((r) => state.server.close(() => r())),
  };

  const takeFault = (route: Route): Fault | undefined => {
    const i = state.faults.findIndex((f) => (f.route === route || f.route === 'any') && f.times > 0);
    if (i < 0) return undefined;
    const f = state.faults[i]!;
    f.times--;
    return f;
  };

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  };

  const readBody = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });

  const authorised = (req: IncomingMessage): boolean => {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const exp = m ? tokens.get(m[1]!) : undefined;
    return exp !== undefined && exp > Date.now();
  };

  const issue = (res: ServerResponse) => {
    const access = randomBytes(16).toString('hex');
    const rt = randomBytes(16).toString('hex');
    tokens.set(access, Date.now() + state.tokenTtlSeconds * 1000);
    refresh.set(rt, true);
    json(res, 200, { access_token: access, refresh_token: rt, scope: 'openid', token_type: 'Bearer', expires_in: state.tokenTtlSeconds });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, route: Route, fn: () => Promise<void> | void) => {
    state.hits[route] = (state.hits[route] ?? 0) + 1;
    const f = route === 'file' ? undefined : takeFault(route);
    if (f?.kind === 'slow') await new Promise((r) => setTimeout(r, f.ms));
    else if (f?.kind === 'drop') {
      // Connection reset before any answer (a load balancer dropping the connection).
      req.socket.resetAndDestroy();
      return;
    } else if (f?.kind === 'status') {
      const body = f.body ?? JSON.stringify({ detail: `injected ${f.status}` });
      res.writeHead(f.status, { 'content-type': 'application/json', ...(f.headers ?? {}) });
      res.end(body);
      return;
    }
    await fn();
  };

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const p = url.pathname.replace(/^\/hda-broker/, '');
    try {
      if (req.method === 'POST' && p === '/gettoken') {
        return await handle(req, res, 'token', async () => {
          const b = JSON.parse(await readBody(req)) as { username?: string; password?: string };
          if (b.username !== USER || b.password !== PASSWORD) return json(res, 401, { error: 'invalid_grant', error_description: 'Invalid user credentials' });
          issue(res);
        });
      }
      if (req.method === 'POST' && p === '/refreshtoken') {
        return await handle(req, res, 'token', async () => {
          const rt = new URLSearchParams(await readBody(req)).get('refresh_token') ?? '';
          if (!refresh.delete(rt)) return json(res, 400, { error: 'invalid_grant', error_description: 'Persisted access token data not found' });
          issue(res);
        });
      }
      if (!p.startsWith('/api/v1/')) return json(res, 404, { detail: 'Not Found' });
      const api = decodeURIComponent(p.slice('/api/v1/'.length));
      if (!authorised(req)) return json(res, 401, { detail: 'Invalid or expired token' });

      if (req.method === 'GET' && api === 'datasets') {
        return await handle(req, res, 'datasets', () => {
          const q = (url.searchParams.get('q') ?? '').toLowerCase();
          const all = datasets.filter((d) => !q || d.id.toLowerCase().includes(q) || d.title.toLowerCase().includes(q));
          page(res, all.map(datasetJson), url.searchParams);
        });
      }
      if (req.method === 'GET' && api.startsWith('datasets/')) {
        const d = datasets.find((x) => x.id === api.slice('datasets/'.length));
        return d ? json(res, 200, datasetJson(d)) : json(res, 404, { detail: 'Dataset not found' });
      }
      if (req.method === 'GET' && api.startsWith('dataaccess/queryable/')) {
        return await handle(req, res, 'queryable', () => {
          const d = datasets.find((x) => x.id === api.slice('dataaccess/queryable/'.length));
          if (!d) return json(res, 404, { detail: 'Dataset not found' });
          json(res, 200, { type: 'object', properties: { dataset_id: { type: 'string', const: d.id }, ...d.queryables, itemsPerPage: { type: 'number' }, startIndex: { type: 'number' } }, required: ['dataset_id'] });
        });
      }
      if (req.method === 'PUT' && api.startsWith('termsaccepted/')) {
        state.accepted.add(api.slice('termsaccepted/'.length));
        return json(res, 200, { term_id: api.slice('termsaccepted/'.length), accepted: true });
      }
      if (req.method === 'POST' && api === 'dataaccess/search') {
        return await handle(req, res, 'search', async () => {
          const body = JSON.parse(await readBody(req)) as Record<string, unknown>;
          const d = datasets.find((x) => x.id === body.dataset_id);
          if (!d) return json(res, 404, { detail: 'Dataset not found' });
          const missing = d.terms.filter((t) => !state.accepted.has(t));
          if (missing.length) return json(res, 404, { detail: `Terms and conditions not accepted: ${missing.join(', ')}` });
          for (const k of Object.keys(body)) {
            if (!['dataset_id', 'itemsPerPage', 'startIndex', 'bbox'].includes(k) && !(k in d.queryables)) return json(res, 422, { detail: [{ loc: ['body', k], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' }] });
          }
          const hits = d.products.filter((pr) => matches(d, pr, body));
          page(
            res,
            hits.map((pr) => ({
              type: 'Feature',
              id: pr.id,
              geometry: { type: 'Polygon', coordinates: [[[pr.bbox[0], pr.bbox[1]], [pr.bbox[2], pr.bbox[1]], [pr.bbox[2], pr.bbox[3]], [pr.bbox[0], pr.bbox[3]], [pr.bbox[0], pr.bbox[1]]]] },
              properties: { location: `loc://${d.id}/${pr.id}`, size: pr.announceSize === false ? 'ND' : pr.bytes.length, startdate: pr.start, enddate: pr.end },
            })),
            new URLSearchParams({ startIndex: String(body.startIndex ?? 0), itemsPerPage: String(body.itemsPerPage ?? 10) }),
          );
        });
      }
      if (req.method === 'POST' && api === 'dataaccess/download') {
        return await handle(req, res, 'order', async () => {
          const body = JSON.parse(await readBody(req)) as { dataset_id: string; product_id: string; location: string };
          const d = datasets.find((x) => x.id === body.dataset_id);
          const pr = d?.products.find((x) => x.id === body.product_id);
          if (!pr || body.location !== `loc://${d!.id}/${pr.id}`) return json(res, 404, { detail: 'Product not found' });
          const id = randomBytes(12).toString('hex');
          orders.set(id, { product: pr, polls: 0 });
          json(res, 200, { download_id: id });
        });
      }
      const dl = /^dataaccess\/download\/([0-9a-f]+)$/.exec(api);
      if (dl && req.method === 'HEAD') {
        return await handle(req, res, 'poll', () => {
          const o = orders.get(dl[1]!);
          if (!o) return json(res, 404, { detail: 'Unknown download' });
          if (o.polls++ < state.pollsBefore200) {
            res.writeHead(202);
            res.end();
            return;
          }
          res.writeHead(200, { 'content-length': o.product.bytes.length, 'content-disposition': `attachment; filename="${o.product.filename}"` });
          res.end();
        });
      }
      if (dl && req.method === 'GET') {
        state.hits.file = (state.hits.file ?? 0) + 1;
        const o = orders.get(dl[1]!);
        if (!o) return json(res, 404, { detail: 'Unknown download' });
        const f = takeFault('file');
        if (f?.kind === 'status') {
          res.writeHead(f.status, { 'content-type': 'application/json', ...(f.headers ?? {}) });
          return res.end(f.body ?? JSON.stringify({ detail: `injected ${f.status}` }));
        }
        if (f?.kind === 'slow') await new Promise((r) => setTimeout(r, f.ms));
        const all = o.product.bytes;
        const range = req.headers.range;
        if (range) state.ranges.push(range);
        const m = /^bytes=(\d+)-$/.exec(range ?? '');
        const from = m && f?.kind !== 'ignoreRange' ? Number(m[1]) : 0;
        const headers: Record<string, string | number> = { 'content-type': 'application/octet-stream', 'content-disposition': `attachment; filename="${o.product.filename}"`, etag: `"${createHash('md5').update(all).digest('hex')}"` };
        if (from > 0) {
          headers['content-range'] = `bytes ${from}-${all.length - 1}/${all.length}`;
          headers['content-length'] = all.length - from;
          res.writeHead(206, headers);
        } else {
          headers['content-length'] = all.length;
          res.writeHead(200, headers);
        }
        const body = all.subarray(from);
        if (f?.kind === 'reset' || f?.kind === 'truncate') {
          res.write(body.subarray(0, Math.min(f.afterBytes, body.length)), () => {
            // reset: kill the socket; truncate: same bytes, then the connection just ends. The pause
            // lets the client read the bytes first: closing a socket with unread input makes the
            // kernel send RST and drop what was still queued, and the fault would become "no bytes".
            setTimeout(() => (f.kind === 'reset' ? res.socket?.destroy() : res.socket?.end()), 100);
          });
          return;
        }
        await sendThrottled(res, body, opts.bandwidthBytesPerSec);
        return;
      }
      json(res, 404, { detail: `no route ${req.method} ${p}` });
    } catch (e) {
      json(res, 500, { status_code: 500, title: 'Task Error', detail: (e as Error).message });
    }
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  state.server = server;
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hda-broker/`;
  return state;
}

async function sendThrottled(res: ServerResponse, body: Buffer, bytesPerSec?: number): Promise<void> {
  if (!bytesPerSec) {
    res.end(body);
    return;
  }
  const chunk = Math.max(1024, Math.floor(bytesPerSec / 20));
  for (let i = 0; i < body.length; i += chunk) {
    if (!res.write(body.subarray(i, i + chunk))) await new Promise((r) => res.once('drain', r));
    await new Promise((r) => setTimeout(r, (chunk / bytesPerSec) * 1000));
  }
  res.end();
}

function page(res: ServerResponse, items: unknown[], params: URLSearchParams): void {
  const start = Number(params.get('startIndex') ?? 0);
  const n = Number(params.get('itemsPerPage') ?? 10);
  const features = items.slice(start, start + n);
  const text = JSON.stringify({ type: 'FeatureCollection', features, properties: { startIndex: start, itemsPerPage: n, totalResults: items.length } });
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(text);
}

function datasetJson(d: FakeDataset) {
  return { dataset_id: d.id, terms: d.terms, metadata: { _source: { datasetTitle: d.title, abstract: `${d.title} (local test broker)` } } };
}

function matches(d: FakeDataset, p: FakeProduct, body: Record<string, unknown>): boolean {
  const bbox = body.bbox as number[] | undefined;
  if (bbox && (p.bbox[2] < bbox[0]! || p.bbox[0] > bbox[2]! || p.bbox[3] < bbox[1]! || p.bbox[1] > bbox[3]!)) return false;
  if (d.timeKeys === 'ymd') {
    const years = body.year as string[] | undefined;
    if (!years) return true;
    const days = new Set<string>();
    for (const y of years) for (const m of (body.month as string[]) ?? []) for (const dd of (body.day as string[]) ?? []) days.add(`${y}-${m}-${dd}`);
    return days.has(p.start.slice(0, 10));
  }
  const [ks, ke] = d.timeKeys;
  const s = body[ks] as string | undefined;
  const e = body[ke] as string | undefined;
  if (s && Date.parse(p.end) < Date.parse(s)) return false;
  if (e && Date.parse(p.start) > Date.parse(e)) return false;
  return true;
}

export function fileProduct(id: string, path: string, start: string, end: string, bbox: [number, number, number, number], filename?: string): FakeProduct {
  return { id, bytes: readFileSync(path), filename: filename ?? path.split('/').pop()!, start, end, bbox };
}
