/**
 * GRIB2 section 3: the grid definition templates we give coordinates for (3.0/3.1 regular and
 * rotated lat/lon, 3.10 Mercator, 3.20 polar stereographic, 3.30 Lambert conformal, 3.40
 * regular and reduced Gaussian) and the figure of the earth. Polar stereographic and Lambert
 * share their first 35 octets of template and are read by one function.
 */
import { f32, s32, u16, u32 } from './bits.js';
import type { Earth, GribField } from './model.js';

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

/** Octets 31-65 of templates 3.20 and 3.30: size, first point, projection centre, increments. */
function projection(sec: Uint8Array) {
  return {
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
    earth: earthFromSection(sec),
  };
}

function earthFromSection(sec: Uint8Array): Earth {
  return earthOf(sec[14]!, sec[15]!, u32(sec, 16), sec[20]!, u32(sec, 21), sec[25]!, u32(sec, 26));
}

export function parseGrid2(sec: Uint8Array): { grid: GribField['grid']; points: number } {
  const points = u32(sec, 6);
  const listOctets = sec[10]!;
  const tpl = u16(sec, 12);
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
          earth: earthFromSection(sec),
        },
        points,
      };
    case 20:
      return { grid: { kind: 'polar_stereographic', ...projection(sec) }, points };
    case 30:
      return { grid: { kind: 'lambert', ...projection(sec), latin1: s32(sec, 65) * 1e-6, latin2: s32(sec, 69) * 1e-6 }, points };
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

