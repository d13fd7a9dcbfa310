import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AuthConfigError, AuthTokens, isLoopback } from '../bridge/auth.js';
import { Catalog } from '../catalog/catalog.js';
import { EMBEDDED_CATALOG, LocalSource } from '../catalog/local-source.js';
import type { DatasetSource } from '../catalog/types.js';
import { BridgeCore, DEFAULT_CACHE_BYTES } from '../bridge/core.js';
import { formatSize, parseSize } from '../text/size.js';
import { startFlightServer } from '../bridge/flight-server.js';
import { startHttpServer } from '../bridge/http-server.js';
import { parseLogFormat } from '../bridge/request-log.js';
import { DEFAULT_TARGET_BYTES, DEFAULT_TARGET_ROWS } from '../partitioner/plan.js';
import { DecodePool } from '../workers/decode-pool.js';
import { DEFAULT_HDA_MAX_PRODUCTS, HdaSource } from '../catalog/hda-source.js';
import { DownloadCache } from '../hda/cache.js';
import { HdaClient } from '../hda/client.js';
import { tryLoadConfig } from '../hda/config.js';
import { defaultCacheDir } from './hda.js';
import { parsePeerList, PeerSet } from '../bridge/peers.js';
import { DiskCache } from '../bridge/disk-cache.js';

/** Disk tier budget when --cache-dir is given without --cache-disk. */
export const DEFAULT_CACHE_DISK_BYTES = 10 * 2 ** 30;

export const DEFAULT_PORT = 8815;

/** `wekeo serve`: the Flight (and optional HTTP) bridge over a catalog folder. */
export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      catalog: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: String(DEFAULT_PORT) },
      'http-port': { type: 'string' },
      advertise: { type: 'string' },
      'target-rows': { type: 'string', default: String(DEFAULT_TARGET_ROWS) },
      'target-bytes': { type: 'string', default: String(DEFAULT_TARGET_BYTES) },
      'cache-mem': { type: 'string', default: String(DEFAULT_CACHE_BYTES) },
      workers: { type: 'string' },
      secret: { type: 'string', default: process.env.WEKEO_TICKET_SECRET },
      'hda-url': { type: 'string' },
      'hda-cache': { type: 'string' },
      'hda-parallel': { type: 'string', default: '2' },
      'hda-datasets': { type: 'string' },
      'hda-max-products': { type: 'string', default: String(DEFAULT_HDA_MAX_PRODUCTS) },
      'accept-terms': { type: 'boolean', default: false },
      'auth-token-file': { type: 'string' },
      'allow-anonymous': { type: 'boolean', default: false },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'log-format': { type: 'string', default: 'text' },
      peers: { type: 'string' },
      'peers-file': { type: 'string' },
      'cache-dir': { type: 'string' },
      'cache-disk': { type: 'string', default: String(DEFAULT_CACHE_DISK_BYTES) },
    },
  });
  const security = securityOptions(values);
  if (typeof security === 'string') {
    process.stderr.write(`wekeo serve: ${security}\n`);
    return 2;
  }
  const { auth, tls } = security;
  const port = intOption('port', values.port!, 0);
  const targetRows = intOption('target-rows', values['target-rows']!, 1);
  const targetBytes = parseSize(values['target-bytes']!, '--target-bytes');
  if (targetBytes < 1) throw new Error('--target-bytes must be at least 1 byte');
  const cacheBytes = parseSize(values['cache-mem']!, '--cache-mem');
  const workers = values.workers !== undefined ? intOption('workers', values.workers, 1) : undefined;
  const catalogDir = values.catalog ?? EMBEDDED_CATALOG;
  const logFormat = parseLogFormat(values['log-format']!);

  const sources: DatasetSource[] = [new LocalSource(catalogDir)];
  // With WEkEO credentials (~/.hdarc, HDA_USER/HDA_PASSWORD), HDA dataset ids are served too.
  const hdaConfig = tryLoadConfig({ url: values['hda-url'] });
  if (hdaConfig) {
    const client = new HdaClient(hdaConfig, { acceptTerms: values['accept-terms'] });
    const cache = new DownloadCache(values['hda-cache'] ?? defaultCacheDir());
    const announce = values['hda-datasets']?.split(',').map((s) => s.trim()).filter(Boolean);
    const maxProducts = intOption('hda-max-products', values['hda-max-products']!, 1);
    sources.push(new HdaSource(client, cache, { parallel: intOption('hda-parallel', values['hda-parallel']!, 1), announce, maxProducts }));
  }
  const pool = new DecodePool({ size: workers });
  const catalog = new Catalog(sources, (p) => pool.describe(p));
  const diskBytes = parseSize(values['cache-disk']!, '--cache-disk');
  const diskCache = values['cache-dir'] !== undefined ? await DiskCache.open(values['cache-dir'], diskBytes) : undefined;
  const core = new BridgeCore(catalog, pool, { targetRows, targetBytes, secret: values.secret, cacheBytes, logFormat, diskCache });
  const flight = await startFlightServer(core, values.host!, port, values.advertise, { auth, tls });
  const http = values['http-port'] !== undefined ? await startHttpServer(core, values.host!, intOption('http-port', values['http-port'], 0), { auth, tls }) : undefined;

  const host = values.advertise ?? (values.host === '0.0.0.0' ? 'localhost' : values.host!);
  const uri = flight.uri;
  core.flightUri = uri;
  const httpScheme = tls ? 'https' : 'http';
  const connect = tls ? `fl.connect("${uri}", tls_root_certs=open(${JSON.stringify(values['tls-cert'])}, "rb").read())` : `fl.connect("${uri}")`;
  // With tokens the snippets read the token from the environment, never print one.
  const pyAuth = auth.enabled
    ? ['  opts = fl.FlightCallOptions(headers=[c.authenticate_basic_token("me", os.environ["WEKEO_TOKEN"])])']
    : [];
  const opt = auth.enabled ? ', options=opts' : '';
  const peers = await startPeers(values, uri, tls?.cert);
  core.peers = peers;
  const datasets = await catalog.list();
  const first = datasets[0]?.name ?? 'DATASET';
  // The first line is machine-read by tests and scripts: keep its format.
  process.stdout.write(`wekeo-bridge listening on ${uri}\n`);
  if (http) process.stdout.write(`wekeo-bridge http on ${httpScheme}://${host}:${http.port}\n`);
  process.stdout.write(
    [
      `catalog: ${catalogDir}${values.catalog ? '' : ' (embedded samples)'}`,
      `WEkEO HDA: ${hdaConfig ? `${hdaConfig.url} (credentials from ${hdaConfig.source}); any EO:* dataset id can be queried` : 'no credentials (~/.hdarc), local catalog only'}`,
      `datasets: ${datasets.map((d) => d.name).join(', ') || '(none)'}`,
      `decode workers: ${pool.size}, partitions of at most ${targetRows} rows and ${formatSize(targetBytes)}, decoded-partition cache: ${formatSize(cacheBytes)}${diskCache ? ` in memory, ${formatSize(diskBytes)} on disk` : ''}`,
      `security: ${auth.enabled ? `bearer tokens required (${auth.size} configured)` : 'no authentication (loopback only unless --allow-anonymous)'}, ${tls ? 'TLS' : 'plaintext'}`,
      '',
      'Read it from Python (pip install pyarrow):',
      `  import json${auth.enabled ? ', os' : ''}, pyarrow as pa, pyarrow.flight as fl`,
      `  c = ${connect}`,
      ...pyAuth,
      `  info = c.get_flight_info(fl.FlightDescriptor.for_command(json.dumps({"dataset": "${first}"}))${opt})`,
      `  table = pa.concat_tables(c.do_get(e.ticket${opt}).read_all() for e in info.endpoints)`,
      '',
      'Read it from Spark (jar: jvm-shim/target/wekeo-spark_4_2.13-*.jar; Spark 3.5: wekeo-spark_3.5_2.12-*.jar):',
      `  spark.read.format("wekeo").option("endpoint", "${uri}").option("dataset", "${first}").load()`,
      ...(http
        ? [
            '',
            'Plain Arrow IPC stream (TensorFlow, curl):',
            `  curl${tls ? ` --cacert ${values['tls-cert']}` : ''}${auth.enabled ? ' -H "Authorization: Bearer $WEKEO_TOKEN"' : ''} "${httpScheme}://${host}:${http.port}/stream?dataset=${first}" > ${first}.arrows`,
          ]
        : []),
      '',
      'Press Ctrl+C to stop.',
      '',
    ].join('\n'),
  );

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  peers?.close();
  await Promise.all([flight.close(), http?.close()]);
  await pool.close();
  return 0;
}

/**
 * Tokens and TLS material from the flags, or the reason to refuse to start: serving without
 * tokens on a non-loopback address must be asked for explicitly (--allow-anonymous).
 */
function securityOptions(values: { host?: string; 'auth-token-file'?: string; 'allow-anonymous'?: boolean; 'tls-cert'?: string; 'tls-key'?: string }): { auth: AuthTokens; tls?: { cert: Buffer; key: Buffer } } | string {
  let auth: AuthTokens;
  try {
    auth = AuthTokens.load({ file: values['auth-token-file'], env: process.env.WEKEO_AUTH_TOKENS });
  } catch (e) {
    if (e instanceof AuthConfigError) return e.message;
    throw e;
  }
  if (!auth.enabled && !isLoopback(values.host!) && !values['allow-anonymous']) {
    return `refusing to serve ${values.host} without authentication: give tokens (--auth-token-file FILE or WEKEO_AUTH_TOKENS) or --allow-anonymous to serve anyone who can reach this address`;
  }
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) return '--tls-cert and --tls-key must be given together';
  if (values['tls-cert'] === undefined) return { auth };
  const read = (flag: string, file: string): Buffer | string => {
    try {
      return readFileSync(file);
    } catch (e) {
      return `${flag}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`;
    }
  };
  const cert = read('--tls-cert', values['tls-cert']);
  const key = read('--tls-key', values['tls-key']!);
  if (typeof cert === 'string') return cert;
  if (typeof key === 'string') return key;
  if (!cert.toString('latin1').includes('-----BEGIN CERTIFICATE-----')) return '--tls-cert must be a PEM certificate (chain)';
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key.toString('latin1'))) return '--tls-key must be a PEM private key';
  return { auth, tls: { cert, key } };
}

/** --peers / --peers-file: the instances sharing this catalog and secret, this one included. */
async function startPeers(values: { peers?: string; 'peers-file'?: string; secret?: string }, self: string, tlsRoots?: Buffer): Promise<PeerSet | undefined> {
  if (values.peers === undefined && values['peers-file'] === undefined) return undefined;
  if (values.peers !== undefined && values['peers-file'] !== undefined) throw new Error('give either --peers or --peers-file, not both');
  // Tickets planned on one instance are served by another: they must share the signing key.
  if (!values.secret) throw new Error('--peers/--peers-file need --secret (or WEKEO_TICKET_SECRET), the same on every instance');
  const list = values.peers !== undefined ? { peers: parsePeerList(values.peers, '--peers') } : { file: values['peers-file'] };
  // With TLS, peers are checked over TLS trusting this bridge's own certificate (a shared one or its CA chain).
  const peers = new PeerSet(self, { ...list, tlsRoots });
  await peers.start();
  if (!peers.includesSelf) process.stderr.write(`warning: the peer list does not include this bridge's location ${self} (set --advertise to how the others name it); it will own no partitions\n`);
  return peers;
}

function intOption(name: string, v: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got "${v}"`);
  return n;
}
