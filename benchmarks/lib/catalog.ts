/** Catalog folders for the bridge made of links to generated inputs (one subfolder per dataset). */
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DATA } from './paths.js';

export function linkCatalog(name: string, datasets: Record<string, string[]>): string {
  const dir = join(DATA, 'catalogs', name);
  rmSync(dir, { recursive: true, force: true });
  for (const [dataset, files] of Object.entries(datasets)) {
    mkdirSync(join(dir, dataset), { recursive: true });
    for (const f of files) symlinkSync(f, join(dir, dataset, basename(f)));
  }
  return dir;
}
