/**
 * Quicklook images (GET /datasets/{id}/quicklook.png?variable=&time=&level=): one time step and
 * level of one variable, decoded through the same plan and tickets as any query, drawn as a
 * colour map with a legend (colour bar, min and max). Meant for a person checking a dataset on
 * the catalog page, not for analysis: the picture is bounded in cells and pixels.
 */
import type { RecordBatch } from 'apache-arrow';
import { Schema } from 'apache-arrow';
import type { VariableGroup } from '../decoders/types.js';
import { quote } from '../text/quote.js';
import type { BridgeCore } from './core.js';
import { encodePng } from './png.js';
import { parseTime, QueryError } from './query.js';

/** Largest time step drawn (points read for one image). */
export const MAX_QUICKLOOK_CELLS = 4_000_000;
/** Longest side of the map in pixels, and the size small grids are enlarged to. */
const MAX_SIDE = 720;
const TARGET_WIDTH = 480;
const LEGEND_HEIGHT = 34;
const MISSING: [number, number, number] = [200, 200, 200];

const PARAMS = new Set(['variable', 'time', 'level', 'token']);

export interface Quicklook {
  png: Buffer;
  variable: string;
  time: string | null;
  level: number | null;
  min: number | null;
  max: number | null;
}

export async function renderQuicklook(core: BridgeCore, dataset: string, params: URLSearchParams): Promise<Quicklook> {
  for (const k of params.keys()) if (!PARAMS.has(k)) throw new QueryError(`unknown quicklook parameter ${quote(k)} (allowed: variable, time, level)`);
  const files = await core.catalog.files(dataset, {});
  const groups = (await Promise.all(files.map((f) => core.catalog.describe(f.path)))).flatMap((d) => d.groups);
  const variable = params.get('variable') ?? groups.find((g) => g.variables.length)?.variables[0]?.name;
  if (!variable) throw new QueryError(`dataset ${quote(dataset)} has no variables to draw`);
  const mine = groups.filter((g) => g.variables.some((v) => v.name === variable));
  if (!mine.length) throw new QueryError(`variable ${quote(variable)} is not in dataset ${quote(dataset)}`);
  if (!mine[0]!.coordinates.some((c) => c.name === 'lat')) throw new QueryError(`variable ${quote(variable)} has no latitude/longitude grid to draw`);
  const timeUs = params.has('time') ? parseTime(params.get('time'), 'time') : firstTime(mine);
  const level = params.has('level') ? parseLevel(params.get('level')!) : firstLevel(mine);

  const planned = await core.planQuery({ dataset, variables: [variable], startUs: timeUs ?? undefined, endUs: timeUs ?? undefined });
  if (planned.totalRows > MAX_QUICKLOOK_CELLS * Math.max(1, mine[0]!.levels.length)) {
    throw new QueryError(`one time step of ${quote(variable)} has ${planned.totalRows} cells, more than a quicklook draws (${MAX_QUICKLOOK_CELLS})`);
  }
  const pts = { lat: [] as number[], lon: [] as number[], value: [] as Array<number | null> };
  for (const t of planned.tickets) {
    for await (const item of core.streamTicket(t.ticket)) {
      if (item instanceof Schema) continue;
      collect(item as RecordBatch, variable, level, pts);
    }
  }
  if (!pts.lat.length) throw new QueryError(`no ${quote(variable)} values at ${timeUs === null ? 'that time' : iso(timeUs)}${level === null ? '' : ` and level ${level}`}`);
  const image = draw(pts);
  return { png: image.png, variable, time: timeUs === null ? null : iso(timeUs), level, min: image.min, max: image.max };
}

function parseLevel(v: string): number {
  const n = Number(v);
  if (v === '' || !Number.isFinite(n)) throw new QueryError(`"level" must be a number, got ${quote(v)}`);
  return n;
}

function firstTime(groups: VariableGroup[]): number | null {
  const ts = groups.flatMap((g) => (g.times.length ? [g.times[0]!] : []));
  return ts.length ? ts.reduce((a, b) => Math.min(a, b)) : null;
}

function firstLevel(groups: VariableGroup[]): number | null {
  const ls = groups.flatMap((g) => (g.levels.length ? [g.levels[0]!] : []));
  return ls.length ? ls[0]! : null;
}

function collect(batch: RecordBatch, variable: string, level: number | null, out: { lat: number[]; lon: number[]; value: Array<number | null> }): void {
  const lat = batch.getChild('lat')!;
  const lon = batch.getChild('lon')!;
  const val = batch.getChild(variable)!;
  const lev = batch.getChild('level');
  for (let i = 0; i < batch.numRows; i++) {
    if (level !== null && lev && lev.get(i) !== level) continue;
    out.lat.push(lat.get(i) as number);
    out.lon.push(lon.get(i) as number);
    const v = val.get(i) as number | null;
    out.value.push(v === null || Number.isNaN(v) ? null : v);
  }
}

/** Column (or row) index of each coordinate: exact for regular grids, binned otherwise. */
function axis(values: number[], maxCells: number, descending: boolean): { index: (v: number) => number; size: number } {
  const unique = [...new Set(values)].sort((a, b) => (descending ? b - a : a - b));
  if (unique.length <= maxCells) {
    const at = new Map(unique.map((v, i) => [v, i]));
    return { index: (v) => at.get(v)!, size: unique.length };
  }
  const lo = unique[descending ? unique.length - 1 : 0]!;
  const hi = unique[descending ? 0 : unique.length - 1]!;
  const scale = (maxCells - 1) / (hi - lo);
  return { index: (v) => Math.round((descending ? hi - v : v - lo) * scale), size: maxCells };
}

function draw(p: { lat: number[]; lon: number[]; value: Array<number | null> }): { png: Buffer; min: number | null; max: number | null } {
  const xs = axis(p.lon, MAX_SIDE, false);
  const ys = axis(p.lat, MAX_SIDE / 2, true);
  let min = Infinity;
  let max = -Infinity;
  for (const v of p.value) {
    if (v === null) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const hasValues = min <= max;
  const cells = new Float64Array(xs.size * ys.size).fill(NaN);
  for (let i = 0; i < p.value.length; i++) cells[ys.index(p.lat[i]!) * xs.size + xs.index(p.lon[i]!)] = p.value[i] ?? NaN;
  const zoom = Math.max(1, Math.floor(TARGET_WIDTH / xs.size));
  const width = Math.max(xs.size * zoom, 160);
  const mapHeight = ys.size * zoom;
  const height = mapHeight + LEGEND_HEIGHT;
  const rgb = new Uint8Array(width * height * 3).fill(255);
  const span = max - min || 1;
  for (let y = 0; y < mapHeight; y++) {
    for (let x = 0; x < xs.size * zoom; x++) {
      const v = cells[Math.floor(y / zoom) * xs.size + Math.floor(x / zoom)]!;
      rgb.set(Number.isNaN(v) ? MISSING : colour((v - min) / span), (y * width + x) * 3);
    }
  }
  // Legend: the colour bar across the width, min at the left end and max at the right.
  const barTop = mapHeight + 4;
  for (let y = barTop; y < barTop + 10; y++) for (let x = 0; x < width; x++) rgb.set(colour(x / (width - 1)), (y * width + x) * 3);
  if (hasValues) {
    text(rgb, width, label(min), 2, barTop + 14);
    const right = label(max);
    text(rgb, width, right, width - 2 - right.length * GLYPH_ADVANCE, barTop + 14);
  }
  return { png: encodePng(width, height, rgb), min: hasValues ? min : null, max: hasValues ? max : null };
}

/** Viridis-like scale through five stops (perceptually ordered, readable in grey). */
const STOPS: Array<[number, number, number]> = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

export function colour(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const a = STOPS[i]!;
  const b = STOPS[i + 1]!;
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}

function label(v: number): string {
  return Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : String(Number(v.toPrecision(5)));
}

/** 3 × 5 pixel glyphs (rows top to bottom, 3 bits each) for the legend's numbers. */
const GLYPHS: Record<string, number[]> = {
  '0': [7, 5, 5, 5, 7],
  '1': [2, 6, 2, 2, 7],
  '2': [7, 1, 7, 4, 7],
  '3': [7, 1, 7, 1, 7],
  '4': [5, 5, 7, 1, 1],
  '5': [7, 4, 7, 1, 7],
  '6': [7, 4, 7, 5, 7],
  '7': [7, 1, 1, 1, 1],
  '8': [7, 5, 7, 5, 7],
  '9': [7, 5, 7, 1, 7],
  '.': [0, 0, 0, 0, 2],
  '-': [0, 0, 7, 0, 0],
  '+': [0, 2, 7, 2, 0],
  e: [0, 7, 7, 4, 7],
};
const GLYPH_SCALE = 3;
const GLYPH_ADVANCE = 4 * GLYPH_SCALE;

function text(rgb: Uint8Array, width: number, s: string, x0: number, y0: number): void {
  for (let c = 0; c < s.length; c++) {
    const g = GLYPHS[s[c]!];
    if (!g) continue;
    for (let row = 0; row < 5; row++) {
      for (let col = 0; col < 3; col++) {
        if (!((g[row]! >> (2 - col)) & 1)) continue;
        for (let dy = 0; dy < GLYPH_SCALE; dy++) {
          for (let dx = 0; dx < GLYPH_SCALE; dx++) {
            const x = x0 + c * GLYPH_ADVANCE + col * GLYPH_SCALE + dx;
            const y = y0 + row * GLYPH_SCALE + dy;
            if (x >= 0 && x < width && y * width + x < rgb.length / 3) rgb.set([0, 0, 0], (y * width + x) * 3);
          }
        }
      }
    }
  }
}

const iso = (us: number) => new Date(Math.floor(us / 1000)).toISOString();
