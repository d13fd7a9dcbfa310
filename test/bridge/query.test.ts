import { describe, expect, it } from 'vitest';
import { parseCommand, parseDescriptor, QueryError } from '../../src/bridge/query.js';

describe('descriptor parsing', () => {
  it('parses a full CMD query', () => {
    const q = parseCommand(JSON.stringify({ dataset: 'era5', bbox: [-10, 35, 30, 60], start: '2024-01-01', end: '2024-01-02T12:00:00Z', variables: ['t2m', 't2m', 'u10'] }));
    expect(q).toEqual({ dataset: 'era5', bbox: [-10, 35, 30, 60], startUs: Date.UTC(2024, 0, 1) * 1000, endUs: Date.UTC(2024, 0, 2, 12) * 1000, variables: ['t2m', 'u10'] });
  });

  it('treats times without a zone as UTC', () => {
    expect(parseCommand('{"dataset":"a","start":"2024-03-01T06:00:00"}').startUs).toBe(Date.UTC(2024, 2, 1, 6) * 1000);
  });

  it('keeps microseconds of the time bounds (timestamps are microseconds), also before 1970', () => {
    expect(parseCommand('{"dataset":"a","start":"2016-12-19T10:27:29.687763+00:00"}').startUs).toBe(Date.UTC(2016, 11, 19, 10, 27, 29, 687) * 1000 + 763);
    expect(parseCommand('{"dataset":"a","start":"1969-12-31T23:59:59.9995Z"}').startUs).toBe(-500);
  });

  it('marks inverted ranges as an empty query instead of rejecting them (pushed predicates such as lat > 50 AND lat < 40)', () => {
    expect(parseCommand('{"dataset":"a","bbox":[0,50,10,40]}')).toMatchObject({ empty: true, bbox: [0, 50, 10, 40] });
    expect(parseCommand('{"dataset":"a","start":"2024-02-01","end":"2024-01-01"}').empty).toBe(true);
    expect(parseCommand('{"dataset":"a","levels":{"min":900,"max":500}}').empty).toBe(true);
    expect(parseCommand('{"dataset":"a","levels":[]}').empty).toBe(true);
    expect(parseCommand('{"dataset":"a","numbers":[]}').empty).toBe(true);
    expect(parseCommand('{"dataset":"a","bbox":[0,40,10,50],"start":"2024-01-01","end":"2024-01-01"}').empty).toBeUndefined();
  });

  it('parses columns, levels (range or list) and numbers', () => {
    expect(parseCommand('{"dataset":"a","columns":["lat","uo","lat"],"levels":{"min":500},"numbers":[3,1,3]}')).toEqual({ dataset: 'a', columns: ['lat', 'uo'], levels: { min: 500 }, numbers: [1, 3] });
    expect(parseCommand('{"dataset":"a","columns":[],"levels":[850,500]}')).toEqual({ dataset: 'a', columns: [], levels: [500, 850] });
  });

  it('parses PATH descriptors, by enum name or number', () => {
    expect(parseDescriptor({ type: 'PATH', path: ['cmems'] })).toEqual({ dataset: 'cmems' });
    expect(parseDescriptor({ type: 1, path: ['cmems'] })).toEqual({ dataset: 'cmems' });
    expect(parseDescriptor({ type: 'CMD', cmd: Buffer.from('{"dataset":"x"}') })).toEqual({ dataset: 'x' });
  });

  it.each([
    ['not json', /not valid JSON/],
    ['[1]', /JSON object/],
    ['{}', /"dataset"/],
    ['{"dataset":"a","bbx":[1,2,3,4]}', /unknown query key "bbx"/],
    ['{"dataset":"a","bbox":[1,2,3]}', /west, south, east, north/],
    ['{"dataset":"a","bbox":[0,-95,10,40]}', /\[-90, 90\]/],
    ['{"dataset":"a","start":"yesterday"}', /not an ISO-8601/],
    ['{"dataset":"a","columns":"lat"}', /array of column names/],
    ['{"dataset":"a","levels":{"lo":1}}', /"levels" must be/],
    ['{"dataset":"a","levels":["x"]}', /"levels" list must hold numbers/],
    ['{"dataset":"a","numbers":[1.5]}', /ensemble member integers/],
    ['{"dataset":"a","variables":"t2m"}', /array of variable names/],
  ])('rejects %s', (text, msg) => {
    expect(() => parseCommand(text)).toThrow(QueryError);
    expect(() => parseCommand(text)).toThrow(msg);
  });

  it('reads PATH [dataset] and [dataset, group], rejects other PATHs and unknown descriptor types', () => {
    expect(parseDescriptor({ type: 'PATH', path: ['a'] })).toEqual({ dataset: 'a' });
    expect(parseDescriptor({ type: 'PATH', path: ['a', 'g1'] })).toEqual({ dataset: 'a', group: 'g1' });
    expect(() => parseDescriptor({ type: 'PATH', path: ['a', 'b', 'c'] })).toThrow(/\[dataset\] or \[dataset, group\]/);
    expect(() => parseDescriptor({ type: 'PATH', path: ['a', ''] })).toThrow(/\[dataset\]/);
    expect(() => parseDescriptor({ type: 'UNKNOWN' })).toThrow(/CMD .* or PATH/);
  });
});
