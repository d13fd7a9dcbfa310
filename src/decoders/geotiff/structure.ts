/**
 * A cheap structural check of a TIFF's image file directories before geotiff.js parses them.
 * geotiff.js trusts tag counts and offsets: a corrupted count makes it read millions of values
 * one by one (seconds for a 500-byte file), and strips or tiles past the end of the file come
 * back short instead of failing. Here every tag of IFD 0 must fit in the file, and so must every
 * strip or tile, so a damaged file fails fast with a typed error naming what is wrong.
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { DecodeError } from '../errors.js';
import { notReadable } from '../file-state.js';

/** Bytes per value of each TIFF field type (TIFF 6.0 and BigTIFF). */
const TYPE_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8 };
const MAX_ENTRIES = 4096;
/** Strip/tile tables larger than this are not read back for checking (a 1 M-tile raster). */
const MAX_CHUNK_TABLE = 1 << 20;

const STRIP_OFFSETS = 273;
const STRIP_BYTE_COUNTS = 279;
const TILE_OFFSETS = 324;
const TILE_BYTE_COUNTS = 325;

interface Entry {
  type: number;
  count: number;
  /** File offset of the values (inline values live inside the entry). */
  at: number;
}

async function bytes(fh: FileHandle, pos: number, len: number): Promise<DataView> {
  const buf = Buffer.alloc(len);
  const { bytesRead } = await fh.read(buf, 0, len, pos);
  return new DataView(buf.buffer, buf.byteOffset, bytesRead);
}

/** Most IFDs of a chain we look at: the image, its mask and overviews come first in COGs and GDAL files. */
const MAX_IFDS = 16;

/**
 * Checks IFD 0 (every tag fits, every strip or tile too) and returns how many IFDs of the chain,
 * from the first, are structurally sound (at least 1): later ones (overviews, masks) are only used
 * below that count, so a damaged overview never stalls reading the main image.
 */
export async function checkTiffStructure(path: string): Promise<number> {
  const fh = await open(path, 'r').catch((e: unknown) => {
    throw notReadable(path, e);
  });
  try {
    const size = (await fh.stat()).size;
    const head = await bytes(fh, 0, 16);
    if (head.byteLength < 8) throw new DecodeError('TRUNCATED', path, `TIFF header: ${size} bytes`);
    const le = head.getUint8(0) === 0x49;
    const big = head.getUint16(2, le) === 43;
    const u64 = (v: DataView, p: number) => Number(v.getBigUint64(p, le));
    const ifd = big ? (head.byteLength >= 16 ? u64(head, 8) : -1) : head.getUint32(4, le);
    if (!(ifd >= 8 && ifd < size)) throw new DecodeError('CORRUPT', path, `TIFF header: first IFD offset ${ifd} outside the file (${size} bytes)`);

    const countBytes = big ? 8 : 2;
    const entryBytes = big ? 20 : 12;
    const inline = big ? 8 : 4;

    /** The tags of the IFD at `at` and the offset of the next IFD; throws on any tag past the end of the file. */
    const readIfd = async (at: number, index: number): Promise<{ tags: Map<number, Entry>; next: number }> => {
      const cv = await bytes(fh, at, countBytes);
      if (cv.byteLength < countBytes) throw new DecodeError('TRUNCATED', path, `IFD ${index} at ${at}: entry count past the end of the file`);
      const n = big ? u64(cv, 0) : cv.getUint16(0, le);
      if (n === 0 || n > MAX_ENTRIES) throw new DecodeError('CORRUPT', path, `IFD ${index} at ${at}: ${n} entries`);
      const table = await bytes(fh, at + countBytes, n * entryBytes + (big ? 8 : 4));
      if (table.byteLength < n * entryBytes) throw new DecodeError('TRUNCATED', path, `IFD ${index} at ${at}: ${n} entries run past the end of the file`);
      const tags = new Map<number, Entry>();
      for (let i = 0; i < n; i++) {
        const p = i * entryBytes;
        const tag = table.getUint16(p, le);
        const type = table.getUint16(p + 2, le);
        const count = big ? u64(table, p + 4) : table.getUint32(p + 4, le);
        const width = TYPE_SIZE[type];
        if (width === undefined) continue; // unknown types are skipped, as libtiff does
        const len = width * count;
        const where = len <= inline ? at + countBytes + p + (big ? 12 : 8) : big ? u64(table, p + 12) : table.getUint32(p + 8, le);
        if (where + len > size) throw new DecodeError('CORRUPT', path, `IFD ${index}: tag ${tag} holds ${count} values of type ${type} at offset ${where}, past the end of the file (${size} bytes)`);
        tags.set(tag, { type, count, at: where });
      }
      const np = n * entryBytes;
      const next = table.byteLength >= np + (big ? 8 : 4) ? (big ? u64(table, np) : table.getUint32(np, le)) : 0;
      return { tags, next };
    };

    const first = await readIfd(ifd, 0);
    const tags = first.tags;
    let sound = 1;
    const seen = new Set([ifd]);
    for (let next = first.next; next && sound < MAX_IFDS; sound++) {
      if (next >= size || seen.has(next)) break;
      seen.add(next);
      try {
        next = (await readIfd(next, sound)).next;
      } catch {
        break;
      }
    }

    const offsets = tags.get(TILE_OFFSETS) ?? tags.get(STRIP_OFFSETS);
    const counts = tags.get(TILE_BYTE_COUNTS) ?? tags.get(STRIP_BYTE_COUNTS);
    if (!offsets) throw new DecodeError('CORRUPT', path, 'IFD 0 has neither StripOffsets nor TileOffsets');
    if (!counts) return sound; // libtiff estimates missing byte counts; geotiff.js reads to the next chunk
    if (offsets.count !== counts.count) throw new DecodeError('CORRUPT', path, `IFD 0: ${offsets.count} chunk offsets but ${counts.count} byte counts`);
    if (offsets.count > MAX_CHUNK_TABLE) return sound;
    const [ov, bv] = await Promise.all([values(fh, offsets, le), values(fh, counts, le)]);
    for (let i = 0; i < ov.length; i++) {
      if (bv[i]! > 0 && ov[i]! + bv[i]! > size) {
        throw new DecodeError('TRUNCATED', path, `${tags.has(TILE_OFFSETS) ? 'tile' : 'strip'} ${i}: ${bv[i]} bytes at offset ${ov[i]} run past the end of the file (${size} bytes)`);
      }
    }
    return sound;
  } finally {
    await fh.close();
  }
}

async function values(fh: FileHandle, e: Entry, le: boolean): Promise<number[]> {
  const width = TYPE_SIZE[e.type]!;
  const v = await bytes(fh, e.at, width * e.count);
  const out = new Array<number>(e.count);
  for (let i = 0; i < e.count; i++) {
    const p = i * width;
    out[i] = width === 2 ? v.getUint16(p, le) : width === 4 ? v.getUint32(p, le) : width === 8 ? Number(v.getBigUint64(p, le)) : v.getUint8(p);
  }
  return out;
}
