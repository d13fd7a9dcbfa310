/**
 * Shared by the GRIB1 and GRIB2 section readers: the error that names message and section, and
 * the limits beyond which a header value can only be corruption (checked before anything is
 * allocated from it).
 */
import { DecodeError } from '../errors.js';
import type { GribField } from './model.js';
import type { FileSource } from './source.js';

export function fail(src: FileSource, msg: number, section: string, detail: string, code: 'CORRUPT' | 'TRUNCATED' | 'UNSUPPORTED' | 'LIMIT' = 'CORRUPT'): never {
  throw new DecodeError(code, src.path, `GRIB message ${msg + 1}, ${section}: ${detail}`);
}

/** Largest grid accepted: 67 M points (a 0.03° global grid); beyond that a header is corrupt. */
export const MAX_GRID_POINTS = 1 << 26;
/** Finest Gaussian grid accepted (N8000 is beyond any operational model). */
export const MAX_GAUSSIAN_N = 8000;

/** Whether a Gaussian grid's N (parallels pole to equator) and row count are plausible. */
export function plausibleGaussian(grid: GribField['grid']): boolean {
  return !(grid.kind === 'reduced_gg' || grid.kind === 'regular_gg') || (grid.n >= 1 && grid.n <= MAX_GAUSSIAN_N && grid.nj <= 2 * grid.n);
}
