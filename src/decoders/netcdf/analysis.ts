/**
 * A NetCDF file's analysis (its description plus the layout of every group), built once per file
 * version in the shared per-file cache: `read` runs many times per file (one call per partition)
 * and must not re-read coordinates or re-project grids each time.
 */
import { attrToText } from '../cf/variable.js';
import { asDecodeError } from '../errors.js';
import { FileStateCache, type FileIdentity } from '../file-state.js';
import type { FileDescription } from '../types.js';
import { buildGrouping } from './groups.js';
import { classify, type Grouping } from './layout.js';
import { openBackend } from './open.js';

export interface Analysis {
  desc: FileDescription;
  groupings: Grouping[];
}

const analyses = new FileStateCache<Analysis>('netcdf.analysis', 64);

export function analyseFile(path: string): Promise<Analysis> {
  return analyses.get(path, build);
}

async function build(id: FileIdentity): Promise<Analysis> {
  const b = await openBackend(id.path);
  try {
    const { sets, skipped } = classify(b.variables);
    const groupings: Grouping[] = [];
    for (const set of sets) groupings.push(await buildGrouping(b, set));
    const attributes = Object.fromEntries(Object.entries(b.globalAttrs).map(([k, a]) => [k, attrToText(a)]));
    if (skipped.length) attributes['wekeo.skipped_variables'] = skipped.join('; ');
    const desc: FileDescription = { path: id.path, format: b.format, sizeBytes: id.size, groups: groupings.map((g) => g.group), attributes };
    return { desc, groupings };
  } catch (e) {
    throw asDecodeError(id.path, e);
  } finally {
    await b.close();
  }
}
