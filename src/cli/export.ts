/**
 * `wekeo export`: a query's rows as hive-partitioned Parquet, read from a catalog folder (or
 * the embedded samples, or WEkEO HDA with credentials) decoded in this process, or from a
 * running bridge with --endpoint. Ctrl+C stops cleanly: nothing is left under a final name.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { FlightClientOptions } from '../bridge/flight-client.js';
import { BridgeCore } from '../bridge/core.js';
import { Catalog } from '../catalog/catalog.js';
import { HdaSource } from '../catalog/hda-source.js';
import { EMBEDDED_CATALOG, LocalSource } from '../catalog/local-source.js';
import type { DatasetSource } from '../catalog/types.js';
import { planLocal, planRemote, type ExportQuery, type PlannedExport } from '../export/batch-source.js';
import { ExportError, exportParquet, prepareOut } from '../export/export.js';
import type { Compression } from '../export/parquet-file.js';
import type { PartitionBy } from '../export/partition-keys.js';
import { DownloadCache } from '../hda/cache.js';
import { HdaClient } from '../hda/client.js';
import { tryLoadConfig } from '../hda/config.js';
import { formatSize } from '../text/size.js';
import { DecodePool } from '../workers/decode-pool.js';
import { glueNegativeValues } from './args.js';
import { defaultCacheDir } from './hda.js';

export const EXPORT_USAGE = `usage: wekeo export --dataset NAME --out DIR [options]
  --catalog DIR            catalog folder (default: the embedded samples; EO:* ids through WEkEO HDA)
  --endpoint grpc://H:P    read from a running bridge instead of decoding here (grpc+tls://H:P for TLS)
  --token T                bearer token for a secured bridge (or WEKEO_TOKEN, which ps does not show)
  --tls-root-certs FILE    PEM certificate(s) to trust for grpc+tls:// (a self-signed bridge)
  --bbox w,s,e,n  --start T  --end T  --variables a,b  --layout points|tiles  --tile h,w
  --partition-by day|month|year   (default month)      --compression zstd|snappy (default zstd)
  --lat-band DEG           latitude band key width (default: 30 when more than 20 M rows, 0 = none)
  --workers N              decode workers (local reads)
`;

export async function exportCommand(argv: string[], io: { stderr: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean } } = process): Promise<number> {
  // Decode workers do not keep a process alive (a server must be able to exit): this does, meanwhile.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  try {
    return await runExport(argv, io);
  } finally {
    clearInterval(keepAlive);
  }
}

async function runExport(argv: string[], io: { stderr: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean } }): Promise<number> {
  const options = {
    dataset: { type: 'string' },
    catalog: { type: 'string' },
    endpoint: { type: 'string' },
    token: { type: 'string' },
    'tls-root-certs': { type: 'string' },
    bbox: { type: 'string' },
    start: { type: 'string' },
    end: { type: 'string' },
    variables: { type: 'string' },
    layout: { type: 'string' },
    tile: { type: 'string' },
    out: { type: 'string' },
    'partition-by': { type: 'string', default: 'month' },
    compression: { type: 'string', default: 'zstd' },
    'lat-band': { type: 'string' },
    workers: { type: 'string' },
    'accept-terms': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  } as const;
  const { values } = parseArgs({ args: glueNegativeValues(argv, options), options });
  if (values.help) {
    process.stdout.write(EXPORT_USAGE);
    return 0;
  }
  if (!values.dataset) throw new ExportError(`missing --dataset NAME\n${EXPORT_USAGE}`);
  if (!values.out) throw new ExportError(`missing --out DIR\n${EXPORT_USAGE}`);
  const partitionBy = oneOf(values['partition-by']!, ['day', 'month', 'year'] as const, '--partition-by');
  const compression = oneOf(values.compression!, ['zstd', 'snappy'] as const, '--compression');
  if (values.endpoint && values.catalog) throw new ExportError('give either --endpoint (a running bridge) or --catalog (decode here), not both');
  const query: ExportQuery = { dataset: values.dataset };
  if (values.bbox !== undefined) query.bbox = numbers(values.bbox, '--bbox', 4) as [number, number, number, number];
  if (values.start !== undefined) query.start = values.start;
  if (values.end !== undefined) query.end = values.end;
  if (values.variables !== undefined) query.variables = values.variables.split(',').map((s) => s.trim()).filter(Boolean);
  if (values.layout !== undefined) query.layout = oneOf(values.layout, ['points', 'tiles'] as const, '--layout');
  if (values.tile !== undefined) query.tile = numbers(values.tile, '--tile', 2) as [number, number];
  const latBand = values['lat-band'] !== undefined ? numbers(values['lat-band'], '--lat-band', 1)[0]! : undefined;
  if (latBand !== undefined && !(latBand >= 0 && latBand <= 180)) throw new ExportError(`--lat-band must be between 0 and 180 degrees, got ${values['lat-band']}`);

  const remote = values.endpoint ? remoteOptions(values.endpoint, values.token ?? process.env.WEKEO_TOKEN, values['tls-root-certs']) : undefined;
  if (!values.endpoint && (values.token !== undefined || values['tls-root-certs'] !== undefined)) throw new ExportError('--token and --tls-root-certs apply to --endpoint (a running bridge) only');

  await prepareOut(values.out); // before planning: a wrong folder fails at once
  const plan: PlannedExport = values.endpoint ? await planRemote(values.endpoint, query, remote) : await planHere(query, values.catalog, values.workers, values['accept-terms']!);
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    io.stderr.write(`exporting ${plan.rows.toLocaleString('en-US')} planned rows of ${values.dataset} (${plan.partitions} partitions) to ${values.out}\n`);
    const r = await exportParquet(plan, { out: values.out, partitionBy, compression, latBand, progress: io.stderr, signal: abort.signal });
    const mbps = r.arrowBytes / 1e6 / Math.max(r.seconds, 1e-3);
    io.stderr.write(`wrote ${r.rows.toLocaleString('en-US')} rows in ${r.files.length} files (${formatSize(r.parquetBytes)} Parquet, ${formatSize(r.arrowBytes)} Arrow) in ${r.seconds.toFixed(1)} s, ${mbps.toFixed(0)} MB/s\n`);
    return 0;
  } catch (e) {
    if (abort.signal.aborted) {
      io.stderr.write('\nwekeo export: interrupted; no file was left under a final name\n');
      return 130;
    }
    throw e;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

async function planHere(query: ExportQuery, catalogDir: string | undefined, workers: string | undefined, acceptTerms: boolean): Promise<PlannedExport> {
  const sources: DatasetSource[] = [new LocalSource(catalogDir ?? EMBEDDED_CATALOG)];
  const hda = tryLoadConfig();
  let client: HdaClient | undefined;
  if (hda) {
    client = new HdaClient(hda, { acceptTerms });
    sources.push(new HdaSource(client, new DownloadCache(defaultCacheDir())));
  }
  const size = workers !== undefined ? numbers(workers, '--workers', 1)[0] : undefined;
  if (size !== undefined && !(Number.isInteger(size) && size >= 1)) throw new ExportError(`--workers must be an integer >= 1, got ${workers}`);
  const pool = new DecodePool({ size });
  const close = async () => {
    await pool.close();
    await client?.close();
  };
  try {
    const core = new BridgeCore(new Catalog(sources, (p) => pool.describe(p)), pool, { cacheBytes: 0 });
    return await planLocal(core, query, close);
  } catch (e) {
    await close();
    throw e;
  }
}

/** Flight client options of --endpoint: a bearer token, and the roots trusted for grpc+tls://. */
function remoteOptions(endpoint: string, token: string | undefined, rootsFile: string | undefined): FlightClientOptions {
  if (!/^grpc(\+tcp|\+tls)?:\/\/[^/\s]+$/.test(endpoint)) throw new ExportError(`--endpoint must be grpc://host:port or grpc+tls://host:port, got "${endpoint.slice(0, 80)}"`);
  const opts: FlightClientOptions = {};
  if (token !== undefined) {
    if (!token.trim()) throw new ExportError('the bearer token (--token or WEKEO_TOKEN) is empty');
    opts.token = token.trim();
  }
  if (rootsFile !== undefined) {
    if (!endpoint.startsWith('grpc+tls://')) throw new ExportError(`--tls-root-certs needs a grpc+tls:// endpoint, got ${endpoint}`);
    let pem: Buffer;
    try {
      pem = readFileSync(rootsFile);
    } catch (e) {
      throw new ExportError(`cannot read --tls-root-certs ${rootsFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new ExportError(`--tls-root-certs ${rootsFile} holds no PEM certificate`);
    opts.tlsRootCerts = pem;
  }
  return opts;
}

function oneOf<T extends string>(v: string, allowed: readonly T[], name: string): T {
  if (!(allowed as readonly string[]).includes(v)) throw new ExportError(`${name} must be one of ${allowed.join(', ')}, got "${v.slice(0, 50)}"`);
  return v as T;
}

function numbers(v: string, name: string, count: number): number[] {
  const parts = v.split(',').map((s) => Number(s.trim()));
  if (parts.length !== count || parts.some((n) => !Number.isFinite(n) || v.trim() === '')) throw new ExportError(`${name} must be ${count} comma-separated number${count > 1 ? 's' : ''}, got "${v.slice(0, 50)}"`);
  return parts;
}
