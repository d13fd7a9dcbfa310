/**
 * The `wekeo` command line: `serve` runs the bridge, `inspect` prints per-field statistics of a
 * file, `hda` talks to WEkEO's Harmonised Data Access API, `export` writes a query as Parquet.
 */
import { describeCommand } from './describe.js';
import { inspectCommand } from './inspect.js';
import { serveCommand } from './serve.js';

export const USAGE = `usage: wekeo <command> [options]

commands:
  serve [--catalog DIR] [--host H] [--port 8815] [--http-port N] [--target-rows N] [--target-bytes 64MiB] [--workers N] [--secret S] [--cache-mem 512MiB]
        [--auth-token-file FILE] [--allow-anonymous] [--tls-cert FILE --tls-key FILE]
        [--peers URI,URI | --peers-file FILE] [--cache-dir DIR] [--cache-disk 10GiB]
        serve datasets over Arrow Flight (default: the embedded sample catalog)
  inspect FILE [--json]
        decode a GRIB/NetCDF/GeoTIFF file (on every decode worker) and print count/missing/min/max/mean per field
  describe FILE
        print the metadata the planner uses (variable groups, axes, grid) as JSON
  hda <datasets|queryables|search|download> ...
        WEkEO Harmonised Data Access client (see "wekeo hda --help")
  export --dataset NAME --out DIR [--catalog DIR | --endpoint grpc://H:P] [--bbox ..] [--start ..] [--end ..]
         [--variables a,b] [--layout points|tiles] [--partition-by day|month|year] [--compression zstd|snappy]
        write a query's rows as hive-partitioned Parquet (see "wekeo export --help")
`;

export async function run(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  // `wekeo inspect x.grib --json | head`: a reader that stops early is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  try {
    switch (cmd) {
      case 'serve':
        return await serveCommand(rest);
      case 'inspect':
        return await inspectCommand(rest);
      case 'describe':
        return await describeCommand(rest);
      case 'export': {
        const { exportCommand } = await import('./export.js');
        return await exportCommand(rest);
      }
      case 'hda': {
        const { hdaCommand } = await import('./hda.js');
        return await hdaCommand(rest);
      }
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(USAGE);
        return cmd === undefined ? 2 : 0;
      default:
        process.stderr.write(`wekeo: unknown command "${cmd}"\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    process.stderr.write(`wekeo ${cmd}: ${(err as Error).message}\n`);
    return 1;
  }
}
