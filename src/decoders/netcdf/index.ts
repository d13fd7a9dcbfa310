/**
 * The NetCDF decoder plugin (classic CDF-1/2/5 and NetCDF-4/HDF5). Data variables sharing the same
 * dimensions form one variable group (layout.ts). Groups on a grid (1-D lat/lon axes, 2-D lat/lon,
 * or projected x/y with a grid mapping: see cell-grids.ts) use the points layout (time, lat, lon,
 * level, [x, y], variables...: read-points.ts); the others use the array layout (one coordinate
 * column per dimension: read-array.ts). decode-all.ts is the decode kernel behind `inspect`.
 */
import { DecodeError } from '../errors.js';
import { inspectChunks } from '../inspect.js';
import type { ColumnBatch, DecoderPlugin, ReadSelection } from '../types.js';
import { analyseFile } from './analysis.js';
import { decodeAll } from './decode-all.js';
import type { ArrayLayout, GeoLayout, Grouping } from './layout.js';
import { sniffNetcdf } from './open.js';
import { readArrayWindow } from './read-array.js';
import { readPointsWindow } from './read-points.js';

export { sniffNetcdf };

async function* readWindow(path: string, sel: ReadSelection): AsyncGenerator<ColumnBatch> {
  const { groupings } = await analyseFile(path);
  const g = groupings.find((x) => x.group.id === sel.group);
  if (!g) throw new DecodeError('BAD_SELECTION', path, `no variable group "${sel.group}" (have ${groupings.map((x) => x.group.id).join(', ')})`);
  for (const name of sel.variables) {
    if (!g.group.variables.some((v) => v.name === name)) throw new DecodeError('BAD_SELECTION', path, `variable ${name} is not in group ${g.group.id}`);
  }
  if (g.layout.kind === 'array') yield* readArrayWindow(path, g as Grouping & { layout: ArrayLayout }, sel);
  else yield* readPointsWindow(path, g as Grouping & { layout: GeoLayout }, sel);
}

export const netcdfDecoder: DecoderPlugin = {
  format: 'netcdf',
  sniff: (head) => sniffNetcdf(head) !== null,
  describe: async (path) => (await analyseFile(path)).desc,
  read: (path, selection) => readWindow(path, selection),
  decodeAll,
  inspect: async (path) => inspectChunks((await analyseFile(path)).desc.format, decodeAll(path)),
};
