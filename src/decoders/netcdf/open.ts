/**
 * Which reader a NetCDF file needs, from its first bytes: the classic formats (CDF-1/2/5) have
 * our own reader, NetCDF-4 is HDF5. Kept apart from the plugin so every module that opens a file
 * (analysis, reads, decodeAll) shares one sniffing rule.
 */
import { open } from 'node:fs/promises';
import { DecodeError } from '../errors.js';
import { notReadable } from '../file-state.js';
import type { NcBackend } from './backend.js';
import { HDF5Backend } from './hdf5.js';
import { NetCDF3Backend } from './netcdf3.js';

const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export function sniffNetcdf(head: Uint8Array): 'netcdf3' | 'cdf5' | 'netcdf4' | null {
  if (head[0] === 0x43 && head[1] === 0x44 && head[2] === 0x46) {
    if (head[3] === 1 || head[3] === 2) return 'netcdf3';
    if (head[3] === 5) return 'cdf5';
  }
  // HDF5 allows a user block: the signature may sit at 0, 512, 1024, 2048, ...
  for (let off = 0; off + 8 <= head.length; off = off === 0 ? 512 : off * 2) {
    if (HDF5_MAGIC.every((b, i) => head[off + i] === b)) return 'netcdf4';
  }
  return null;
}

export async function openBackend(path: string): Promise<NcBackend> {
  const head = new Uint8Array(4096);
  const fh = await open(path, 'r').catch((e: unknown) => {
    throw notReadable(path, e);
  });
  try {
    await fh.read(head, 0, head.length, 0);
  } finally {
    await fh.close();
  }
  const kind = sniffNetcdf(head);
  if (kind === 'netcdf3' || kind === 'cdf5') return NetCDF3Backend.open(path);
  if (kind === 'netcdf4') return HDF5Backend.open(path);
  throw new DecodeError('UNKNOWN_FORMAT', path, 'not a NetCDF file (no CDF or HDF5 signature)');
}

