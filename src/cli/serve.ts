import { parseArgs } from 'node:util';
import { Catalog } from '../catalog/catalog.js';
import { EMBEDDED_CATALOG, LocalSource } from '../catalog/local-source.js';
import type { DatasetSource } from '../catalog/types.js';
import { BridgeCore, DEFAULT_CACHE_BYTES } from '../bridge/core.js';
import { formatSize, parseSize } from '../text/size.js';
import { startFlightServer } from '../bridge/flight-server.js';
import { startHttpServer } from '../bridge/http-server.js';
import { DEFAULT_TARGET_ROWS } from '../partitioner/plan.js';
import { DecodePool } from '../workers/decode-pool.js';
import { HdaSource } from '../catalog/hda-source.js';
import { DownloadCache } from '../hda/cache.js';
import { HdaClient } from '../hda/client.js';
import { tryLoadConfig } from '../hda/config.js';
import { defaultCacheDir } from './hda.js';

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
      'cache-mem': { type: 'string', default: String(DEFAULT_CACHE_BYTES) },
      workers: { type: 'string' },
      secret: { type: 'string', default: process.env.WEKEO_TICKET_SECRET },
      'hda-url': { type: 'string' },
      'hda-cache': { type: 'string' },
      'hda-parallel': { type: 'string', default: '2' },
      'hda-datasets': { type: 'string' },
      'accept-terms': { type: 'boolean', default: false },
    },
  });
  const port = intOption('port', values.port!, 0);
  const targetRows = intOption('target-rows', values['target-rows']!, 1);
  const cacheBytes = parseSize(values['cache-mem']!, '--cache-mem');
  const workers = values.workers !== undefined ? intOption('workers', values.workers, 1) : undefined;
  const catalogDir = values.catalog ?? EMBEDDED_CATALOG;

  const sources: DatasetSource[] = [new LocalSource(catalogDir)];
  // With WEkEO credentials (~/.hdarc, HDA_USER/HDA_PASSWORD), HDA dataset ids are served too.
  const hdaConfig = tryLoadConfig({ url: values['hda-url'] });
  if (hdaConfig) {
    const client = new HdaClient(hdaConfig, { acceptTerms: values['accept-terms'] });
    const cache = new DownloadCache(values['hda-cache'] ?? defaultCacheDir());
    const announce = values['hda-datasets']?.split(',').map((s) => s.trim()).filter(Boolean);
    sources.push(new HdaSource(client, cache, { parallel: intOption('hda-parallel', values['hda-parallel']!, 1), announce }));
  }
  const pool = new DecodePool({ size: workers });
  const catalog = new Catalog(sources, (p) => pool.describe(p));
  const core = new BridgeCore(catalog, pool, { targetRows, secret: values.secret, cacheBytes });
  const flight = await startFlightServer(core, values.host!, port, values.advertise);
  const http = values['http-port'] !== undefined ? await startHttpServer(core, values.host!, intOption('http-port', values['http-port'], 0)) : undefined;

  const host = values.advertise ?? (values.host === '0.0.0.0' ? 'localhost' : values.host!);
  const uri = `grpc://${host}:${flight.port}`;
  const datasets = await catalog.list();
  const first = datasets[0]?.name ?? 'DATASET';
  // The first line is machine-read by tests and scripts: keep its format.
  process.stdout.write(`wekeo-bridge listening on ${uri}\n`);
  if (http) process.stdout.write(`wekeo-bridge http on http://${host}:${http.port}\n`);
  process.stdout.write(
    [
      `catalog: ${catalogDir}${values.catalog ? '' : ' (embedded samples)'}`,
      `WEkEO HDA: ${hdaConfig ? `${hdaConfig.url} (credentials from ${hdaConfig.source}); any EO:* dataset id can be queried` : 'no credentials (~/.hdarc), local catalog only'}`,
      `datasets: ${datasets.map((d) => d.name).join(', ') || '(none)'}`,
      `decode workers: ${pool.size}, target rows per partition: ${targetRows}, decoded-partition cache: ${formatSize(cacheBytes)}`,
      '',
      'Read it from Python (pip install pyarrow):',
      '  import json, pyarrow as pa, pyarrow.flight as fl',
      `  c = fl.connect("${uri}")`,
      `  info = c.get_flight_info(fl.FlightDescriptor.for_command(json.dumps({"dataset": "${first}"})))`,
      '  table = pa.concat_tables(c.do_get(e.ticket).read_all() for e in info.endpoints)',
      '',
      'Read it from Spark (jar: jvm-shim/target/wekeo-spark-*.jar):',
      `  spark.read.format("wekeo").option("endpoint", "${uri}").option("dataset", "${first}").load()`,
      ...(http ? ['', 'Plain Arrow IPC stream (TensorFlow, curl):', `  curl "http://${host}:${http.port}/stream?dataset=${first}" > ${first}.arrows`] : []),
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
  await Promise.all([flight.close(), http?.close()]);
  await pool.close();
  return 0;
}

function intOption(name: string, v: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got "${v}"`);
  return n;
}
