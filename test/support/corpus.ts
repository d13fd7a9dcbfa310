import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (this file lives in test/support). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The full reference corpus (../shared/corpus next to the clone, or $WEKEO_CORPUS), or null when
 * absent: a user's clone has only the small copies in samples/ and test/fixtures/.
 */
export function corpusDir(): string | null {
  // WEKEO_NO_CORPUS=1 simulates a user's clone (no ../shared) to check the fixture-only path.
  if (process.env.WEKEO_NO_CORPUS === '1') return null;
  const candidates = [process.env.WEKEO_CORPUS, join(repoRoot, '..', 'shared', 'corpus')];
  for (const c of candidates) if (c && existsSync(join(c, 'MANIFEST.json'))) return c;
  return null;
}

/** Data files of one corpus kind ("grib", "netcdf", "geotiff"), with their oracle paths. */
export function corpusFiles(kind: 'grib' | 'netcdf' | 'geotiff'): Array<{ name: string; path: string; oracle: string }> {
  const dir = corpusDir();
  if (!dir) return [];
  const sub = join(dir, kind);
  return readdirSync(sub)
    .filter((f) => !f.endsWith('.oracle.json'))
    .sort()
    .map((f) => ({ name: f, path: join(sub, f), oracle: join(sub, `${f}.oracle.json`) }));
}

/** Reads an oracle JSON; the corpus encodes NaN/Infinity as strings. */
export function readOracle<T = unknown>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** Locates a file by name: the full corpus first, then the committed copies (samples/, test/fixtures/). */
export function locate(kind: 'grib' | 'netcdf' | 'geotiff', name: string): { path: string; oracle: string } | null {
  const dirs = [corpusDir() ? join(corpusDir()!, kind) : null, join(repoRoot, 'test', 'fixtures', kind), join(repoRoot, 'samples')];
  for (const d of dirs) {
    if (!d) continue;
    const p = findFile(d, name);
    if (p && existsSync(`${p}.oracle.json`)) return { path: p, oracle: `${p}.oracle.json` };
  }
  return null;
}

function findFile(dir: string, name: string): string | null {
  if (!existsSync(dir)) return null;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      const q = findFile(p, name);
      if (q) return q;
    } else if (e.name === name) return p;
  }
  return null;
}
