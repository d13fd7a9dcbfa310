/**
 * Plain Arrow IPC streams over HTTP, for consumers without a Flight client (TensorFlow I/O's
 * ArrowStreamDataset, curl, browsers):
 *   GET /datasets                          JSON list of datasets
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
import { AuthError, authorizeHttp, type AuthTokens } from './auth.js';
import { quote } from '../text/quote.js';
import type { BridgeCore } from './core.js';
import { clientMessage, HTTP_CODE, logUnexpected, statusOf } from './errors.js';
import { ipcMessage, recordBatchParts, schemaHeader } from './flight-data.js';
import { queryFromParams } from './query.js';
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
    const track = core.track(`${req.method ?? 'GET'} ${routeOf(req.url ?? '/')}`);
    let error: string | undefined;
    res.on('close', () => track.end(res.writableFinished ? String(res.statusCode) : 'aborted', error));
    if (security.auth) {
      // The token is taken out of req.url before any handler (or log) sees it.
      const a = authorizeHttp(security.auth, req.url ?? '/', req.headers.authorization);
      req.url = a.url;
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
  return ROUTES.has(path) ? path : 'other';
}

const ROUTES = new Set(['/datasets', '/plan', '/stream', '/healthz', '/metrics']);

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
  if (url.pathname === '/datasets') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(await core.listDatasets()));
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
  res.end(JSON.stringify({ error: `no route ${quote(url.pathname)}; try /datasets, /plan, /stream, /ticket/<ticket>, /healthz, /metrics` }));
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

/** Concatenates partitions into one stream: the schema once, then every batch. */
async function streamTickets(core: BridgeCore, tickets: Buffer[], req: IncomingMessage, res: ServerResponse, track: RequestTracker): Promise<void> {
  let closed = false;
  req.on('close', () => (closed = true));
  let schemaSent = false;
  const write = async (b: Buffer) => {
    if (!res.write(b)) await drainOrClose(res);
  };
  const closeStream = core.metrics.streamOpened();
  try {
    for (const ticket of tickets) {
      for await (const item of core.streamTicket(ticket, () => closed)) {
        if (closed) return;
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
    }
    if (!schemaSent) throw new PlanError('query selects no data');
    track.sent(0, EOS.length);
    res.end(EOS);
  } finally {
    closeStream();
  }
}
