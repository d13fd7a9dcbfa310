/**
 * `wekeo hda ...`: the WEkEO Harmonised Data Access client on the command line.
 *   datasets [--search TEXT] [--limit N] [--json]
 *   queryables DATASET [--json]
 *   search DATASET [--bbox w,s,e,n] [--start ISO] [--end ISO] [--filter key=value ...] [--limit N] [--json]
 *   download DATASET [same filters] --out DIR [--parallel 2] [--accept-terms]
 * Credentials: ~/.hdarc (or $HDA_RC), HDA_USER/HDA_PASSWORD, or --user/--password; --url or
 * HDA_URL points at another broker.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DownloadCache } from '../hda/cache.js';
import { HdaClient, type Product } from '../hda/client.js';
import { loadConfig } from '../hda/config.js';
import { downloadProducts } from '../hda/downloader.js';
import type { GenericQuery } from '../hda/filters.js';
import { parseBBox, parseTime } from '../bridge/query.js';
import { glueNegativeValues } from './args.js';

export const HDA_USAGE = `usage: wekeo hda <command> [options]
  datasets [--search TEXT] [--limit N] [--json]
  queryables DATASET
  search DATASET [--bbox w,s,e,n] [--start ISO] [--end ISO] [--filter key=value ...] [--limit N] [--json]
  download DATASET [filters as for search] --out DIR [--parallel 2] [--accept-terms]
options: --url URL  --user NAME  --password SECRET  --rc FILE  --cache DIR
credentials: ~/.hdarc ("user: NAME" / "password: SECRET"), $HDA_RC, $HDA_USER/$HDA_PASSWORD
`;

export function defaultCacheDir(): string {
  return process.env.WEKEO_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'wekeo-bridge', 'hda');
}

export async function hdaCommand(argv: string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } = process): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h') {
    io.stdout.write(HDA_USAGE);
    return cmd ? 0 : 2;
  }
  const options = {
    url: { type: 'string' },
    user: { type: 'string' },
    password: { type: 'string' },
    rc: { type: 'string' },
    json: { type: 'boolean', default: false },
    search: { type: 'string' },
    limit: { type: 'string' },
    bbox: { type: 'string' },
    start: { type: 'string' },
    end: { type: 'string' },
    filter: { type: 'string', multiple: true },
    out: { type: 'string' },
    parallel: { type: 'string', default: '2' },
    cache: { type: 'string' },
    'accept-terms': { type: 'boolean', default: false },
  } as const;
  const { values, positionals } = parseArgs({ args: glueNegativeValues(rest, options), allowPositionals: true, options });
  const config = loadConfig({ url: values.url, user: values.user, password: values.password, rcPath: values.rc });
  const client = new HdaClient(config, { acceptTerms: values['accept-terms'] });
  const limit = values.limit ? Number(values.limit) : Infinity;
  const out = (s: string) => io.stdout.write(s);
  try {
    switch (cmd) {
      case 'datasets': {
        const list = [];
        for await (const d of client.datasets(values.search, limit)) list.push(d);
        if (values.json) out(`${JSON.stringify(list, null, 2)}\n`);
        else for (const d of list) out(`${d.id}\t${d.title}\n`);
        return 0;
      }
      case 'queryables': {
        const id = need(positionals[0], 'DATASET');
        const q = await client.queryables(id);
        if (values.json) out(`${JSON.stringify(q, null, 2)}\n`);
        else for (const [k, v] of Object.entries(q.properties ?? {})) out(`${k}\t${v.type ?? ''}${v.format ? ` (${v.format})` : ''}${v.oneOf ? `\t${v.oneOf.map((o) => String(o.const)).join(', ')}` : ''}\n`);
        return 0;
      }
      case 'search':
      case 'download': {
        const id = need(positionals[0], 'DATASET');
        const q = genericQuery(values);
        const products: Product[] = [];
        for await (const p of client.search(id, q, limit)) products.push(p);
        if (cmd === 'search') {
          if (values.json) out(`${JSON.stringify(products, null, 2)}\n`);
          else for (const p of products) out(`${p.id}\t${p.size ?? 'ND'}\t${p.start ?? ''}\t${p.end ?? ''}\n`);
          return 0;
        }
        const dir = need(values.out, '--out DIR');
        await mkdir(dir, { recursive: true });
        const cache = new DownloadCache(values.cache ?? defaultCacheDir());
        const got = await downloadProducts(client, cache, products, { parallel: Number(values.parallel) });
        for (const g of got) {
          await copyFile(join(g.dir, g.entry.filename), join(dir, g.entry.filename));
          out(`${join(dir, g.entry.filename)}\n`);
        }
        return 0;
      }
      default:
        io.stderr.write(`wekeo hda: unknown command "${cmd}"\n${HDA_USAGE}`);
        return 2;
    }
  } finally {
    await client.close();
  }
}

function need(v: string | undefined, what: string): string {
  if (!v) throw new Error(`missing ${what}\n${HDA_USAGE}`);
  return v;
}

function genericQuery(v: { bbox?: string; start?: string; end?: string; filter?: string[] }): GenericQuery {
  const q: GenericQuery = {};
  if (v.bbox) q.bbox = parseBBox(v.bbox.split(',').map(Number));
  if (v.start) q.start = new Date(parseTime(v.start, 'start') / 1000);
  if (v.end) q.end = new Date(parseTime(v.end, 'end') / 1000);
  if (v.filter?.length) {
    q.filters = {};
    for (const f of v.filter) {
      const i = f.indexOf('=');
      if (i <= 0) throw new Error(`--filter must be key=value, got "${f}"`);
      const k = f.slice(0, i);
      const val = f.slice(i + 1);
      const prev = q.filters[k];
      q.filters[k] = prev === undefined ? val : [...(Array.isArray(prev) ? prev : [prev]), val];
    }
  }
  return q;
}
