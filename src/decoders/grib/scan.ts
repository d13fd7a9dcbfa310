/**
 * Indexes a GRIB file: finds every message (GRIB1 and GRIB2 may be mixed, garbage between
 * messages is skipped), walks its sections reading only headers, and describes each field
 * (multi-field GRIB2 messages repeat sections 2-7). No data section is read here.
 */
import { DecodeError } from '../errors.js';
import { f32, ibm32, isMissing, s16, s24, s32, s8, u16, u24, u32, u64 } from './bits.js';
import type { Earth, GribField, GridDef, Packing } from './model.js';
import { parseSecondOrderHeader } from './second-order.js';
import type { FileSource } from './source.js';
import { levelTypeName, parameterInfo } from './tables.js';

export class GribError extends DecodeError {}

function fail(src: FileSource, msg: number, section: string, detail: string, code: 'CORRUPT' | 'TRUNCATED' | 'UNSUPPORTED' | 'LIMIT' = 'CORRUPT'): never {
  throw new DecodeError(code, src.path, `GRIB message ${msg + 1}, ${section}: ${detail}`);
}

const MAGIC = [0x47, 0x52, 0x49, 0x42]; // "GRIB"
const SEARCH_CHUNK = 64 * 1024;

/** Offset of the next "GRIB" at or after `from`, or -1. */
async function findMagic(src: FileSource, from: number): Promise<number> {
  for (let pos = from; pos < src.size; pos += SEARCH_CHUNK - 3) {
    const buf = await src.read(pos, SEARCH_CHUNK);
    for (let i = 0; i + 3 < buf.length; i++) {
      if (buf[i] === MAGIC[0] && buf[i + 1] === MAGIC[1] && buf[i + 2] === MAGIC[2] && buf[i + 3] === MAGIC[3]) return pos + i;
    }
    if (buf.length < SEARCH_CHUNK) break;
  }
  return -1;
}

export async function indexFile(src: FileSource): Promise<GribField[]> {
  const fields: GribField[] = [];
  let pos = await findMagic(src, 0);
  if (pos < 0) throw new DecodeError('UNKNOWN_FORMAT', src.path, 'no GRIB message found');
  let msg = 0;
  while (pos >= 0) {
    const head = await src.read(pos, 16);
    if (head.length < 8) fail(src, msg, 'section 0', `truncated indicator section at byte ${pos}`, 'TRUNCATED');
    const edition = head[7];
    let length: number;
    if (edition === 2) {
      if (head.length < 16) fail(src, msg, 'section 0', 'truncated indicator section', 'TRUNCATED');
      length = u64(head, 8);
    } else if (edition === 1) {
      length = u24(head, 4);
    } else {
      fail(src, msg, 'section 0', `unknown GRIB edition ${edition} at byte ${pos}`);
    }
    if (length < 16 || pos + length > src.size) {
      fail(src, msg, 'section 0', `message length ${length} at byte ${pos} runs past the end of the file (${src.size} bytes)`, 'TRUNCATED');
    }
    const end = await src.read(pos + length - 4, 4);
    if (!(end[0] === 0x37 && end[1] === 0x37 && end[2] === 0x37 && end[3] === 0x37)) {
      fail(src, msg, 'section 8', `missing "7777" end marker at byte ${pos + length - 4}`);
    }
    if (edition === 2) fields.push(...(await parseGrib2(src, msg, pos, length, head[6]!)));
    else fields.push(await parseGrib1(src, msg, pos, length));
    msg++;
    pos = await findMagic(src, pos + length);
  }
  return fields;
}

// ---------------------------------------------------------------- GRIB2

const STEP_UNIT_HOURS: Record<number, number> = { 0: 1 / 60, 1: 1, 2: 24, 10: 3, 11: 6, 12: 12, 13: 1 / 3600 };

function refTimeUs(b: Uint8Array, o: number): number {
  return Date.UTC(u16(b, o), b[o + 2]! - 1, b[o + 3]!, b[o + 4]!, b[o + 5]!, b[o + 6]!) * 1000;
}

function earthOf(shape: number, radiusScale: number, radiusValue: number, majorScale: number, major: number, minorScale: number, minor: number): Earth {
  switch (shape) {
    case 0:
      return { a: 6367470, b: 6367470 };
    case 1: {
      const r = radiusValue * 10 ** -radiusScale;
      return { a: r, b: r };
    }
    case 2:
      return { a: 6378160, b: 6356775 };
    case 3:
      return { a: major * 10 ** -majorScale * 1000, b: minor * 10 ** -minorScale * 1000 };
    case 4:
      return { a: 6378137, b: 6356752.314 };
    case 5:
      return { a: 6378137, b: 6356752.3142 };
    case 6:
      return { a: 6371229, b: 6371229 };
    case 7:
      return { a: major * 10 ** -majorScale, b: minor * 10 ** -minorScale };
    case 8:
      return { a: 6371200, b: 6371200 };
    default:
      return { a: 6371229, b: 6371229 };
  }
}

function parseGrid2(sec: Uint8Array): { grid: GribField['grid']; points: number } {
  const points = u32(sec, 6);
  const listOctets = sec[10]!;
  const tpl = u16(sec, 12);
  const earth = () => earthOf(sec[14]!, sec[15]!, u32(sec, 16), sec[20]!, u32(sec, 21), sec[25]!, u32(sec, 26));
  // Angles are in micro-degrees unless basic angle / subdivisions say otherwise.
  const angleUnit = (o: number) => {
    const basic = u32(sec, o);
    const sub = u32(sec, o + 4);
    return basic === 0 || basic === 0xffffffff || sub === 0 || sub === 0xffffffff ? 1e-6 : basic / sub;
  };
  switch (tpl) {
    case 0:
    case 1: {
      const unit = angleUnit(38);
      const g = {
        ni: u32(sec, 30),
        nj: u32(sec, 34),
        lat1: s32(sec, 46) * unit,
        lon1: s32(sec, 50) * unit,
        lat2: s32(sec, 55) * unit,
        lon2: s32(sec, 59) * unit,
        di: u32(sec, 63) * unit,
        dj: u32(sec, 67) * unit,
        scan: sec[71]!,
      };
      if (tpl === 0) return { grid: { kind: 'regular_ll', ...g }, points };
      return { grid: { kind: 'rotated_ll', ...g, spLat: s32(sec, 72) * unit, spLon: s32(sec, 76) * unit, angle: f32(sec, 80) }, points };
    }
    case 10:
      return {
        grid: {
          kind: 'mercator',
          ni: u32(sec, 30),
          nj: u32(sec, 34),
          lat1: s32(sec, 38) * 1e-6,
          lon1: s32(sec, 42) * 1e-6,
          latD: s32(sec, 47) * 1e-6,
          lat2: s32(sec, 51) * 1e-6,
          lon2: s32(sec, 55) * 1e-6,
          scan: sec[59]!,
          dx: u32(sec, 64) * 1e-3,
          dy: u32(sec, 68) * 1e-3,
          earth: earth(),
        },
        points,
      };
    case 20:
      return {
        grid: {
          kind: 'polar_stereographic',
          ni: u32(sec, 30),
          nj: u32(sec, 34),
          lat1: s32(sec, 38) * 1e-6,
          lon1: s32(sec, 42) * 1e-6,
          latD: s32(sec, 47) * 1e-6,
          lonV: s32(sec, 51) * 1e-6,
          dx: u32(sec, 55) * 1e-3,
          dy: u32(sec, 59) * 1e-3,
          southPole: (sec[63]! & 0x80) !== 0,
          scan: sec[64]!,
          earth: earth(),
        },
        points,
      };
    case 30:
      return {
        grid: {
          kind: 'lambert',
          ni: u32(sec, 30),
          nj: u32(sec, 34),
          lat1: s32(sec, 38) * 1e-6,
          lon1: s32(sec, 42) * 1e-6,
          latD: s32(sec, 47) * 1e-6,
          lonV: s32(sec, 51) * 1e-6,
          dx: u32(sec, 55) * 1e-3,
          dy: u32(sec, 59) * 1e-3,
          southPole: (sec[63]! & 0x80) !== 0,
          scan: sec[64]!,
          latin1: s32(sec, 65) * 1e-6,
          latin2: s32(sec, 69) * 1e-6,
          earth: earth(),
        },
        points,
      };
    case 40: {
      const unit = angleUnit(38);
      const ni = u32(sec, 30);
      const nj = u32(sec, 34);
      const base = {
        lat1: s32(sec, 46) * unit,
        lon1: s32(sec, 50) * unit,
        lat2: s32(sec, 55) * unit,
        lon2: s32(sec, 59) * unit,
        n: u32(sec, 67),
        scan: sec[71]!,
      };
      if (ni === 0xffffffff || listOctets > 0) {
        if (listOctets === 0 || 72 + nj * listOctets > sec.length) throw new RangeError(`list of points per row (${nj} rows of ${listOctets} octets) does not fit in section 3 (${sec.length} octets)`);
        const pl: number[] = [];
        for (let j = 0; j < nj; j++) pl.push(listOctets === 2 ? u16(sec, 72 + 2 * j) : listOctets === 4 ? u32(sec, 72 + 4 * j) : sec[72 + j]!);
        return { grid: { kind: 'reduced_gg', nj, ...base, pl }, points };
      }
      return { grid: { kind: 'regular_gg', ni, nj, di: u32(sec, 63) * unit, ...base }, points };
    }
    case 101:
      return { grid: { kind: 'unsupported', template: tpl, what: 'unstructured grid (template 3.101): points have no coordinates in the file' }, points };
    case 50:
    case 51:
      return { grid: { kind: 'unsupported', template: tpl, what: `spherical harmonics (template 3.${tpl})` }, points };
    default:
      return { grid: { kind: 'unsupported', template: tpl, what: `grid definition template 3.${tpl}` }, points };
  }
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

async function parseGrib2(src: FileSource, msg: number, start: number, length: number, discipline: number): Promise<GribField[]> {
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

/** Largest grid accepted: 67 M points (a 0.03° global grid); beyond that a header is corrupt. */
export const MAX_GRID_POINTS = 1 << 26;
/** Finest Gaussian grid accepted (N8000 is beyond any operational model). */
export const MAX_GAUSSIAN_N = 8000;

/**
 * Cross-checks header facts before anything is allocated from them, so a corrupt header gives a
 * clear error instead of a huge allocation or a read past the data.
 */
function checkConsistency(src: FileSource, msg: number, grid: GribField['grid'], points: number, packing: GribField['packing'], count: number, bitmapBytes: number, dataBytes: number): void {
  if (points > MAX_GRID_POINTS) fail(src, msg, 'section 3', `absurd number of data points ${points} (limit ${MAX_GRID_POINTS})`, 'LIMIT');
  if ('ni' in grid && 'nj' in grid && grid.ni * grid.nj !== points) {
    fail(src, msg, 'section 3', `Ni × Nj = ${grid.ni} × ${grid.nj} does not match numberOfDataPoints ${points}`);
  }
  if ((grid.kind === 'reduced_gg' || grid.kind === 'regular_gg') && !(grid.n >= 1 && grid.n <= MAX_GAUSSIAN_N && grid.nj <= 2 * grid.n)) {
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

// ---------------------------------------------------------------- GRIB1

const GRIB1_UNIT_HOURS: Record<number, number> = { 0: 1 / 60, 1: 1, 2: 24, 10: 3, 11: 6, 12: 12, 13: 0.25, 14: 0.5, 254: 1 / 3600 };

function grib1Earth(resFlags: number): Earth {
  return resFlags & 0x40 ? { a: 6378160, b: 6356775 } : { a: 6367470, b: 6367470 };
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
      return {
        grid: { kind: 'polar_stereographic', ni, nj, lat1, lon1, latD: 60, lonV: s24(gds, 17) / 1000, dx: u24(gds, 20), dy: u24(gds, 23), southPole: (gds[26]! & 0x80) !== 0, scan: gds[27]!, earth: grib1Earth(res) },
        points: ni * nj,
      };
    case 3:
      return {
        grid: {
          kind: 'lambert',
          ni,
          nj,
          lat1,
          lon1,
          lonV: s24(gds, 17) / 1000,
          dx: u24(gds, 20),
          dy: u24(gds, 23),
          southPole: (gds[26]! & 0x80) !== 0,
          scan: gds[27]!,
          latin1: s24(gds, 28) / 1000,
          latin2: s24(gds, 31) / 1000,
          latD: s24(gds, 28) / 1000,
          earth: grib1Earth(res),
        },
        points: ni * nj,
      };
    case 50:
      return { grid: { kind: 'unsupported', template: 50, what: 'spherical harmonics (GRIB1 data representation type 50)' }, points: 0 };
    default:
      return { grid: { kind: 'unsupported', template: type, what: `GRIB1 data representation type ${type}` }, points: 0 };
  }
}

async function parseGrib1(src: FileSource, msg: number, start: number, length: number): Promise<GribField> {
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
  if ((grid.kind === 'reduced_gg' || grid.kind === 'regular_gg') && !(grid.n >= 1 && grid.n <= MAX_GAUSSIAN_N && grid.nj <= 2 * grid.n)) {
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
