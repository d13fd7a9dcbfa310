/**
 * Parses Flight descriptors into dataset queries. CMD carries UTF-8 JSON
 * `{"dataset", "bbox": [w, s, e, n], "start", "end", "variables": [...], "columns": [...],
 * "levels": {min, max} | [...], "numbers": [...]}`; PATH carries [dataset].
 * Anything malformed is rejected with a message that says which key is wrong and why: a typo'd
 * key silently ignored would turn a small query into a full-dataset scan. An inverted range
 * (start after end, south above north, levels min above max, an empty list) is not malformed:
 * clients push predicates such as `lat > 50 AND lat < 40`, whose answer is no rows, so the query
 * is marked `empty` and planned into zero endpoints.
 */
import type { BBox } from '../catalog/types.js';
import { quote } from '../text/quote.js';

export interface BridgeQuery {
  dataset: string;
  bbox?: BBox;
  startUs?: number;
  endUs?: number;
  variables?: string[];
  /** Read one variable group only (an id from ListFlights or `describe`); default: every group reached. */
  group?: string;
  filters?: Record<string, string>;
  /** Row layout: one row per grid cell (points, default) or per h × w chip (tiles). */
  layout?: 'points' | 'tiles';
  tile?: [number, number];
  /** Output columns (coordinates and variables) to send; absent = all. `[]` sends rows without columns (count). */
  columns?: string[];
  /** Vertical levels to keep: a closed range or a list of values. */
  levels?: LevelSelection;
  /** Ensemble members to keep. */
  numbers?: number[];
  /** The ranges contradict each other: the answer is no rows (zero endpoints). */
  empty?: boolean;
}

export type LevelSelection = { min?: number; max?: number } | number[];

export class QueryError extends Error {
  override readonly name = 'QueryError';
}

const KEYS = new Set(['dataset', 'group', 'bbox', 'start', 'end', 'variables', 'filters', 'layout', 'tile', 'columns', 'levels', 'numbers']);

/** Largest chip side accepted in the tiles layout. */
export const MAX_TILE_SIDE = 1024;

export interface DescriptorLike {
  type?: string | number;
  cmd?: Uint8Array | Buffer;
  path?: string[];
}

export function parseDescriptor(d: DescriptorLike): BridgeQuery {
  const type = d.type === 1 || d.type === 'PATH' ? 'PATH' : d.type === 2 || d.type === 'CMD' ? 'CMD' : 'UNKNOWN';
  if (type === 'PATH') {
    const path = d.path ?? [];
    if (path.length < 1 || path.length > 2 || path.some((p) => !p)) throw new QueryError(`PATH descriptor must be [dataset] or [dataset, group], got ${quote(JSON.stringify(path))}`);
    return path.length === 2 ? { dataset: path[0]!, group: path[1]! } : { dataset: path[0]! };
  }
  if (type === 'CMD') return parseCommand(Buffer.from(d.cmd ?? new Uint8Array()).toString('utf8'));
  throw new QueryError('descriptor type must be CMD (JSON query) or PATH ([dataset])');
}

export function parseCommand(text: string): BridgeQuery {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new QueryError(`CMD is not valid JSON: ${quote((e as Error).message)}`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new QueryError('CMD must be a JSON object');
  return parseQueryObject(raw as Record<string, unknown>);
}

/**
 * URL query parameters (HTTP routes) in the same model: `bbox=w,s,e,n`, `variables=a,b`,
 * `tile=h,w`, `filters=<JSON object>`, the rest as strings; then the same checks as CMD, so a
 * bad query gets the same error over HTTP as over Flight. Routes that name the dataset in their
 * path (/datasets/{id}/...) pass it as `pathDataset`.
 */
export function queryFromParams(p: URLSearchParams, pathDataset?: string): BridgeQuery {
  const obj: Record<string, unknown> = {};
  const list = (v: string) => v.split(',').map((x) => x.trim());
  for (const [k, v] of p) {
    if (k === 'token') continue; // credentials, not part of the query
    if (k in obj) throw new QueryError(`query parameter ${quote(k)} is given twice`);
    if (k === 'bbox' || k === 'tile') obj[k] = list(v).map((x) => (x === '' ? NaN : Number(x)));
    else if (k === 'variables') obj[k] = list(v).filter(Boolean);
    else if (k === 'filters') obj[k] = jsonOrText(v);
    else obj[k] = v;
  }
  if (pathDataset !== undefined) {
    if ('dataset' in obj) throw new QueryError('"dataset" is given by the path (/datasets/{id}); remove the dataset= parameter');
    obj.dataset = pathDataset;
  }
  return parseQueryObject(obj);
}

/** A JSON value, or the text itself when it is not JSON (then the object check names the key). */
function jsonOrText(v: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

function parseQueryObject(obj: Record<string, unknown>): BridgeQuery {
  for (const k of Object.keys(obj)) {
    if (!KEYS.has(k)) throw new QueryError(`unknown query key ${quote(k)} (allowed: ${[...KEYS].join(', ')})`);
  }
  if (typeof obj.dataset !== 'string' || !obj.dataset) throw new QueryError('"dataset" (a non-empty string) is required');
  const q: BridgeQuery = { dataset: obj.dataset };
  if (obj.group !== undefined) {
    if (typeof obj.group !== 'string' || !obj.group) throw new QueryError('"group" must be a variable group id (a non-empty string)');
    q.group = obj.group;
  }
  if (obj.bbox !== undefined) {
    q.bbox = parseBBox(obj.bbox, true);
    if (q.bbox[1] > q.bbox[3]) q.empty = true;
  }
  if (obj.start !== undefined) q.startUs = parseTime(obj.start, 'start');
  if (obj.end !== undefined) q.endUs = parseEnd(obj.end);
  if (q.startUs !== undefined && q.endUs !== undefined && q.startUs > q.endUs) q.empty = true;
  if (obj.columns !== undefined) {
    if (!Array.isArray(obj.columns) || obj.columns.some((v) => typeof v !== 'string' || !v)) throw new QueryError('"columns" must be an array of column names');
    q.columns = [...new Set(obj.columns as string[])];
  }
  if (obj.levels !== undefined) {
    q.levels = parseLevels(obj.levels);
    if (Array.isArray(q.levels) ? q.levels.length === 0 : q.levels.min !== undefined && q.levels.max !== undefined && q.levels.min > q.levels.max) q.empty = true;
  }
  if (obj.numbers !== undefined) {
    if (!Array.isArray(obj.numbers) || obj.numbers.some((v) => !Number.isInteger(v))) throw new QueryError('"numbers" must be an array of ensemble member integers');
    q.numbers = [...new Set(obj.numbers as number[])].sort((a, b) => a - b);
    if (q.numbers.length === 0) q.empty = true;
  }
  if (obj.variables !== undefined) {
    if (!Array.isArray(obj.variables) || obj.variables.some((v) => typeof v !== 'string' || !v)) {
      throw new QueryError('"variables" must be an array of variable names');
    }
    if (obj.variables.length) q.variables = [...new Set(obj.variables as string[])];
  }
  if (obj.filters !== undefined) {
    if (!obj.filters || typeof obj.filters !== 'object' || Array.isArray(obj.filters)) throw new QueryError('"filters" must be an object of strings');
    q.filters = Object.fromEntries(Object.entries(obj.filters as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
  }
  if (obj.layout !== undefined) {
    if (obj.layout !== 'points' && obj.layout !== 'tiles') throw new QueryError('"layout" must be "points" or "tiles"');
    q.layout = obj.layout;
  }
  if (obj.tile !== undefined) q.tile = parseTile(obj.tile);
  if (q.tile && q.layout !== 'tiles') throw new QueryError('"tile" needs "layout": "tiles"');
  return q;
}

export function parseTile(v: unknown): [number, number] {
  if (!Array.isArray(v) || v.length !== 2 || v.some((x) => !Number.isInteger(x) || x < 1 || x > MAX_TILE_SIDE)) {
    throw new QueryError(`"tile" must be [height, width] in grid cells, each 1..${MAX_TILE_SIDE}`);
  }
  return [v[0] as number, v[1] as number];
}

function parseLevels(v: unknown): LevelSelection {
  const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
  if (Array.isArray(v)) {
    if (!v.every(finite)) throw new QueryError('"levels" list must hold numbers');
    return [...new Set(v as number[])].sort((a, b) => a - b);
  }
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const bad = Object.keys(o).filter((k) => k !== 'min' && k !== 'max');
    if (bad.length || (o.min !== undefined && !finite(o.min)) || (o.max !== undefined && !finite(o.max))) {
      throw new QueryError('"levels" must be {"min": number, "max": number} (either may be left out) or a list of level values');
    }
    const r: { min?: number; max?: number } = {};
    if (o.min !== undefined) r.min = o.min as number;
    if (o.max !== undefined) r.max = o.max as number;
    return r;
  }
  throw new QueryError('"levels" must be {"min": number, "max": number} or a list of level values');
}

/** `allowInverted`: south above north is an empty query (pushed predicates), not an error. */
export function parseBBox(v: unknown, allowInverted = false): BBox {
  if (!Array.isArray(v) || v.length !== 4 || v.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
    throw new QueryError('"bbox" must be [west, south, east, north] in degrees');
  }
  const [w, s, e, n] = v as number[];
  if (s! > n! && !allowInverted) throw new QueryError(`"bbox" south (${s}) is greater than north (${n})`);
  if (s! < -90 || n! > 90) throw new QueryError('"bbox" latitudes must lie within [-90, 90]');
  if (w! < -360 || e! > 360) throw new QueryError('"bbox" longitudes must lie within [-360, 360]');
  return [w!, s!, e!, n!];
}

/**
 * Inclusive `end`: the last microsecond of the unit it is written to, so `"end": "2026-02-19T04:20"`
 * covers 04:20:00 to 04:20:59.999999 (a GRIB valid time of 04:20:39 is kept to the second) and
 * `"end": "2024-01-18"` covers that day; a time with seconds is taken as it is.
 */
export function parseEnd(v: unknown): number {
  const us = parseTime(v, 'end');
  const m = /^\d{4}-\d{2}-\d{2}(?:[T ](\d\d)(?::(\d\d)(?::(\d\d)(\.\d+)?)?)?)?/.exec(v as string)!;
  if (m[3] !== undefined) return us;
  const unitUs = m[2] !== undefined ? 60e6 : m[1] !== undefined ? 3600e6 : 86400e6;
  return us + unitUs - 1;
}

/** ISO-8601 to epoch microseconds; a date without zone is taken as UTC (the convention of CF and HDA). */
export function parseTime(v: unknown, key: string): number {
  if (typeof v !== 'string' || !v) throw new QueryError(`"${key}" must be an ISO-8601 string`);
  const hasZone = /([zZ]|[+-]\d\d:?\d\d)$/.test(v) || /^\d{4}-\d{2}-\d{2}$/.test(v);
  const ms = Date.parse(hasZone ? v : `${v}Z`);
  if (Number.isNaN(ms)) throw new QueryError(`"${key}" is not an ISO-8601 date/time: ${quote(v)}`);
  // Date keeps milliseconds; timestamps are microseconds, so digits 4-6 of the fraction are added back.
  const frac = /T\d\d:\d\d:\d\d\.\d{3}(\d{1,3})/.exec(v);
  return ms * 1000 + (frac ? Number(frac[1]!.padEnd(3, '0')) : 0);
}
