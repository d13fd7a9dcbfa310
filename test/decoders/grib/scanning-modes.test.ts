/**
 * Every scanning mode (i negative, j positive, j consecutive, alternate rows) read through
 * `read`: each row's value must sit at the latitude and longitude ecCodes' geo-iterator gives for
 * it. The values are 0..n-1 in message order, so a value names its point. Fixture and oracle from
 * fixtures/make-scanning-modes.py.
 *
 * One exception: ecCodes 2.50's regular lat/lon geo-iterator ignores flag 0x10 (adjacent rows
 * scan in opposite directions, WMO code table 3.4 bit 4) and lists such fields as if every row
 * ran the same way, while their values stay in stored order; we follow the WMO table (as cfgrib
 * does by reordering values itself), so for those modes the expected positions are ecCodes'
 * with every second row reversed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { gribDecoder } from '../../../src/decoders/grib/index.js';

const path = join(import.meta.dirname, 'fixtures', 'scanning_modes.grib');
const oracle = JSON.parse(readFileSync(`${path}.oracle.json`, 'utf8')) as { fields: Array<{ scanningMode: number; points: Array<[number, number, number]> }> };
const NI = 7;
const NJ = 5;

/** ecCodes' points with the positions of every second row (column, for j consecutive) reversed. */
function alternate(points: Array<[number, number, number]>, scan: number): Array<[number, number, number]> {
  if (!(scan & 0x10)) return points;
  const len = scan & 0x20 ? NJ : NI;
  return points.map(([, , v], k) => {
    const row = Math.floor(k / len);
    const q = row % 2 ? row * len + (len - 1 - (k % len)) : k;
    return [points[q]![0], points[q]![1], v];
  });
}

it('places every value of every scanning mode where ecCodes does', async () => {
  const desc = await gribDecoder.describe(path);
  expect(desc.groups.length).toBe(oracle.fields.length);
  const seen = new Set<number>();
  for (const g of desc.groups) {
    const got: Array<[number, number, number]> = [];
    for await (const b of gribDecoder.read(path, { group: g.id, variables: [g.variables[0]!.name], maxBatchBytes: 1000 })) {
      const [lat, lon, v] = ['lat', 'lon', g.variables[0]!.name].map((n) => b.columns.find((c) => c.name === n)!.values);
      for (let i = 0; i < b.numRows; i++) got.push([Number(lat![i]), Number(lon![i]), Number(v![i])]);
    }
    const byValue = new Map(got.map(([la, lo, v]) => [v, [la, ((lo % 360) + 360) % 360]]));
    // Match the group to its oracle field by the position of value 1 (differs between modes).
    const field = oracle.fields.find((f) => alternate(f.points, f.scanningMode).every(([la, lo, v]) => {
      const p = byValue.get(v);
      return p && Math.abs(p[0]! - la) < 1e-6 && Math.abs(p[1]! - (((lo % 360) + 360) % 360)) < 1e-6;
    }));
    expect(field, `group ${g.id}: no scanning mode of the oracle puts every value where read() does`).toBeDefined();
    seen.add(field!.scanningMode);
    expect(got.length).toBe(field!.points.length);
  }
  expect(seen.size).toBe(oracle.fields.length);
});
