/**
 * Fields on the same grid points share a variable group whatever order their messages store the
 * points in: two fields of one variable, stored north to south and south to north (and with
 * other scanning modes), at two valid times, form one group with two time steps, and each row
 * holds at its lat/lon the value a read of its own message alone puts there (which
 * scanning-modes.test.ts checks against ecCodes' geo-iterator).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { gribDecoder } from '../../../src/decoders/grib/index.js';
import type { ColumnBatch } from '../../../src/decoders/types.js';

const fixture = readFileSync(join(import.meta.dirname, 'fixtures', 'scanning_modes.grib'));

/** The GRIB2 messages of a file (section 0 holds the total length in octets 9-16). */
function messages(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < buf.length; ) {
    const len = Number(buf.readBigUInt64BE(at + 8));
    out.push(Buffer.from(buf.subarray(at, at + len)));
    at += len;
  }
  return out;
}

/** Sets the reference hour (section 1 octet 16) so the two fields are two time steps. */
function atHour(msg: Buffer, hour: number): Buffer {
  msg[16 + 15] = hour;
  return msg;
}

async function points(path: string): Promise<Map<string, number>> {
  const desc = await gribDecoder.describe(path);
  const out = new Map<string, number>();
  for (const g of desc.groups) {
    const batches: ColumnBatch[] = [];
    for await (const b of gribDecoder.read(path, { group: g.id, variables: [g.variables[0]!.name] })) batches.push(b);
    for (const b of batches) {
      const col = (n: string) => b.columns.find((c) => c.name === n)!.values;
      for (let i = 0; i < b.numRows; i++) out.set(`${col('time')[i]}|${col('lat')[i]}|${col('lon')[i]}`, Number(b.columns.at(-1)!.values[i]));
    }
  }
  return out;
}

it('groups fields by their grid points, not by their scanning mode', async () => {
  const all = messages(fixture);
  expect(all.length).toBe(16);
  const dir = mkdtempSync(join(tmpdir(), 'grib-meaning-'));
  for (const [a, b] of [[0, 4], [0, 15], [5, 10]] as const) {
    const one = join(dir, `one-${a}-${b}.grib`);
    const two = join(dir, `two-${a}-${b}.grib`);
    const both = join(dir, `both-${a}-${b}.grib`);
    writeFileSync(one, atHour(Buffer.from(all[a]!), 0));
    writeFileSync(two, atHour(Buffer.from(all[b]!), 6));
    writeFileSync(both, Buffer.concat([atHour(Buffer.from(all[a]!), 0), atHour(Buffer.from(all[b]!), 6)]));
    const desc = await gribDecoder.describe(both);
    expect(desc.groups.map((g) => [g.times.length, g.grid.ny, g.grid.nx])).toEqual([[2, 5, 7]]);
    const want = new Map([...(await points(one)), ...(await points(two))]);
    expect(want.size).toBe(70);
    expect(await points(both)).toEqual(want);
  }
});
