/**
 * The README's formats table is a contract: each row names a file, `yes` rows must decode through
 * the same path as `wekeo inspect` (format detection, then the plugin), `no` rows must fail with a
 * typed UNSUPPORTED error naming the file. Corpus files are checked when the corpus is present.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../src/decoders/errors.js';
import { detect } from '../../src/decoders/registry.js';
import { corpusDir, repoRoot } from '../support/corpus.js';

interface Row {
  format: string;
  variant: string;
  status: 'yes' | 'no' | 'untested';
  file: string | null;
}

function readTable(): Row[] {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const m = /<!-- formats:begin -->([\s\S]*?)<!-- formats:end -->/.exec(readme);
  if (!m) throw new Error('README.md has no formats table between the formats:begin/end markers');
  return m[1]!
    .split('\n')
    .filter((l) => l.startsWith('|') && !l.startsWith('|---') && !l.startsWith('| format |'))
    .map((l) => {
      const cells = l.split('|').slice(1, -1).map((c) => c.trim());
      const file = /^`([^`]+)`$/.exec(cells[3] ?? '')?.[1] ?? null;
      return { format: cells[0]!, variant: cells[1]!, status: cells[2] as Row['status'], file };
    });
}

const rows = readTable();
const corpus = corpusDir();

function resolve(file: string): string | null {
  if (file.startsWith('corpus:')) return corpus ? join(corpus, file.slice('corpus:'.length)) : null;
  return join(repoRoot, file);
}

describe('README formats table', () => {
  it('lists every decoder format, with a status and a file for each checked row', () => {
    expect(rows.length).toBeGreaterThan(30);
    for (const f of ['NetCDF', 'GRIB1', 'GRIB2', 'GeoTIFF']) expect(rows.some((r) => r.format === f), f).toBe(true);
    for (const r of rows) {
      expect(['yes', 'no', 'untested'], `${r.format} ${r.variant}`).toContain(r.status);
      if (r.status !== 'untested') expect(r.file, `${r.format} ${r.variant} needs a file`).not.toBeNull();
    }
  });

  it.each(rows.filter((r) => r.status !== 'untested').map((r) => [`${r.format}: ${r.variant} (${r.status})`, r] as const))('%s', async (_label, row) => {
    const path = resolve(row.file!);
    if (!path) return; // corpus file without the corpus: covered in CI
    const work = (async () => {
      const plugin = await detect(path);
      const report = await plugin.inspect(path);
      return report;
    })();
    if (row.status === 'yes') {
      const report = await work;
      expect(report.fields.length).toBeGreaterThan(0);
      expect(report.fields.some((f) => f.count > 0)).toBe(true);
    } else {
      const err = await work.then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(DecodeError);
      expect((err as DecodeError).code).toBe('UNSUPPORTED');
      expect((err as DecodeError).file).toBe(path);
    }
  }, 120_000);
});
