/**
 * Writers of large (>= 1 GiB) test files that cost almost no disk: the headers are real, the data
 * region is a sparse hole (zeros) except for one block of known values. Window reads must touch
 * only that block, which the tests check with the process's read-byte counter.
 */
import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';

export const GIB = 1024 ** 3;

/** Bytes this process has read through read(2)-like calls so far (Linux /proc/self/io `rchar`). */
export function bytesReadSoFar(): number {
  const m = /rchar:\s*(\d+)/.exec(readFileSync('/proc/self/io', 'utf8'));
  return m ? Number(m[1]) : NaN;
}

function writeAt(fd: number, pos: number, data: Uint8Array): void {
  let done = 0;
  while (done < data.length) done += writeSync(fd, data, done, data.length - done, pos + done);
}

export interface BigTiff {
  width: number;
  height: number;
  tile: number;
  /** The tile holding known values, and those values (row-major within the tile). */
  tileY: number;
  tileX: number;
  values: Float32Array;
}

/**
 * A 16384 x 16384 float32 tiled, uncompressed, geographic (EPSG:4326) classic TIFF of 1 GiB of
 * pixel data plus headers. Tile (tileY, tileX) holds i * 0.5 at pixel i of the tile.
 */
export function writeBigTiff(path: string): BigTiff {
  const width = 16384;
  const height = 16384;
  const tile = 512;
  const tilesAcross = width / tile;
  const nTiles = tilesAcross * (height / tile);
  const tileBytes = tile * tile * 4;
  const dataStart = 1 << 16;

  const entries: Array<[tag: number, type: number, count: number, value: number | Uint8Array]> = [];
  const extra: Uint8Array[] = [];
  const u32s = (vals: number[]): Uint8Array => new Uint8Array(Uint32Array.from(vals).buffer);
  const f64s = (vals: number[]): Uint8Array => new Uint8Array(Float64Array.from(vals).buffer);
  const u16s = (vals: number[]): Uint8Array => new Uint8Array(Uint16Array.from(vals).buffer);
  const SHORT = 3;
  const LONG = 4;
  const DOUBLE = 12;
  entries.push([256, LONG, 1, width], [257, LONG, 1, height], [258, SHORT, 1, 32], [259, SHORT, 1, 1], [262, SHORT, 1, 1], [277, SHORT, 1, 1], [284, SHORT, 1, 1]);
  entries.push([322, LONG, 1, tile], [323, LONG, 1, tile]);
  entries.push([324, LONG, nTiles, u32s(Array.from({ length: nTiles }, (_, i) => dataStart + i * tileBytes))]);
  entries.push([325, LONG, nTiles, u32s(new Array<number>(nTiles).fill(tileBytes))]);
  entries.push([339, SHORT, 1, 3]);
  entries.push([33550, DOUBLE, 3, f64s([0.01, 0.01, 0])]);
  entries.push([33922, DOUBLE, 6, f64s([0, 0, 0, -10, 80, 0])]);
  // GeoKeyDirectory: version 1.1.0, 3 keys: GTModelType = geographic, GTRasterType = PixelIsArea, GeographicType = 4326.
  entries.push([34735, SHORT, 16, u16s([1, 1, 0, 3, 1024, 0, 1, 2, 1025, 0, 1, 1, 2048, 0, 1, 4326])]);

  const ifdStart = 8;
  const ifdBytes = 2 + entries.length * 12 + 4;
  const ifd = new DataView(new ArrayBuffer(ifdBytes));
  let heap = ifdStart + ifdBytes;
  ifd.setUint16(0, entries.length, true);
  entries.forEach(([tag, type, count, value], i) => {
    const p = 2 + i * 12;
    ifd.setUint16(p, tag, true);
    ifd.setUint16(p + 2, type, true);
    ifd.setUint32(p + 4, count, true);
    if (typeof value === 'number') {
      if (type === SHORT) ifd.setUint16(p + 8, value, true);
      else ifd.setUint32(p + 8, value, true);
    } else {
      ifd.setUint32(p + 8, heap, true);
      extra.push(value);
      heap += value.length + (value.length % 2);
    }
  });
  if (heap > dataStart) throw new Error('TIFF header does not fit before the pixel data');

  const fd = openSync(path, 'w');
  try {
    writeAt(fd, 0, Uint8Array.from([0x49, 0x49, 42, 0, 8, 0, 0, 0]));
    writeAt(fd, ifdStart, new Uint8Array(ifd.buffer));
    let pos = ifdStart + ifdBytes;
    for (const e of extra) {
      writeAt(fd, pos, e);
      pos += e.length + (e.length % 2);
    }
    ftruncateSync(fd, dataStart + nTiles * tileBytes);
    const tileY = 3;
    const tileX = 5;
    const values = Float32Array.from({ length: tile * tile }, (_, i) => i * 0.5);
    writeAt(fd, dataStart + (tileY * tilesAcross + tileX) * tileBytes, new Uint8Array(values.buffer));
    return { width, height, tile, tileY, tileX, values };
  } finally {
    closeSync(fd);
  }
}

export interface BigNetcdf {
  nt: number;
  ny: number;
  nx: number;
  /** Time index and latitude rows [y0, y1) holding known values: (t * 1e6 + row * nx + col) * 0.25. */
  t: number;
  y0: number;
  y1: number;
}

/**
 * A 64-bit-offset (CDF-2) NetCDF file with float t2m(time=64, lat=2048, lon=2048): 1 GiB of data.
 * Only rows [y0, y1) of time step t hold values; the rest is a sparse hole (zeros).
 */
export function writeBigNetcdf(path: string): BigNetcdf {
  const nt = 64;
  const ny = 2048;
  const nx = 2048;
  const parts: number[] = [];
  const u32 = (v: number) => parts.push((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
  const u64 = (v: number) => (u32(Math.floor(v / 2 ** 32)), u32(v >>> 0));
  const name = (s: string) => {
    u32(s.length);
    for (const ch of Buffer.from(s)) parts.push(ch);
    while (parts.length % 4) parts.push(0);
  };
  const text = (key: string, val: string) => {
    name(key);
    u32(2);
    u32(val.length);
    for (const ch of Buffer.from(val)) parts.push(ch);
    while (parts.length % 4) parts.push(0);
  };
  const vars = [
    { name: 'time', dims: [0], type: 6, size: nt * 8, units: 'hours since 2024-01-01 00:00:00' },
    { name: 'lat', dims: [1], type: 5, size: ny * 4, units: 'degrees_north' },
    { name: 'lon', dims: [2], type: 5, size: nx * 4, units: 'degrees_east' },
    { name: 't2m', dims: [0, 1, 2], type: 5, size: nt * ny * nx * 4, units: 'K' },
  ];
  // The header size does not depend on the offsets it holds: write it once to measure, once for real.
  const header = (begins: number[]): Uint8Array => {
    parts.length = 0;
    parts.push(0x43, 0x44, 0x46, 2);
    u32(0);
    u32(0x0a);
    u32(3);
    for (const [n, s] of [['time', nt], ['lat', ny], ['lon', nx]] as const) (name(n), u32(s));
    u32(0);
    u32(0);
    u32(0x0b);
    u32(vars.length);
    vars.forEach((v, i) => {
      name(v.name);
      u32(v.dims.length);
      v.dims.forEach((d) => u32(d));
      u32(0x0c);
      u32(1);
      text('units', v.units);
      u32(v.type);
      u32(v.size >= 2 ** 32 ? 0xffffffff : v.size);
      u64(begins[i]!);
    });
    return Uint8Array.from(parts);
  };
  const headerBytes = header([0, 0, 0, 0]).length;
  const begins: number[] = [];
  let pos = Math.ceil(headerBytes / 4) * 4;
  for (const v of vars) (begins.push(pos), (pos += v.size));
  const t = 10;
  const y0 = 100;
  const y1 = 200;
  const fd = openSync(path, 'w');
  try {
    writeAt(fd, 0, header(begins));
    const be = (arr: Float32Array | Float64Array): Uint8Array => {
      const b = Buffer.from(arr.buffer.slice(0));
      if (arr instanceof Float64Array) b.swap64();
      else b.swap32();
      return b;
    };
    writeAt(fd, begins[0]!, be(Float64Array.from({ length: nt }, (_, i) => i * 6)));
    writeAt(fd, begins[1]!, be(Float32Array.from({ length: ny }, (_, i) => 80 - i * 0.05)));
    writeAt(fd, begins[2]!, be(Float32Array.from({ length: nx }, (_, i) => -20 + i * 0.05)));
    ftruncateSync(fd, pos);
    const slab = Float32Array.from({ length: (y1 - y0) * nx }, (_, i) => (t * 1e6 + y0 * nx + i) * 0.25);
    writeAt(fd, begins[3]! + (t * ny * nx + y0 * nx) * 4, be(slab));
  } finally {
    closeSync(fd);
  }
  return { nt, ny, nx, t, y0, y1 };
}
