/**
 * The GRIB decoder plugin (GRIB1 and GRIB2, mixed in one file): `describe` from the file index
 * (file-index.ts), `read` of points-layout windows (read.ts), and `decodeAll`, every field
 * decoded into float64 in file order (or a worker's share of the fields), on which `inspect` is
 * built.
 */
import { isoFromMicros } from '../cf/time.js';
import { asDecodeError } from '../errors.js';
import { inspectChunks } from '../inspect.js';
import { inShare, type DecodedChunk, type DecoderPlugin, type WorkShare } from '../types.js';
import { fileIndex } from './file-index.js';
import { readWindow } from './read.js';
import { FileSource } from './source.js';
import { decodeField } from './unpack.js';

export function sniffGrib(head: Uint8Array): boolean {
  for (let i = 0; i + 8 <= head.length; i++) {
    if (head[i] === 0x47 && head[i + 1] === 0x52 && head[i + 2] === 0x49 && head[i + 3] === 0x42 && (head[i + 7] === 1 || head[i + 7] === 2)) return true;
  }
  return false;
}

async function* decodeAll(path: string, share?: WorkShare): AsyncGenerator<DecodedChunk> {
  const idx = await fileIndex(path);
  const src = await FileSource.open(path);
  try {
    for (let i = 0; i < idx.fields.length; i++) {
      if (!inShare(i, share)) continue; // work unit: one field
      const f = idx.fields[i]!;
      const { values } = await decodeField(src, f);
      yield {
        field: i,
        name: f.shortName,
        values,
        info: {
          time: isoFromMicros(f.validUs),
          reference_time: isoFromMicros(f.referenceUs),
          step: f.stepHours,
          level: f.level,
          levelType: f.levelType,
          number: f.member,
          units: f.units,
          longName: f.name,
          edition: f.edition,
          message: f.message + 1,
          grid: f.grid.kind,
          packing: f.packing.kind,
        },
      };
    }
  } catch (e) {
    throw asDecodeError(path, e, 'GRIB decode failed');
  } finally {
    await src.close();
  }
}

export const gribDecoder: DecoderPlugin = {
  format: 'grib',
  sniff: sniffGrib,
  describe: async (path) => (await fileIndex(path)).desc,
  read: (path, selection) => readWindow(path, selection),
  decodeAll,
  inspect: (path) => inspectChunks('grib', decodeAll(path)),
};
