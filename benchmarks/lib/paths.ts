/** Where the benchmark suite keeps its inputs, results and reference tools. */
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const BENCH = join(ROOT, 'benchmarks');
export const DATA = join(BENCH, 'data');
export const RESULTS = join(BENCH, 'results');
export const PY_DIR = join(BENCH, 'py');
export const VENV_PYTHON = process.env.BENCH_PYTHON ?? join(ROOT, '.venv-bench', 'bin', 'python');

/** Arguments that run a TypeScript file under tsx in a plain `node` process (one pid to watch and stop). */
export function tsNode(file: string, ...args: string[]): [string, string[]] {
  return [process.execPath, ['--import', 'tsx', join(BENCH, file), ...args]];
}

export function py(file: string, ...args: string[]): [string, string[]] {
  return [VENV_PYTHON, [join(PY_DIR, file), ...args]];
}
