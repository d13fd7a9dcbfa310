import type { SecondOrderHeader } from './second-order.js';
/** What indexing a GRIB file learns about each field, before any data is decoded. */

export type GridDef =
  | { kind: 'regular_ll'; ni: number; nj: number; lat1: number; lon1: number; lat2: number; lon2: number; di: number; dj: number; scan: number }
  | { kind: 'rotated_ll'; ni: number; nj: number; lat1: number; lon1: number; lat2: number; lon2: number; di: number; dj: number; scan: number; spLat: number; spLon: number; angle: number }
  | { kind: 'regular_gg'; ni: number; nj: number; lat1: number; lon1: number; lat2: number; lon2: number; di: number; n: number; scan: number }
  | { kind: 'reduced_gg'; nj: number; lat1: number; lon1: number; lat2: number; lon2: number; n: number; pl: number[]; scan: number }
  | { kind: 'mercator'; ni: number; nj: number; lat1: number; lon1: number; lat2: number; lon2: number; latD: number; dx: number; dy: number; scan: number; earth: Earth }
  | { kind: 'polar_stereographic'; ni: number; nj: number; lat1: number; lon1: number; latD: number; lonV: number; dx: number; dy: number; southPole: boolean; scan: number; earth: Earth }
  | { kind: 'lambert'; ni: number; nj: number; lat1: number; lon1: number; latD: number; lonV: number; dx: number; dy: number; latin1: number; latin2: number; southPole: boolean; scan: number; earth: Earth };

/** Figure of the earth: a sphere (a = b) or an ellipsoid, in metres. */
export interface Earth {
  a: number;
  b: number;
}

export type Packing =
  | { kind: 'simple'; r: number; e: number; d: number; bits: number }
  | { kind: 'complex'; r: number; e: number; d: number; bits: number; order: 0 | 1 | 2; extraOctets: number; missingMgmt: number; ng: number; refWidth: number; bitsWidth: number; refLength: number; lengthIncrement: number; lastLength: number; bitsLength: number }
  | { kind: 'ieee'; precision: 32 | 64 }
  | { kind: 'jpeg2000'; r: number; e: number; d: number; bits: number }
  | { kind: 'png'; r: number; e: number; d: number; bits: number }
  | { kind: 'ccsds'; r: number; e: number; d: number; bits: number; flags: number; blockSize: number; rsi: number }
  | { kind: 'grib1_simple'; r: number; e: number; d: number; bits: number; unusedBits: number }
  | { kind: 'grib1_second_order'; r: number; e: number; d: number; header: SecondOrderHeader };

export interface GribField {
  /** Position in the file: message index (0-based) and field within a multi-field message. */
  message: number;
  field: number;
  edition: 1 | 2;
  centre: number;
  /** Parameter keys: GRIB2 discipline/category/number or GRIB1 table version/indicator. */
  discipline: number;
  category: number;
  number: number;
  table2Version: number;
  /** CAMS chemical constituent type (templates 4.40-4.43), or -1. */
  constituent: number;
  shortName: string;
  name: string;
  units: string;
  referenceUs: number;
  /** Forecast step in hours (fractional for minute steps). */
  stepHours: number;
  validUs: number;
  levelType: string;
  levelCode: number;
  level: number;
  member: number | null;
  productTemplate: number;
  grid: GridDef | { kind: 'unsupported'; template: number; what: string };
  numberOfPoints: number;
  packing: Packing | { kind: 'unsupported'; template: number; what: string };
  /** Number of packed values (section 5); less than numberOfPoints with a bitmap. */
  packedValues: number;
  /** Bitmap: file offset of the bits, or -1 for none. */
  bitmapOffset: number;
  dataOffset: number;
  dataLength: number;
}
