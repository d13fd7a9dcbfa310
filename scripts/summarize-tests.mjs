// Sums vitest JSON, pytest JUnit XML and Maven Surefire XML reports into one line:
// "N passed, N failed" (the line CI reads; skipped tests are reported on the line before). Exits 1 when anything failed or
// when no test ran at all.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [outDir, surefireDir] = process.argv.slice(2);
let passed = 0, failed = 0, skipped = 0;
const parts = [];

const vitest = join(outDir, 'vitest.json');
if (existsSync(vitest)) {
  const r = JSON.parse(readFileSync(vitest, 'utf8'));
  const f = (r.numFailedTests ?? 0) + (r.testResults ?? []).filter((t) => t.status === 'failed' && (t.assertionResults ?? []).length === 0).length;
  // Tests of a file that crashed stay pending: they count as failed, as does a run that ended in error.
  const pendingInFailedFiles = (r.testResults ?? []).filter((t) => t.status === 'failed').flatMap((t) => t.assertionResults ?? []).filter((a) => a.status === 'pending').length;
  const runError = (r.success === false || existsSync(join(outDir, 'vitest.failed'))) && f + pendingInFailedFiles === 0 ? 1 : 0;
  const vf = f + pendingInFailedFiles + runError;
  passed += r.numPassedTests ?? 0; failed += vf; skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0) - pendingInFailedFiles;
  parts.push(`vitest ${r.numPassedTests ?? 0}/${vf}${runError ? ' (run ended in an error)' : ''}`);
} else { failed += 1; parts.push('vitest: no report'); }

function junit(file, label) {
  const xml = readFileSync(file, 'utf8');
  let t = 0, f = 0, e = 0, s = 0;
  // Sum <testsuite> totals (pytest wraps them in <testsuites>, surefire writes one per file).
  for (const m of xml.matchAll(/<testsuite\b([^>]*)>/g)) {
    const a = (k) => Number((m[1].match(new RegExp(`\\b${k}="(\\d+)"`)) ?? [])[1] ?? 0);
    t += a('tests'); f += a('failures'); e += a('errors'); s += a('skipped');
  }
  passed += t - f - e - s; failed += f + e; skipped += s;
  return `${label} ${t - f - e - s}/${f + e}`;
}

const pytest = join(outDir, 'pytest.xml');
if (existsSync(pytest)) parts.push(junit(pytest, 'pytest'));
else { failed += 1; parts.push('pytest: no report'); }

if (surefireDir && existsSync(surefireDir)) {
  // One sub-directory per Spark line (spark-4, spark-3.5), or the reports themselves.
  const dirs = [surefireDir, ...readdirSync(surefireDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(surefireDir, d.name))];
  for (const dir of dirs) for (const f of readdirSync(dir).filter((f) => f.startsWith('TEST-') && f.endsWith('.xml'))) junit(join(dir, f), 'junit');
  parts.push('junit (surefire) included');
}

if (existsSync(join(outDir, 'maven.failed'))) { failed += 1; parts.push('maven build failed'); }

console.log(`suites: ${parts.join(', ')}${skipped ? `; ${skipped} skipped` : ''}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
