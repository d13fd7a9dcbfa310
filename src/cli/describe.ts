import { parseArgs } from 'node:util';
import { detect } from '../decoders/registry.js';
import { inWorker } from './in-worker.js';

/** `wekeo describe FILE`: the metadata the planner sees (groups, variables, axes, grid), as JSON. */
export async function describeCommand(argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
  if (positionals.length !== 1) {
    process.stderr.write('usage: wekeo describe FILE\n');
    return 2;
  }
  const file = positionals[0]!;
  await detect(file); // a clear "not a GRIB/NetCDF/GeoTIFF file" error before any worker starts
  const desc = await inWorker((pool) => pool.describe(file));
  const summary = {
    ...desc,
    groups: desc.groups.map((g) => ({
      ...g,
      times: g.times.length > 8 ? { count: g.times.length, first: iso(g.times[0]!), last: iso(g.times.at(-1)!) } : g.times.map(iso),
      grid: { ...g.grid, rowLat: extent(g.grid.rowLat), colLon: extent(g.grid.colLon) },
    })),
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  return 0;
}

function iso(us: number): string {
  return new Date(us / 1000).toISOString();
}

/** Grids can have thousands of rows: show the overall extent instead of each row. */
function extent(r: Array<[number, number]>): { count: number; min: number; max: number } {
  let min = Infinity, max = -Infinity;
  for (const [a, b] of r) {
    if (a < min) min = a;
    if (b > max) max = b;
  }
  return { count: r.length, min, max };
}
