/**
 * Maps generic bbox/start/end onto a dataset's own search keys, as its queryables describe them.
 * Providers name the time range differently (dtstart/dtend, start/end, min_date/max_date,
 * startDate/completionDate, ...) and ERA5-style datasets take year/month/day/time lists. A filter
 * that cannot be mapped is an error: silently dropping it would search the whole catalogue.
 */
import { HdaQueryError } from './errors.js';

export interface Queryables {
  properties: Record<string, { type?: string; format?: string; oneOf?: Array<{ const: unknown }>; default?: unknown; items?: unknown }>;
}

export interface GenericQuery {
  bbox?: [number, number, number, number];
  start?: Date;
  end?: Date;
  /** Dataset-specific key=value filters, passed through (validated against the queryables). */
  filters?: Record<string, string | string[]>;
}

/** Known start/end pairs, most common first. */
export const TIME_PAIRS: Array<[string, string]> = [
  ['dtstart', 'dtend'],
  ['start', 'end'],
  ['startdate', 'enddate'],
  ['startDate', 'completionDate'],
  ['min_date', 'max_date'],
  ['start_datetime', 'end_datetime'],
  ['observed_start', 'observed_end'],
];

const PASS_THROUGH = new Set(['dataset_id', 'itemsPerPage', 'startIndex', 'sortOrder']);
/** Dates in ERA5-style requests are expanded day by day; beyond this the request is refused. */
export const MAX_EXPANDED_DAYS = 366 * 5;

export function mapQuery(datasetId: string, q: Queryables, g: GenericQuery): Record<string, unknown> {
  const props = q.properties ?? {};
  const has = (k: string) => Object.prototype.hasOwnProperty.call(props, k);
  const body: Record<string, unknown> = { dataset_id: datasetId };
  if (g.bbox) {
    if (!has('bbox')) throw new HdaQueryError(`dataset ${datasetId} has no bbox filter (its filters: ${Object.keys(props).join(', ')}); drop the bbox or filter after download`);
    body.bbox = g.bbox;
  }
  if (g.start || g.end) {
    const pair = TIME_PAIRS.find(([a, b]) => has(a) && has(b));
    if (pair) {
      if (g.start) body[pair[0]] = isoMs(g.start);
      if (g.end) body[pair[1]] = isoMs(g.end);
    } else if (has('year') && has('month') && has('day')) {
      Object.assign(body, expandDays(datasetId, g.start, g.end, has('time')));
    } else {
      throw new HdaQueryError(`cannot map start/end onto dataset ${datasetId}: none of its filters is a time range (its filters: ${Object.keys(props).join(', ')})`);
    }
  }
  for (const [k, v] of Object.entries(g.filters ?? {})) {
    if (!has(k) && !PASS_THROUGH.has(k)) throw new HdaQueryError(`dataset ${datasetId} has no filter "${k}" (its filters: ${Object.keys(props).join(', ')})`);
    const allowed = props[k]?.oneOf?.map((o) => String(o.const));
    const vals = Array.isArray(v) ? v : [v];
    if (allowed && allowed.length) {
      const bad = vals.filter((x) => !allowed.includes(x));
      if (bad.length) throw new HdaQueryError(`filter ${k}: ${bad.join(', ')} not among ${allowed.slice(0, 20).join(', ')}`);
    }
    body[k] = props[k]?.type === 'array' ? vals : Array.isArray(v) ? v : coerce(v, props[k]?.type);
  }
  return body;
}

function coerce(v: string, type?: string): unknown {
  if (type === 'number' || type === 'integer') {
    const n = Number(v);
    return Number.isFinite(n) ? n : v;
  }
  return v;
}

function isoMs(d: Date): string {
  return d.toISOString();
}

/** ERA5-style year/month/day (+ hourly time) lists covering [start, end]. */
export function expandDays(datasetId: string, start?: Date, end?: Date, withTime = false): Record<string, string[]> {
  if (!start || !end) throw new HdaQueryError(`dataset ${datasetId} takes year/month/day lists: give both start and end`);
  const days = Math.floor((Date.UTC(end.getUTCFullYear(), end.getUTCMonth(), end.getUTCDate()) - Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate())) / 86400000) + 1;
  if (days < 1) throw new HdaQueryError('start is after end');
  if (days > MAX_EXPANDED_DAYS) throw new HdaQueryError(`time range of ${days} days is too long for one ERA5-style request (limit ${MAX_EXPANDED_DAYS}); split it`);
  const years = new Set<string>();
  const months = new Set<string>();
  const dayset = new Set<string>();
  for (let i = 0; i < days; i++) {
    const d = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate() + i));
    years.add(String(d.getUTCFullYear()));
    months.add(String(d.getUTCMonth() + 1).padStart(2, '0'));
    dayset.add(String(d.getUTCDate()).padStart(2, '0'));
  }
  const out: Record<string, string[]> = { year: [...years].sort(), month: [...months].sort(), day: [...dayset].sort() };
  if (withTime) {
    // Whole hours: all 24 when the range spans several days, else the hours inside it.
    const hours: string[] = [];
    const h0 = days > 1 ? 0 : start.getUTCHours();
    const h1 = days > 1 ? 23 : end.getUTCHours();
    for (let h = h0; h <= h1; h++) hours.push(`${String(h).padStart(2, '0')}:00`);
    out.time = hours;
  }
  return out;
}
