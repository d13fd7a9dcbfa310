import { parseArgs } from 'node:util';
import { detect } from '../decoders/registry.js';
import { inWorker } from './in-worker.js';
import type { InspectReport } from '../decoders/types.js';

/** `wekeo inspect FILE [--json]`: the JSON shape {format, fields: [{name, count, missing, min, max, mean, ...}]} is stable. */
export async function inspectCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean', default: false } } });
  if (positionals.length !== 1) {
    process.stderr.write('usage: wekeo inspect FILE [--json]\n');
    return 2;
  }
  const file = positionals[0]!;
  await detect(file); // a clear "not a GRIB/NetCDF/GeoTIFF file" error before any worker starts
  const report = await inWorker((pool) => pool.inspect(file));
  process.stdout.write(values.json ? `${JSON.stringify(report, jsonSafe, 2)}\n` : formatTable(report));
  return 0;
}

/** NaN/Infinity are not JSON: print them as strings, the convention of the reference oracles. */
function jsonSafe(_k: string, v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  if (typeof v === 'bigint') return v.toString();
  return v;
}

function formatTable(r: InspectReport): string {
  const rows = r.fields.map((f) => [f.name, String(f.count), String(f.missing), fmt(f.min), fmt(f.max), fmt(f.mean)]);
  const head = ['name', 'count', 'missing', 'min', 'max', 'mean'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return `format: ${r.format}\n${[line(head), ...rows.map(line)].join('\n')}\n`;
}

function fmt(v: number | null): string {
  return v === null ? '-' : Number.isInteger(v) ? String(v) : v.toPrecision(8);
}
