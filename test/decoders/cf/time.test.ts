import { describe, expect, it } from 'vitest';
import { cfToEpochMicros, isTimeUnits, normalizeCalendar, parseTimeUnits } from '../../../src/decoders/cf/time.js';

const iso = (us: number) => new Date(us / 1000).toISOString();
const dec = (v: number, units: string, cal?: string) => iso(cfToEpochMicros(v, parseTimeUnits(units, cal)));

describe('CF time', () => {
  it('decodes common units on the standard calendar', () => {
    expect(dec(937956, 'hours since 1900-01-01 00:00:00.0', 'gregorian')).toBe('2007-01-01T12:00:00.000Z');
    expect(dec(25, 'days since 2024-01-03 00:00:00', 'proleptic_gregorian')).toBe('2024-01-28T00:00:00.000Z');
    expect(dec(90, 'minutes since 2024-02-28T23:00:00Z')).toBe('2024-02-29T00:30:00.000Z');
    expect(dec(1.5, 'seconds since 1970-01-01')).toBe('1970-01-01T00:00:01.500Z');
    expect(dec(-1, 'days since 2000-03-01')).toBe('2000-02-29T00:00:00.000Z');
  });

  it('applies the UTC offset of the reference time', () => {
    expect(dec(0, 'hours since 2020-01-01 00:00:00 +02:00')).toBe('2019-12-31T22:00:00.000Z');
    expect(dec(1, 'days since 1964-03-12 12:09:00 -9:00')).toBe('1964-03-13T21:09:00.000Z');
  });

  it('switches from Julian to Gregorian in 1582 on the standard calendar only', () => {
    // 1582-10-04 (Julian) is followed by 1582-10-15 (Gregorian).
    expect(dec(1, 'days since 1582-10-04', 'standard')).toBe('1582-10-15T00:00:00.000Z');
    expect(dec(1, 'days since 1582-10-04', 'proleptic_gregorian')).toBe('1582-10-05T00:00:00.000Z');
    // Julian dates: 2000-01-01 Julian is 2000-01-14 Gregorian.
    expect(dec(0, 'days since 2000-01-01', 'julian')).toBe('2000-01-14T00:00:00.000Z');
  });

  it('maps model calendars deterministically and monotonically', () => {
    expect(dec(59, 'days since 2001-01-01', 'noleap')).toBe('2001-03-01T00:00:00.000Z');
    expect(dec(365, 'days since 2000-01-01', 'noleap')).toBe('2001-01-01T00:00:00.000Z'); // no Feb 29 in noleap 2000
    expect(dec(0, 'days since 1900-1-1', '360_day')).toBe('1900-01-01T00:00:00.000Z');
    expect(dec(360, 'days since 1900-1-1', '360_day')).toBe('1901-01-01T00:00:00.000Z');
    expect(dec(180, 'days since 1900-1-1', '360_day')).toBe('1900-07-02T12:00:00.000Z'); // half of the year
    let prev = -Infinity;
    for (let d = 0; d < 800; d++) {
      const t = cfToEpochMicros(d, parseTimeUnits('days since 1900-1-1', '360_day'));
      expect(t).toBeGreaterThan(prev);
      prev = t;
    }
    expect(dec(366, 'days since 2001-01-01', 'all_leap')).toBe('2002-01-01T00:00:00.000Z');
  });

  it('recognises units and rejects what it cannot decode', () => {
    expect(isTimeUnits('hours since 1900-01-01')).toBe(true);
    expect(isTimeUnits('degrees_north')).toBe(false);
    expect(normalizeCalendar('GREGORIAN')).toBe('standard');
    expect(normalizeCalendar('365_day')).toBe('noleap');
    expect(() => normalizeCalendar('martian')).toThrow(/unsupported calendar/);
    expect(() => parseTimeUnits('fortnights since 2000-01-01')).toThrow(/unknown time unit/);
    expect(() => parseTimeUnits('days since yesterday')).toThrow(/cannot parse reference date/);
  });
});
