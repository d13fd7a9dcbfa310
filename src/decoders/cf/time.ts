/**
 * CF time coordinates ("<units> since <reference>" with a calendar) to epoch microseconds.
 *
 * Real calendars give real instants: standard/gregorian (Julian before 1582-10-15, Gregorian
 * after), proleptic_gregorian and julian. Model calendars have dates that no real calendar has
 * (360_day's February 30), so they are mapped deterministically and monotonically:
 * - noleap/365_day: every date exists in the Gregorian calendar, so the same Y-M-D h:m:s is used;
 * - all_leap/366_day and 360_day: the same year, at the same fraction of the year elapsed.
 * The original numeric values stay available to callers (and in column metadata).
 */

const UNIT_SECONDS: Record<string, number> = {
  microsecond: 1e-6, microseconds: 1e-6, us: 1e-6,
  millisecond: 1e-3, milliseconds: 1e-3, msec: 1e-3, ms: 1e-3,
  second: 1, seconds: 1, sec: 1, secs: 1, s: 1,
  minute: 60, minutes: 60, min: 60, mins: 60,
  hour: 3600, hours: 3600, hr: 3600, hrs: 3600, h: 3600,
  day: 86400, days: 86400, d: 86400,
  week: 604800, weeks: 604800,
};

export type Calendar = 'standard' | 'proleptic_gregorian' | 'julian' | 'noleap' | 'all_leap' | '360_day';

export interface CfTimeUnits {
  unitSeconds: number;
  reference: { y: number; m: number; d: number; seconds: number };
  calendar: Calendar;
}

export class CfTimeError extends Error {
  override readonly name = 'CfTimeError';
}

export function isTimeUnits(units: string | undefined): boolean {
  return !!units && /^\s*\w+\s+since\s+/i.test(units);
}

export function normalizeCalendar(c: string | undefined): Calendar {
  const s = (c ?? 'standard').trim().toLowerCase();
  if (s === 'standard' || s === 'gregorian' || s === '') return 'standard';
  if (s === 'proleptic_gregorian') return 'proleptic_gregorian';
  if (s === 'julian') return 'julian';
  if (s === 'noleap' || s === '365_day') return 'noleap';
  if (s === 'all_leap' || s === '366_day') return 'all_leap';
  if (s === '360_day') return '360_day';
  throw new CfTimeError(`unsupported calendar "${c}"`);
}

export function parseTimeUnits(units: string, calendar?: string): CfTimeUnits {
  const m = /^\s*(\w+)\s+since\s+(.+?)\s*$/i.exec(units);
  if (!m) throw new CfTimeError(`not CF time units: "${units}"`);
  const unitSeconds = UNIT_SECONDS[m[1]!.toLowerCase()];
  if (unitSeconds === undefined) throw new CfTimeError(`unknown time unit "${m[1]}" in "${units}"`);
  const r = /^(-?\d{1,4})-(\d{1,2})-(\d{1,2})(?:[T\s]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}(?:\.\d*)?))?)?\s*(Z|UTC|GMT|[+-]\d{1,2}(?::?\d{2})?)?$/i.exec(m[2]!.trim());
  if (!r) throw new CfTimeError(`cannot parse reference date "${m[2]}" in "${units}"`);
  let seconds = Number(r[4] ?? 0) * 3600 + Number(r[5] ?? 0) * 60 + Number(r[6] ?? 0);
  const zone = r[7];
  if (zone && /^[+-]/.test(zone)) {
    const z = /^([+-])(\d{1,2}):?(\d{2})?$/.exec(zone)!;
    seconds -= (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 3600 + Number(z[3] ?? 0) * 60);
  }
  return { unitSeconds, reference: { y: Number(r[1]), m: Number(r[2]), d: Number(r[3]), seconds }, calendar: normalizeCalendar(calendar) };
}

/** Decodes one numeric offset to epoch microseconds (rounded to whole microseconds). */
export function cfToEpochMicros(value: number, u: CfTimeUnits): number {
  const offsetSeconds = value * u.unitSeconds;
  const { y, m, d, seconds } = u.reference;
  switch (u.calendar) {
    case 'proleptic_gregorian':
      return Math.round((gregorianDays(y, m, d) * 86400 + seconds + offsetSeconds) * 1e6);
    case 'julian':
      return Math.round(((julianJdn(y, m, d) - UNIX_JDN) * 86400 + seconds + offsetSeconds) * 1e6);
    case 'standard': {
      const jdn = isGregorianDate(y, m, d) ? gregorianDays(y, m, d) + UNIX_JDN : julianJdn(y, m, d);
      return Math.round(((jdn - UNIX_JDN) * 86400 + seconds + offsetSeconds) * 1e6);
    }
    default:
      return modelCalendarToEpoch(u.calendar, y, m, d, seconds + offsetSeconds);
  }
}

/** Julian day number of 1970-01-01. */
const UNIX_JDN = 2440588;

function gregorianDays(y: number, m: number, d: number): number {
  const t = new Date(0);
  t.setUTCFullYear(y, m - 1, d);
  t.setUTCHours(0, 0, 0, 0);
  return t.getTime() / 86400000;
}

function isGregorianDate(y: number, m: number, d: number): boolean {
  return y > 1582 || (y === 1582 && (m > 10 || (m === 10 && d >= 15)));
}

function julianJdn(y: number, m: number, d: number): number {
  const a = Math.floor((14 - m) / 12);
  const yy = y + 4800 - a;
  const mm = m + 12 * a - 3;
  return d + Math.floor((153 * mm + 2) / 5) + 365 * yy + Math.floor(yy / 4) - 32083;
}

const NOLEAP = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const ALLLEAP = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function modelCalendarToEpoch(cal: Calendar, y: number, m: number, d: number, secondsFromRefDay: number): number {
  const months = cal === '360_day' ? new Array<number>(12).fill(30) : cal === 'noleap' ? NOLEAP : ALLLEAP;
  const yearDays = months.reduce((a, b) => a + b, 0);
  let dayOfYear = d - 1;
  for (let i = 0; i < m - 1; i++) dayOfYear += months[i]!;
  // Absolute position in the model calendar, in seconds from year 0 day 0.
  const total = (y * yearDays + dayOfYear) * 86400 + secondsFromRefDay;
  const year = Math.floor(total / (yearDays * 86400));
  const inYear = total - year * yearDays * 86400; // seconds into the model year
  if (cal === 'noleap') {
    let doy = Math.floor(inYear / 86400);
    let month = 0;
    while (doy >= months[month]!) doy -= months[month++]!;
    const secs = inYear - Math.floor(inYear / 86400) * 86400;
    return Math.round((gregorianDays(year, month + 1, doy + 1) * 86400 + secs) * 1e6);
  }
  const frac = inYear / (yearDays * 86400);
  const start = gregorianDays(year, 1, 1);
  const realYear = gregorianDays(year + 1, 1, 1) - start;
  return Math.round((start + frac * realYear) * 86400 * 1e6);
}

/** ISO-8601 text of epoch microseconds (for metadata and messages). */
export function isoFromMicros(us: number): string {
  return new Date(Math.floor(us / 1000)).toISOString();
}
