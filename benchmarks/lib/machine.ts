/** The machine and software a result was measured on. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { ROOT, VENV_PYTHON } from './paths.js';
import type { MachineInfo } from './results.js';

export function machineInfo(): MachineInfo {
  const list = cpus();
  let model = list[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) model = m[1]!.trim();
  } catch {
    // not Linux
  }
  return {
    cpus: list.length,
    cpuModel: model,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${type()} ${release()}`,
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

function tryRun(cmd: string, args: string[]): string | null {
  try {
    return execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** Node, Python and the bridge's own commit; the reference libraries add theirs as workers report them. */
export function baseVersions(): Record<string, string> {
  const v: Record<string, string> = { node: process.versions.node };
  const py = tryRun(VENV_PYTHON, ['-c', 'import sys; print(sys.version.split()[0])']);
  if (py) v.python = py;
  const commit = tryRun('git', ['rev-parse', '--short', 'HEAD']);
  // A run from an exported tree (git archive, no .git) names its revision here.
  if (process.env.WEKEO_BENCH_REVISION) v['wekeo-bridge'] = process.env.WEKEO_BENCH_REVISION;
  else if (commit) {
    const dirty = tryRun('git', ['status', '--porcelain', '--', 'src']);
    const n = dirty ? dirty.split('\n').filter(Boolean).length : 0;
    v['wekeo-bridge'] = n ? `${commit} + ${n} uncommitted file(s) in src/` : commit;
  }
  return v;
}
