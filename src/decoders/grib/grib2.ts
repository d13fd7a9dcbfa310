/**
 * GRIB2 messages: walks sections 1-7 reading only headers (a message may repeat sections 2-7
 * for several fields), with the product (4.x) and data representation (5.x) templates we decode,
 * and cross-checks header facts before anything is allocated from them. Grid templates (3.x)
 * are in grib2-grid.ts.
 */
import { DecodeError } from '../errors.js';
import { f32, isMissing, s16, s32, s8, u16, u32 } from './bits.js';
import { parseGrid2 } from './grib2-grid.js';
import { fail, MAX_GRID_POINTS, plausibleGaussian } from './header-checks.js';
import type { GribField } from './model.js';
import type { FileSource } from './source.js';
import { levelTypeName, parameterInfo } from './tables.js';

const STEP_UNIT_HOURS: Record<number, number> = { 0: 1 / 60, 1: 1, 2: 24, 10: 3, 11: 6, 12: 12, 13: 1 / 3600 };

function refTimeUs(b: Uint8Array, o: number): number {
  return Date.UTC(u16(b, o), b[o + 2]! - 1, b[o + 3]!, b[o + 4]!, b[o + 5]!, b[o + 6]!) * 1000;
}

function parsePacking2(sec: Uint8Array): { packing: GribField['packing']; count: number } {
  const count = u32(sec, 5);
  const tpl = u16(sec, 9);
  const r = f32(sec, 11);
  const e = s16(sec, 15);
  const d = s16(sec, 17);
  const bits = sec[19]!;
  switch (tpl) {
    case 0:
      return { packing: { kind: 'simple', r, e, d, bits }, count };
    case 2:
    case 3:
      return {
        packing: {
          kind: 'complex',
          r,
          e,
          d,
          bits,
          missingMgmt: sec[22]!,
          ng: u32(sec, 31),
          refWidth: sec[35]!,
          bitsWidth: sec[36]!,
          refLength: u32(sec, 37),
          lengthIncrement: sec[41]!,
          lastLength: u32(sec, 42),
          bitsLength: sec[46]!,
          order: tpl === 3 ? (sec[47]! as 1 | 2) : 0,
          extraOctets: tpl === 3 ? sec[48]! : 0,
        },
        count,
      };
    case 4:
      return { packing: { kind: 'ieee', precision: sec[11] === 2 ? 64 : 32 }, count };
    case 40:
      return { packing: { kind: 'jpeg2000', r, e, d, bits }, count };
    case 41:
      return { packing: { kind: 'png', r, e, d, bits }, count };
    case 42:
      return { packing: { kind: 'ccsds', r, e, d, bits, flags: sec[21]!, blockSize: sec[22]!, rsi: u16(sec, 23) }, count };
    case 50:
    case 51:
      return { packing: { kind: 'unsupported', template: tpl, what: `spherical harmonics packing (template 5.${tpl})` }, count };
    default:
      return { packing: { kind: 'unsupported', template: tpl, what: `data representation template 5.${tpl}` }, count };
  }
}

interface Product {
  category: number;
  number: number;
  constituent: number;
  stepHours: number;
  endUs: number | null;
  levelCode: number;
  level: number;
  secondLevelCode: number;
  member: number | null;
}

function scaled(scale: number, value: number): number {
  // value * 10^-scale, computed so that e.g. 2 and scale 0 stay exact.
  return scale >= 0 ? value / 10 ** scale : value * 10 ** -scale;
}

function parseProduct2(src: FileSource, msg: number, sec: Uint8Array): { product: Product; template: number } {
  const tpl = u16(sec, 7);
  // Chemical templates (4.40-4.43) insert a 2-octet constituent type after the parameter number.
  const chem = tpl >= 40 && tpl <= 43 ? 2 : 0;
  const known = [0, 1, 2, 5, 8, 9, 11, 12, 15, 40, 41, 42, 43].includes(tpl);
  if (!known) fail(src, msg, 'section 4', `product definition template 4.${tpl} is not supported`, 'UNSUPPORTED');
  const o = chem; // shift for everything after octet 11
  const unit = sec[17 + o]!;
  const forecast = s32(sec, 18 + o);
  const unitHours = STEP_UNIT_HOURS[unit];
  if (unitHours === undefined) fail(src, msg, 'section 4', `time unit code ${unit} is not supported`, 'UNSUPPORTED');
  const levelCode = sec[22 + o]!;
  const level = sec[23 + o] === 0xff || isMissing(sec, 24 + o, 4) ? 0 : scaled(s8(sec, 23 + o), s32(sec, 24 + o));
  const secondLevelCode = sec[28 + o]!;
  let member: number | null = null;
  let endUs: number | null = null;
  const ensemble = tpl === 1 || tpl === 11 || tpl === 41 || tpl === 43 || tpl === 2 || tpl === 12;
  if (ensemble && (tpl === 1 || tpl === 11 || tpl === 41 || tpl === 43)) member = sec[35 + o]!;
  // Statistical processing: the end of the overall time interval is the valid time.
  const endAt = tpl === 8 || tpl === 42 ? 34 + o : tpl === 11 || tpl === 43 ? 37 + o : tpl === 12 ? 36 : tpl === 9 ? 47 : -1;
  if (endAt > 0) endUs = Date.UTC(u16(sec, endAt), sec[endAt + 2]! - 1, sec[endAt + 3]!, sec[endAt + 4]!, sec[endAt + 5]!, sec[endAt + 6]!) * 1000;
  return {
    template: tpl,
    product: {
      category: sec[9]!,
      number: sec[10]!,
      constituent: chem ? u16(sec, 11) : -1,
      stepHours: forecast * unitHours!,
      endUs,
      levelCode,
      level,
      secondLevelCode,
      member,
    },
  };
}

export async function parseGrib2(src: FileSource, msg: number, start: number, length: number, discipline: number): Promise<GribField[]> {
  const out: GribField[] = [];
  let pos = start + 16;
  const end = start + length - 4;
  let sec1: Uint8Array | undefined;
  let grid: ReturnType<typeof parseGrid2> | undefined;
  let product: ReturnType<typeof parseProduct2> | undefined;
  let packing: ReturnType<typeof parsePacking2> | undefined;
  let bitmapOffset = -1;
  let bitmapBytes = 0;
  let fieldInMsg = 0;
  while (pos < end) {
    const h = await src.read(pos, 5);
    if (h.length < 5) fail(src, msg, 'section header', `truncated at byte ${pos}`, 'TRUNCATED');
    const len = u32(h, 0);
    const num = h[4]!;
    if (len < 5 || pos + len > end) fail(src, msg, `section ${num}`, `length ${len} at byte ${pos} overruns the message`);
    const name = `section ${num}`;
    if (num === 1 || num === 3 || num === 4 || num === 5) {
      const sec = await src.read(pos, len);
      if (sec.length < len) fail(src, msg, name, 'truncated', 'TRUNCATED');
      const need = num === 1 ? 21 : num === 3 ? 14 : num === 4 ? 9 : 11;
      if (len < need) fail(src, msg, name, `length ${len} is too short for its fixed part (${need} octets)`);
      try {
        if (num === 1) sec1 = sec.slice();
        else if (num === 3) grid = parseGrid2(sec);
        else if (num === 4) product = parseProduct2(src, msg, sec);
        else packing = parsePacking2(sec);
      } catch (e) {
        if (e instanceof DecodeError) throw e;
        fail(src, msg, name, `malformed template: ${(e as Error).message}`);
      }
    } else if (num === 6) {
      const ind = (await src.read(pos + 5, 1))[0];
      if (ind === 0) {
        bitmapOffset = pos + 6;
        bitmapBytes = len - 6;
      }
      else if (ind === 255) bitmapOffset = -1;
      else if (ind !== 254) fail(src, msg, name, `predefined bitmap ${ind} is not supported`, 'UNSUPPORTED');
      // 254: use the previous bitmap of this message (bitmapOffset unchanged).
    } else if (num === 7) {
      if (!sec1 || !grid || !product || !packing) fail(src, msg, name, 'data section before sections 1, 3, 4 and 5');
      checkConsistency(src, msg, grid.grid, grid.points, packing.packing, packing.count, bitmapOffset >= 0 ? bitmapBytes : -1, len - 5);
      const p = product.product;
      const refUs = refTimeUs(sec1, 12);
      const info = parameterInfo({ edition: 2, discipline, category: p.category, number: p.number, centre: u16(sec1, 5), constituent: p.constituent, levelCode: p.levelCode, level: p.level });
      out.push({
        message: msg,
        field: fieldInMsg++,
        edition: 2,
        centre: u16(sec1, 5),
        discipline,
        category: p.category,
        number: p.number,
        table2Version: -1,
        constituent: p.constituent,
        ...info,
        referenceUs: refUs,
        stepHours: p.endUs !== null ? (p.endUs - refUs) / 3.6e9 : p.stepHours,
        validUs: p.endUs ?? refUs + Math.round(p.stepHours * 3.6e9),
        levelType: levelTypeName(2, p.levelCode, p.secondLevelCode),
        levelCode: p.levelCode,
        level: p.levelCode === 100 ? p.level / 100 : p.level,
        member: p.member,
        productTemplate: product.template,
        grid: grid.grid,
        numberOfPoints: grid.points,
        packing: packing.packing,
        packedValues: packing.count,
        bitmapOffset,
        dataOffset: pos + 5,
        dataLength: len - 5,
      });
    } else if (num !== 2) {
      fail(src, msg, name, `unknown section number ${num} at byte ${pos}`);
    }
    pos += len;
  }
  if (out.length === 0) fail(src, msg, 'section 7', 'message has no data section');
  return out;
}

/**
 * Cross-checks header facts before anything is allocated from them, so a corrupt header gives a
 * clear error instead of a huge allocation or a read past the data.
 */
function checkConsistency(src: FileSource, msg: number, grid: GribField['grid'], points: number, packing: GribField['packing'], count: number, bitmapBytes: number, dataBytes: number): void {
  if (points > MAX_GRID_POINTS) fail(src, msg, 'section 3', `absurd number of data points ${points} (limit ${MAX_GRID_POINTS})`, 'LIMIT');
  if ('ni' in grid && 'nj' in grid && grid.ni * grid.nj !== points) {
    fail(src, msg, 'section 3', `Ni × Nj = ${grid.ni} × ${grid.nj} does not match numberOfDataPoints ${points}`);
  }
  if (!plausibleGaussian(grid) && 'n' in grid) {
    fail(src, msg, 'section 3', `Gaussian grid with N = ${grid.n} parallels between pole and equator and ${grid.nj} rows`);
  }
  if (grid.kind === 'reduced_gg' && grid.pl.reduce((a, b) => a + b, 0) !== points) {
    fail(src, msg, 'section 3', `sum of points per row does not match numberOfDataPoints ${points}`);
  }
  if (bitmapBytes >= 0) {
    if (bitmapBytes * 8 < points) fail(src, msg, 'section 6', `bitmap of ${bitmapBytes} bytes cannot cover ${points} points`);
    if (count > points) fail(src, msg, 'section 5', `${count} packed values for ${points} points`);
  } else if (count !== points && packing.kind !== 'unsupported') {
    fail(src, msg, 'section 5', `${count} packed values but ${points} points and no bitmap`);
  }
  if ((packing.kind === 'simple' || packing.kind === 'grib1_simple') && packing.bits > 0) {
    if (packing.bits > 32) fail(src, msg, 'section 5', `${packing.bits} bits per value`);
    if (Math.ceil((packing.bits * count) / 8) > dataBytes) fail(src, msg, 'section 7', `${dataBytes} bytes cannot hold ${count} values of ${packing.bits} bits`, 'TRUNCATED');
  }
  if (packing.kind === 'ieee' && (count * packing.precision) / 8 > dataBytes) fail(src, msg, 'section 7', `${dataBytes} bytes cannot hold ${count} IEEE values`, 'TRUNCATED');
  if (packing.kind === 'complex' && packing.ng > count + 1) fail(src, msg, 'section 5', `${packing.ng} groups for ${count} values`);
}

