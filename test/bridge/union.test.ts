import { describe, expect, it } from 'vitest';
import { schemaFor, toRecordBatch } from '../../src/arrow/batch.js';
import { columnsFor } from '../../src/bridge/core.js';
import { unionColumns, widenBatch } from '../../src/bridge/union.js';
import type { ColumnSpec, VariableGroup } from '../../src/decoders/types.js';

function group(id: string, vars: string[], levelType: string, level: 'axis' | number, extra: ColumnSpec[] = []): VariableGroup {
  return {
    id,
    variables: vars.map((name) => ({ name, type: 'float32', attributes: {} })),
    coordinates: [
      { name: 'time', type: 'timestamp_us', nullable: false },
      { name: 'lat', type: 'float64', nullable: false },
      { name: 'lon', type: 'float64', nullable: false },
      ...(level === 'axis' ? [{ name: 'level', type: 'float64', nullable: false, metadata: { typeOfLevel: levelType } } satisfies ColumnSpec] : []),
      ...extra,
    ],
    times: [0],
    levels: [],
    grid: { kind: 'regular', ny: 1, nx: 2, rowLat: [[0, 0]], colLon: [[0, 0], [1, 1]] },
    metadata: { typeOfLevel: levelType, level: String(level) },
  };
}

describe('union schema over variable groups', () => {
  const iso = group('iso', ['t', 'u'], 'isobaricInhPa', 'axis');
  const tropo = group('tropo', ['t'], 'tropopause', 0);
  const parts = [iso, tropo].map((g) => ({ group: g, columns: columnsFor(g, ['t', 'u'].filter((v) => g.variables.some((x) => x.name === v))) }));

  it('lists coordinates once, adds level_type where level types differ, then the variables', () => {
    const u = unionColumns(parts, ['t', 'u']);
    expect(u.map((c) => [c.name, c.type, c.nullable])).toEqual([
      ['time', 'timestamp_us', false],
      ['lat', 'float64', false],
      ['lon', 'float64', false],
      ['level', 'float64', false], // tropopause's single level fills it
      ['level_type', 'utf8', true],
      ['t', 'float32', true],
      ['u', 'float32', true],
    ]);
    expect(u[3]!.metadata?.typeOfLevel).toBeUndefined();
    expect(unionColumns(parts.slice(0, 1), ['t', 'u'])).toBe(parts[0]!.columns);
  });

  it('widens a batch: own columns kept, level and level_type filled from the group, absent variables null', () => {
    const u = unionColumns(parts, ['t', 'u']);
    const batch = {
      numRows: 2,
      columns: [
        { name: 'time', values: new BigInt64Array([0n, 0n]), nullCount: 0 },
        { name: 'lat', values: new Float64Array([0, 0]), nullCount: 0 },
        { name: 'lon', values: new Float64Array([0, 1]), nullCount: 0 },
        { name: 't', values: new Float32Array([210, 211]), nullCount: 0 },
      ],
    };
    const rb = toRecordBatch(schemaFor(u), widenBatch(batch, tropo, u));
    const rows = rb.toArray().map((r) => r.toJSON());
    expect(rows.map((r) => [r.level, r.level_type, r.t, r.u])).toEqual([
      [0, 'tropopause', 210, null],
      [0, 'tropopause', 211, null],
    ]);
  });

  it('refuses one name with two types, naming both groups', () => {
    const a = group('a', ['t'], 'surface', 0, [{ name: 'number', type: 'int32', nullable: true }]);
    const b = group('b', ['t'], 'surface', 0, [{ name: 'number', type: 'float64', nullable: true }]);
    expect(() => unionColumns([a, b].map((g) => ({ group: g, columns: columnsFor(g, ['t']) })), ['t'])).toThrow(/"number" is int32 in group "a" but float64 in group "b".*"group"/);
  });
});
