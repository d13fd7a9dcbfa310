/** Where the benchmark suite keeps its inputs, results and reference tools. */
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const BENCH = join(ROOT, 'benchmarks');
export const DATA = join(BENCH, 'data');
export const RESULTS = join(BENCH, 'results');
export const PY_DIR = join(BENCH, 'py');
export const VENV_PYTHON = process.env.BENCH_PYTHON ?? join(ROOT, '.venv-bench', 'bin', 'python');

/** Arguments that run a TypeScript file under tsx in a plain `node` process (one pid to watch and stop). */
/**
 * Where run.sh compiles the work tree (src/ and the Node workers) before the suites run: our side
 * runs as plain compiled JavaScript, as `wekeo serve` does in production. A TypeScript loader in
 * the measured processes would add its own memory and GC work (hundreds of MiB per thread).
 */
export const BUILD = join(DATA, 'build');

/** A Node worker of the suites (benchmarks/workers/FILE.ts), run from its compiled build. */
export function nodeWorker(file: string, ...args: string[]): [string, string[]] {
  return [process.execPath, [join(BUILD, 'benchmarks', file.replace(/\.ts$/, '.js')), ...args]];
}

export function py(file: string, ...args: string[]): [string, string[]] {
  return [VENV_PYTHON, [join(PY_DIR, file), ...args]];
}
