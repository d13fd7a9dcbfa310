/** Hive keys of exported rows: day/month/year buckets in UTC (before 1970 too), latitude bands, runs. */
import { Field, Float64, makeData, RecordBatch, Schema, Struct, TimestampMicrosecond } from 'apache-arrow';
import { expect, it } from 'vitest';
import { keyRuns } from '../../src/export/partition-keys.js';

function batch(timesIso: string[], lats: number[]): RecordBatch {
  const fields = [new Field('time', new TimestampMicrosecond('UTC'), false), new Field('lat', new Float64(), false)];
  const time = makeData({ type: fields[0]!.type, length: timesIso.length, data: BigInt64Array.from(timesIso.map((t) => BigInt(Date.parse(t)) * 1000n)) });
  const lat = makeData({ type: new Float64(), length: lats.length, data: Float64Array.from(lats) });
  return new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: lats.length, children: [time, lat] }));
}

it('cuts a batch into runs of one time bucket', () => {
  const b = batch(['2024-01-31T23:00:00Z', '2024-01-31T23:00:00Z', '2024-02-01T00:00:00Z', '2024-02-03T00:00:00Z'], [0, 1, 2, 3]);
  expect(keyRuns(b, { partitionBy: 'day', latBand: 0 })).toEqual([
    { dir: 'time_bucket=2024-01-31', offset: 0, length: 2 },
    { dir: 'time_bucket=2024-02-01', offset: 2, length: 1 },
    { dir: 'time_bucket=2024-02-03', offset: 3, length: 1 },
  ]);
  expect(keyRuns(b, { partitionBy: 'month', latBand: 0 })).toEqual([
    { dir: 'time_bucket=2024-01', offset: 0, length: 2 },
    { dir: 'time_bucket=2024-02', offset: 2, length: 2 },
  ]);
  expect(keyRuns(b, { partitionBy: 'year', latBand: 0 })).toEqual([{ dir: 'time_bucket=2024', offset: 0, length: 4 }]);
});

it('buckets times before 1970 by their UTC day, not towards zero', () => {
  const b = batch(['1969-12-31T23:59:59Z', '1970-01-01T00:00:00Z'], [0, 0]);
  expect(keyRuns(b, { partitionBy: 'day', latBand: 0 }).map((r) => r.dir)).toEqual(['time_bucket=1969-12-31', 'time_bucket=1970-01-01']);
});

it('adds latitude bands by their lower edge', () => {
  const b = batch(['2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z'], [89.5, 60, 59.9, -0.1]);
  expect(keyRuns(b, { partitionBy: 'month', latBand: 30 })).toEqual([
    { dir: 'time_bucket=2024-01/lat_band=60', offset: 0, length: 2 },
    { dir: 'time_bucket=2024-01/lat_band=30', offset: 2, length: 1 },
    { dir: 'time_bucket=2024-01/lat_band=-30', offset: 3, length: 1 },
  ]);
});
