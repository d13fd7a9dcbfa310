/**
 * Every value of every field, bit for bit: our decodeAll output of each corpus GRIB file (or of
 * its copy in test/fixtures when the corpus is absent) hashed as little-endian float64 in file
 * order, missing values as one canonical NaN, against the same digest of ecCodes' values
 * (fixtures/make-corpus-digests.py). Files whose grids we refuse (spherical harmonics,
 * unstructured) are skipped; corpus.test.ts checks that refusal.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gribDecoder } from '../../../src/decoders/grib/index.js';
import { locate } from '../../support/corpus.js';

const digests = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'corpus-digests.json'), 'utf8')) as { files: Record<string, { values: number; sha256: string }> };
const REFUSED = new Set(['spherical_harmonics.grib', 'test_icon.grib']);
const files = Object.entries(digests.files)
  .filter(([name]) => !REFUSED.has(name))
  .map(([name, d]) => ({ name, path: locate('grib', name)?.path, ...d }))
  .filter((f): f is { name: string; path: string; values: number; sha256: string } => !!f.path);

describe('GRIB values bit-identical to ecCodes', () => {
  it('has files to check', () => expect(files.length).toBeGreaterThan(5));
  it.each(files)('$name', async ({ path, values, sha256 }) => {
    const hash = createHash('sha256');
    let n = 0;
    for await (const c of gribDecoder.decodeAll(path)) {
      const v = Float64Array.from(c.values as Float64Array);
      for (let i = 0; i < v.length; i++) if (v[i] !== v[i]) v[i] = NaN; // canonical NaN (0x7ff8...)
      hash.update(new Uint8Array(v.buffer));
      n += v.length;
    }
    expect(n).toBe(values);
    expect(hash.digest('hex')).toBe(sha256);
  }, 60_000);
});
