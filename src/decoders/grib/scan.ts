/**
 * Indexes a GRIB file: finds every message (GRIB1 and GRIB2 may be mixed, garbage between
 * messages is skipped), checks its length and end marker, and hands it to the edition's section
 * reader (grib1.ts, grib2.ts), which describes each field from headers only. No data section is
 * read here.
 */
import { DecodeError } from '../errors.js';
import { u24, u64 } from './bits.js';
import { parseGrib1 } from './grib1.js';
import { parseGrib2 } from './grib2.js';
import { fail } from './header-checks.js';
import type { GribField } from './model.js';
import type { FileSource } from './source.js';

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
