/**
 * GRIB1 messages: the product definition (PDS), grid description (GDS: lat/lon, rotated,
 * Gaussian regular and reduced, Mercator, polar stereographic, Lambert), bitmap (BMS) and binary
 * data section (BDS) headers of simple and second-order packing. One field per message.
 */
import { ibm32, s16, s24, u16, u24 } from './bits.js';
import { fail, MAX_GRID_POINTS, plausibleGaussian } from './header-checks.js';
import type { Earth, GribField } from './model.js';
import { parseSecondOrderHeader } from './second-order.js';
import type { FileSource } from './source.js';
import { levelTypeName, parameterInfo } from './tables.js';

const GRIB1_UNIT_HOURS: Record<number, number> = { 0: 1 / 60, 1: 1, 2: 24, 10: 3, 11: 6, 12: 12, 13: 0.25, 14: 0.5, 254: 1 / 3600 };

function grib1Earth(resFlags: number): Earth {
  return resFlags & 0x40 ? { a: 6378160, b: 6356775 } : { a: 6367470, b: 6367470 };
}

/** Octets 18-28 of polar stereographic (5) and Lambert (3) descriptions: orientation, increments, projection centre, scanning mode. */
function projection(gds: Uint8Array) {
  return { lonV: s24(gds, 17) / 1000, dx: u24(gds, 20), dy: u24(gds, 23), southPole: (gds[26]! & 0x80) !== 0, scan: gds[27]! };
}

function parseGrid1(gds: Uint8Array): { grid: GribField['grid']; points: number } {
  const type = gds[5]!;
  const nv = gds[3]!;
  const pvl = gds[4]!;
  const ni = u16(gds, 6);
  const nj = u16(gds, 8);
  const lat1 = s24(gds, 10) / 1000;
  const lon1 = s24(gds, 13) / 1000;
  const res = gds[16]!;
  switch (type) {
    case 0:
    case 10:
    case 4: {
      const lat2 = s24(gds, 17) / 1000;
      const lon2 = s24(gds, 20) / 1000;
      const di = u16(gds, 23) / 1000;
      const dj = u16(gds, 25) / 1000;
      const scan = gds[27]!;
      if (type === 4) {
        if (ni === 0xffff) {
          // Reduced Gaussian: the list of points per row follows the vertical coordinates.
          // Octet `pvl` (1-based) starts the vertical coordinates (4 octets each), then the list.
          const plStart = pvl === 255 || pvl === 0 ? 32 : pvl - 1 + nv * 4;
          if (plStart + 2 * nj > gds.length) throw new RangeError(`list of points per row (${nj} rows) does not fit in the GDS (${gds.length} octets)`);
          const pl: number[] = [];
          for (let j = 0; j < nj; j++) pl.push(u16(gds, plStart + 2 * j));
          return { grid: { kind: 'reduced_gg', nj, lat1, lon1, lat2, lon2, n: u16(gds, 25), pl, scan }, points: pl.reduce((a, b) => a + b, 0) };
        }
        return { grid: { kind: 'regular_gg', ni, nj, lat1, lon1, lat2, lon2, di, n: u16(gds, 25), scan }, points: ni * nj };
      }
      if (ni === 0xffff) return { grid: { kind: 'unsupported', template: type, what: 'quasi-regular latitude/longitude grid (GRIB1)' }, points: 0 };
      if (type === 0) return { grid: { kind: 'regular_ll', ni, nj, lat1, lon1, lat2, lon2, di, dj, scan }, points: ni * nj };
      return { grid: { kind: 'rotated_ll', ni, nj, lat1, lon1, lat2, lon2, di, dj, scan, spLat: s24(gds, 32) / 1000, spLon: s24(gds, 35) / 1000, angle: ibm32(gds, 38) }, points: ni * nj };
    }
    case 1:
      return {
        grid: { kind: 'mercator', ni, nj, lat1, lon1, lat2: s24(gds, 17) / 1000, lon2: s24(gds, 20) / 1000, latD: s24(gds, 23) / 1000, scan: gds[27]!, dx: u24(gds, 28), dy: u24(gds, 31), earth: grib1Earth(res) },
        points: ni * nj,
      };
    case 5:
      return { grid: { kind: 'polar_stereographic', ni, nj, lat1, lon1, latD: 60, ...projection(gds), earth: grib1Earth(res) }, points: ni * nj };
    case 3:
      return {
        grid: { kind: 'lambert', ni, nj, lat1, lon1, ...projection(gds), latin1: s24(gds, 28) / 1000, latin2: s24(gds, 31) / 1000, latD: s24(gds, 28) / 1000, earth: grib1Earth(res) },
        points: ni * nj,
      };
    case 50:
      return { grid: { kind: 'unsupported', template: 50, what: 'spherical harmonics (GRIB1 data representation type 50)' }, points: 0 };
    default:
      return { grid: { kind: 'unsupported', template: type, what: `GRIB1 data representation type ${type}` }, points: 0 };
  }
}

export async function parseGrib1(src: FileSource, msg: number, start: number, length: number): Promise<GribField> {
  const body = await src.read(start, Math.min(length, 1 << 16));
  const pdsLen = u24(body, 8);
  if (pdsLen < 28 || 8 + pdsLen > length) fail(src, msg, 'section 1 (PDS)', `bad length ${pdsLen}`);
  const pds = body.subarray(8, 8 + pdsLen);
  const flags = pds[7]!;
  let pos = 8 + pdsLen;
  if (!(flags & 0x80)) fail(src, msg, 'section 2 (GDS)', 'predefined grids without a grid description section are not supported', 'UNSUPPORTED');
  const gdsHead = await src.read(start + pos, 3);
  const gdsLen = u24(gdsHead, 0);
  if (gdsLen < 32 || pos + gdsLen > length) fail(src, msg, 'section 2 (GDS)', `bad length ${gdsLen}`);
  const gds = (await src.read(start + pos, gdsLen)).slice();
  pos += gdsLen;
  let bitmapOffset = -1;
  if (flags & 0x40) {
    const bms = await src.read(start + pos, 6);
    const bmsLen = u24(bms, 0);
    if (bmsLen < 6 || pos + bmsLen > length) fail(src, msg, 'section 3 (BMS)', `bad length ${bmsLen}`);
    if (u16(bms, 4) !== 0) fail(src, msg, 'section 3 (BMS)', `predefined bitmap ${u16(bms, 4)} is not supported`, 'UNSUPPORTED');
    bitmapOffset = start + pos + 6;
    pos += bmsLen;
  }
  const bds = await src.read(start + pos, 11);
  const bdsLen = u24(bds, 0);
  if (bdsLen < 11 || pos + bdsLen > length - 4) fail(src, msg, 'section 4 (BDS)', `bad length ${bdsLen}`);
  const bflags = bds[3]!;
  let parsed: ReturnType<typeof parseGrid1>;
  try {
    parsed = parseGrid1(gds);
  } catch (e) {
    fail(src, msg, 'section 2 (GDS)', `malformed grid description: ${(e as Error).message}`);
  }
  const { grid, points } = parsed;
  if (points > MAX_GRID_POINTS) fail(src, msg, 'section 2 (GDS)', `absurd number of points ${points}`, 'LIMIT');
  if (!plausibleGaussian(grid) && 'n' in grid) {
    fail(src, msg, 'section 2 (GDS)', `Gaussian grid with N = ${grid.n} and ${grid.nj} rows`);
  }
  let packing: GribField['packing'];
  if (bflags & 0x80) packing = { kind: 'unsupported', template: 50, what: 'spherical harmonics packing (GRIB1)' };
  else if (bflags & 0x40) {
    let h: ReturnType<typeof parseSecondOrderHeader>;
    try {
      h = parseSecondOrderHeader(await src.read(start + pos, Math.min(bdsLen, 64)), bdsLen);
    } catch (e) {
      fail(src, msg, 'section 4 (BDS)', `second-order packing: ${(e as Error).message}`);
    }
    packing = typeof h === 'string' ? { kind: 'unsupported', template: 1, what: h } : { kind: 'grib1_second_order', r: ibm32(bds, 6), e: s16(bds, 4), d: s16(pds, 26), header: h };
  }
  else packing = { kind: 'grib1_simple', r: ibm32(bds, 6), e: s16(bds, 4), d: s16(pds, 26), bits: bds[10]!, unusedBits: bflags & 0x0f };

  if (bitmapOffset >= 0) {
    const bmsLen = u24(await src.read(bitmapOffset - 6, 3), 0);
    if ((bmsLen - 6) * 8 < points) fail(src, msg, 'section 3 (BMS)', `bitmap of ${bmsLen - 6} bytes cannot cover ${points} points`);
  } else if (packing.kind === 'grib1_simple' && packing.bits > 0 && (bdsLen - 11) * 8 - packing.unusedBits < packing.bits * points) {
    fail(src, msg, 'section 4 (BDS)', `${bdsLen - 11} bytes cannot hold ${points} values of ${packing.bits} bits`, 'TRUNCATED');
  }
  if (packing.kind === 'grib1_simple' && packing.bits > 32) fail(src, msg, 'section 4 (BDS)', `${packing.bits} bits per value`);
  const century = pds[24]!;
  const year = (century - 1) * 100 + pds[12]!;
  const refUs = Date.UTC(year, pds[13]! - 1, pds[14]!, pds[15]!, pds[16]!) * 1000;
  const unitHours = GRIB1_UNIT_HOURS[pds[17]!];
  if (unitHours === undefined) fail(src, msg, 'section 1 (PDS)', `time unit code ${pds[17]} is not supported`, 'UNSUPPORTED');
  const tri = pds[20]!;
  const p1 = pds[18]!;
  const p2 = pds[19]!;
  const endStep = tri === 10 ? p1 * 256 + p2 : tri === 2 || tri === 3 || tri === 4 || tri === 5 ? p2 : p1;
  const stepHours = endStep * unitHours!;
  const levelCode = pds[9]!;
  const twoOctet = [101, 104, 106, 108, 110, 112, 114, 116, 120, 121, 128, 141].includes(levelCode);
  const level = twoOctet ? pds[10]! : u16(pds, 10);
  // ECMWF local definition (octet 41 onwards) carries the ensemble member.
  let member: number | null = null;
  if (pds[4] === 98 && pdsLen >= 50 && [1, 15, 26, 30, 36].includes(pds[40]!)) member = pds[49]!;
  const centre = pds[4]!;
  const info = parameterInfo({ edition: 1, table2Version: pds[3]!, number: pds[8]!, centre, levelCode, level });
  return {
    message: msg,
    field: 0,
    edition: 1,
    centre,
    discipline: -1,
    category: -1,
    number: pds[8]!,
    table2Version: pds[3]!,
    constituent: -1,
    ...info,
    referenceUs: refUs,
    stepHours,
    validUs: refUs + Math.round(stepHours * 3.6e9),
    levelType: levelTypeName(1, levelCode, -1),
    levelCode,
    level,
    member,
    productTemplate: tri,
    grid,
    numberOfPoints: points,
    packing,
    packedValues: bitmapOffset >= 0 ? -1 : points,
    bitmapOffset,
    dataOffset: start + pos + 11,
    dataLength: bdsLen - 11,
  };
}
