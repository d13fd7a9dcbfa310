/**
 * The list of decoder plugins and format detection by magic bytes. Each plugin's `sniff` sees the
 * first bytes of the file; the first one that accepts it decodes the file. When none does, the
 * error names the formats tried and shows the first bytes, so a user can tell an HTML error page
 * or a zip archive from a damaged data file.
 */
import { open } from 'node:fs/promises';
import { DecodeError } from './errors.js';
import type { DecoderPlugin } from './types.js';
import { geotiffDecoder } from './geotiff/index.js';
import { gribDecoder } from './grib/index.js';
import { netcdfDecoder } from './netcdf/index.js';

export const decoders: readonly DecoderPlugin[] = [netcdfDecoder, gribDecoder, geotiffDecoder];

/** Bytes handed to `sniff`: enough for HDF5 user blocks and GRIB files with a short preamble. */
export const SNIFF_BYTES = 4096;

export async function detect(path: string): Promise<DecoderPlugin> {
  let head: Uint8Array;
  try {
    const fh = await open(path, 'r');
    try {
      const buf = new Uint8Array(SNIFF_BYTES);
      const { bytesRead } = await fh.read(buf, 0, SNIFF_BYTES, 0);
      head = buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DecodeError(code === 'ENOENT' ? 'NOT_FOUND' : 'CORRUPT', path, `cannot read file (${code ?? String(e)})`);
  }
  for (const d of decoders) if (d.sniff(head)) return d;
  const shown = Array.from(head.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join(' ');
  const text = Buffer.from(head.subarray(0, 16)).toString('latin1').replace(/[^\x20-\x7e]/g, '.');
  throw new DecodeError(
    'UNKNOWN_FORMAT',
    path,
    `not ${decoders.map((d) => d.format).join('/')}: first bytes are ${shown || '(empty file)'} "${text}"`,
  );
}

export function decoderByFormat(format: string): DecoderPlugin {
  const d = decoders.find((p) => p.format === format);
  if (!d) throw new Error(`no decoder for format "${format}"`);
  return d;
}
