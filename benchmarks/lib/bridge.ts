/**
 * The real bridge, started and stopped by a suite: `wekeo serve` on a catalog folder, on loopback
 * and a free port, with its process's CPU time and memory read from /proc for the suites that
 * measure them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from './proc.js';
import { ROOT, nodeWorker } from './paths.js';

export interface Bridge {
  uri: string;
  pid: number;
  stop(): Promise<void>;
}

export interface BridgeOptions {
  targetRows?: number;
  workers?: number;
  /** `--cache-mem` (decoded-partition cache), passed only when this version of the bridge has the option. */
  cacheMem?: string;
  /** `--cache-dir` (disk tier of the cache), passed only when this version of the bridge has the option. */
  cacheDir?: string;
  log?: (s: string) => void;
}

/** Whether `wekeo serve` in this tree accepts an option (suites run against older trees too). */
export function serveHasOption(name: string): boolean {
  try {
    return readFileSync(join(ROOT, 'src', 'cli', 'serve.ts'), 'utf8').includes(`'${name}':`);
  } catch {
    return false;
  }
}

export async function startBridge(catalog: string, opts: BridgeOptions = {}): Promise<Bridge> {
  const args = ['--catalog', catalog, '--host', '127.0.0.1', '--port', '0'];
  if (opts.targetRows) args.push('--target-rows', String(opts.targetRows));
  if (opts.workers) args.push('--workers', String(opts.workers));
  if (opts.cacheMem !== undefined && serveHasOption('cache-mem')) args.push('--cache-mem', opts.cacheMem);
  if (opts.cacheDir !== undefined && serveHasOption('cache-dir')) args.push('--cache-dir', opts.cacheDir);
  const [cmd, argv] = nodeWorker('workers/serve.ts', ...args);
  const s = await startServer('bridge', cmd, argv, /^wekeo-bridge listening on (grpc:\/\/\S+)/);
  const pid = s.child.pid!;
  opts.log?.(`bridge up on ${s.address} (pid ${pid}, catalog ${catalog})`);
  return {
    uri: s.address,
    pid,
    stop: async () => {
      await s.stop();
      opts.log?.(`bridge (pid ${pid}) stopped`);
    },
  };
}

/** USER_HZ: 100 on every Linux configuration Node runs on. */
const CLK_TCK = 100;

/** utime + stime of a process (all its threads), in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
}

/** VmRSS and VmHWM of a process, in MiB. */
export function memoryMiB(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}
