/**
 * What the NetCDF plugin needs from a file, whatever its on-disk format: variables with their
 * dimensions, shapes, types and attributes (the CF view in cf/variable.ts), and hyperslab reads.
 * NetCDF-3 (classic, 64-bit offset, CDF-5) and NetCDF-4/HDF5 each implement it.
 */
import type { AttrValue, NcArray, NcType, NcVariable } from '../cf/variable.js';

export interface NcBackend {
  readonly format: 'netcdf3' | 'cdf5' | 'netcdf4';
  readonly path: string;
  readonly dims: Record<string, number>;
  readonly variables: NcVariable[];
  readonly globalAttrs: Record<string, AttrValue>;
  /**
   * Reads a hyperslab in C order. `start`/`count` have one entry per dimension. The returned
   * array belongs to the caller (a fresh buffer, never a view of shared memory), so CF decoding
   * may overwrite it in place. With `into` (large enough), the values may instead be read into
   * it and returned as a view of it: a caller that consumes each result before the next read
   * reuses one buffer instead of allocating one per read.
   */
  read(name: string, start: number[], count: number[], into?: Uint8Array): Promise<NcArray>;
  /** The storage chunk shape of a variable (NetCDF-4 chunked layout), or null when it has none. */
  chunkShape(name: string): number[] | null;
  close(): Promise<void>;
}

/** Bytes per value of each numeric type (char = 1). */
export const TYPE_BYTES: Record<Exclude<NcType, 'string'>, number> = {
  int8: 1,
  uint8: 1,
  char: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  float32: 4,
  int64: 8,
  uint64: 8,
  float64: 8,
};
