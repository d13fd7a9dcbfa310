/**
 * Plain Arrow IPC streams over HTTP, for consumers without a Flight client (TensorFlow I/O's
 * ArrowStreamDataset, curl, browsers):
 *   GET /                                  the catalog page (catalog-page/page.ts)
 *   GET /datasets                          JSON list of datasets
 *   GET /datasets/{id}                     JSON summary: variable groups with units, time range, bbox, rows
 *   GET /datasets/{id}/schema?(filters)    Arrow IPC schema of that query (an empty IPC stream)
 *   GET /datasets/{id}/quicklook.png?variable=&time=&level=   one time step drawn (quicklook.ts)
 *   GET /plan?dataset=..&bbox=..&start=..&end=..&variables=a,b    JSON: schema fields, tickets
 *   GET /stream?dataset=..(same filters)   one IPC stream with every partition, in plan order
 *   GET /ticket/<base64url ticket>         one IPC stream for one partition
 *   GET /healthz                           200 when serving, 503 while starting or when the decode pool is broken
 *   GET /metrics                           Prometheus text exposition (metrics.ts)
 * Streams honour backpressure (socket drain) like the Flight path. Every request is logged and
 * counted once, when its response closes (request-log.ts).
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { RecordBatch, Schema } from 'apache-arrow';
import { PlanError } from '../partitioner/plan.js';
import { StreamCancelledError } from './actions.js';
import { AuthError, authorizeHttp, tokenCookie, type AuthTokens } from './auth.js';
import { quote } from '../text/quote.js';
import type { BridgeCore } from './core.js';
import { clientMessage, HTTP_CODE, logUnexpected, statusOf } from './errors.js';
import { TLSSocket } from 'node:tls';
import { renderCatalogPage, type PageEntry } from './catalog-page/page.js';
import { summarizeDataset } from './dataset-info.js';
import { renderQuicklook } from './quicklook.js';
import { ipcMessage, ipcSchemaBytes, recordBatchParts, schemaHeader } from './flight-data.js';
import { QueryError, queryFromParams } from './query.js';
import type { RequestTracker } from './request-log.js';

export const ARROW_STREAM_TYPE = 'application/vnd.apache.arrow.stream';


const EOS = Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/** Same tokens and certificate as the Flight server (auth.ts): bearer header or `?token=`, HTTPS with `tls`. */
export interface HttpSecurity {
  auth?: AuthTokens;
  tls?: { cert: Buffer; key: Buffer };
}

export async function startHttpServer(core: BridgeCore, host: string, port: number, security: HttpSecurity = {}): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    // An absolute-form target Node accepts but URL cannot parse (`GET http://[`) would throw in
    // every handler below, and a throw here ends the process: refuse it first.
    if (!URL.canParse(req.url ?? '/', 'http://bridge')) {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'malformed request target', status: 'INVALID_ARGUMENT' }));
      return;
    }
    const track = core.track(`${req.method ?? 'GET'} ${routeOf(req.url ?? '/')}`);
    let error: string | undefined;
    res.on('close', () => track.end(res.writableFinished ? String(res.statusCode) : 'aborted', error));
    if (security.auth) {
      // The token is taken out of req.url before any handler (or log) sees it.
      const a = authorizeHttp(security.auth, req.url ?? '/', req.headers.authorization, req.headers.cookie);
      req.url = a.url;
      if (a.setCookie !== undefined) res.setHeader('set-cookie', tokenCookie(a.setCookie, security.tls !== undefined));
      if (!a.ok) {
        const err = new AuthError();
        res.writeHead(HTTP_CODE[statusOf(err)], { 'content-type': 'application/json', 'www-authenticate': 'Bearer' });
        res.end(JSON.stringify({ error: err.message, status: statusOf(err) }));
        return;
      }
    }
    handle(core, req, res, track).catch((err: unknown) => {
      error = clientMessage(err);
      if (!res.headersSent) {
        logUnexpected('HTTP', err);
        res.writeHead(HTTP_CODE[statusOf(err)], { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: clientMessage(err), status: statusOf(err) }));
      } else res.destroy(err as Error);
    });
  };
  const server: Server = security.tls ? createHttpsServer({ cert: security.tls.cert, key: security.tls.key }, onRequest) : createServer(onRequest);
  server.listen(port, host);
  await once(server, 'listening');
  const addr = server.address();
  return {
    server,
    port: typeof addr === 'object' && addr ? addr.port : port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** The route a request is counted under: fixed names, never user input (bounded label values). */
export function routeOf(rawUrl: string): string {
  const path = new URL(rawUrl, 'http://bridge').pathname;
  if (path.startsWith('/ticket/')) return '/ticket';
  const page = DATASET_PAGE.exec(path);
  if (page) return `/datasets/{id}${page[2] ?? ''}`;
  return ROUTES.has(path) ? path : 'other';
}

const ROUTES = new Set(['/', '/favicon.ico', '/datasets', '/plan', '/stream', '/healthz', '/metrics']);

/** /datasets/{id}, /datasets/{id}/schema, /datasets/{id}/quicklook.png (the id URL-encoded: HDA ids hold colons). */
const DATASET_PAGE = /^\/datasets\/([^/]+)(\/schema|\/quicklook\.png)?$/;

async function handle(core: BridgeCore, req: IncomingMessage, res: ServerResponse, track: RequestTracker): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://bridge');
  if (req.method !== 'GET') {
    res.writeHead(405, { allow: 'GET' }).end();
    return;
  }
  if (url.pathname === '/healthz') {
    const h = core.pool.health();
    res.writeHead(h.state === 'ok' ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ status: h.state, detail: h.detail }));
    return;
  }
  if (url.pathname === '/metrics') {
    const m = await core.metrics.scrape();
    res.writeHead(200, { 'content-type': m.contentType, 'cache-control': 'no-store' });
    res.end(m.body);
    return;
  }
  if (url.pathname === '/favicon.ico') {
    res.writeHead(204).end(); // browsers ask for it on every page; no icon, and no 404 in their console
    return;
  }
  if (url.pathname === '/') {
    const entries = await Promise.all(
      (await core.listDatasets()).map((d) => summarizeDataset(core, d).catch((err: unknown): PageEntry => ({ ...d, error: clientMessage(err) }))),
    );
    const base = `${req.socket instanceof TLSSocket ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`;
    const flightUri = core.flightUri ?? `grpc://${URL.canParse(base) ? new URL(base).hostname : 'localhost'}:8815`;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(renderCatalogPage(entries, { flightUri, httpBase: base }));
    return;
  }
  if (url.pathname === '/datasets') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(await core.listDatasets()));
    return;
  }
  const page = DATASET_PAGE.exec(url.pathname);
  if (page) {
    const id = decodeSegment(page[1]!);
    track.dataset = id;
    if (page[2] === '/quicklook.png') {
      const q = await renderQuicklook(core, id, url.searchParams);
      res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'max-age=300' });
      res.end(q.png);
      return;
    }
    if (page[2] === '/schema') {
      const schema = await core.schemaOf(queryFromParams(url.searchParams, id));
      res.writeHead(200, { 'content-type': ARROW_STREAM_TYPE });
      // The schema message then end-of-stream: a valid empty IPC stream, and what GetSchema returns.
      res.end(Buffer.concat([ipcSchemaBytes(schema), EOS]));
      return;
    }
    if ([...url.searchParams.keys()].some((k) => k !== 'token')) throw new QueryError(`/datasets/{id} takes no query parameters; use /plan or /datasets/{id}/schema to try a query`);
    // Listed datasets, or any id a remote source accepts (HDA ids need not be announced).
    const info = (await core.listDatasets()).find((d) => d.name === id) ?? { name: id, description: '', source: (await core.catalog.source(id)).kind };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(await summarizeDataset(core, info)));
    return;
  }
  if (url.pathname === '/plan') {
    const planned = await core.planQuery(queryFromParams(url.searchParams));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        fields: planned.schema.fields.map((f) => ({ name: f.name, type: String(f.type), nullable: f.nullable })),
        total_records: planned.totalRows,
        tickets: planned.tickets.map((t) => ({ ticket: t.ticket.toString('base64url'), rows: t.rows })),
      }),
    );
    return;
  }
  if (url.pathname === '/stream') {
    const q = queryFromParams(url.searchParams);
    track.dataset = q.dataset;
    const planned = await core.planQuery(q);
    await streamTickets(core, planned.tickets.map((t) => t.ticket), req, res, track);
    return;
  }
  if (url.pathname.startsWith('/ticket/')) {
    await streamTickets(core, [Buffer.from(url.pathname.slice('/ticket/'.length), 'base64url')], req, res, track);
    return;
  }
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: `no route ${quote(url.pathname)}; try /, /datasets, /datasets/{id}, /datasets/{id}/schema, /plan, /stream, /ticket/<ticket>, /healthz, /metrics` }));
}

/** A URL-encoded path segment; a malformed escape (%E0) is the client's error, not the bridge's. */
function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new QueryError(`malformed %-escape in the path segment ${quote(s)}`);
  }
}

/** Resolves on 'drain' or 'close', removing both listeners (a race of once() would leak one per wait). */
function drainOrClose(res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Concatenates partitions into one stream: the schema once, then every batch. A ticket whose
 * FlightInfo was cancelled (CancelFlightInfo) is refused with 409 CANCELLED before the response
 * starts, and a running one is cut off (the connection reset, so the IPC stream has no end-of-stream
 * marker and no reader takes it for complete), as DoGet ends with CANCELLED.
 */
async function streamTickets(core: BridgeCore, tickets: Buffer[], req: IncomingMessage, res: ServerResponse, track: RequestTracker): Promise<void> {
  let closed = false;
  let cancelled = false;
  req.on('close', () => (closed = true));
  let schemaSent = false;
  const write = async (b: Buffer) => {
    if (!res.write(b)) await drainOrClose(res);
  };
  const closeStream = core.metrics.streamOpened();
  const unregister = tickets.map((t) =>
    core.streams.add(t, () => {
      cancelled = closed = true;
      // Before the first byte the loop answers 409 itself; after it, only a reset can say so.
      if (res.headersSent) res.destroy(new StreamCancelledError());
    }),
  );
  try {
    for (const ticket of tickets) {
      if (core.streams.isCancelled(ticket)) throw new StreamCancelledError();
      for await (const item of core.streamTicket(ticket, () => closed)) {
        if (closed) break;
        if (item instanceof Schema) {
          track.dataset ??= item.metadata.get('wekeo.dataset');
          if (schemaSent) continue;
          res.writeHead(200, { 'content-type': ARROW_STREAM_TYPE });
          const header = ipcMessage(schemaHeader(item));
          track.sent(0, header.length);
          await write(header);
          schemaSent = true;
        } else {
          const parts = recordBatchParts(item as RecordBatch);
          const msg = ipcMessage(parts.header, parts);
          track.sent(item.numRows, msg.length);
          await write(msg);
        }
      }
      if (closed) break;
    }
    if (cancelled) throw new StreamCancelledError(); // logged and counted as the cancel it was
    if (closed) return;
    if (!schemaSent) throw new PlanError('query selects no data');
    track.sent(0, EOS.length);
    res.end(EOS);
  } finally {
    for (const u of unregister) u();
    closeStream();
  }
}
