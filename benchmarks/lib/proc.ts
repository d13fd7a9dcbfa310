/**
 * Child processes of the benchmark run: every process a suite starts is tracked here and stopped
 * (by its own pid) when the run ends, fails or is interrupted, so no worker or server outlives it.
 * `JsonWorker` speaks the harness protocol (see `worker-loop.ts` / `py/worker.py`).
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { ROOT } from './paths.js';

const live = new Set<ChildProcess>();

function killAll(): void {
  for (const c of live) {
    if (c.exitCode === null && c.signalCode === null) {
      try {
        c.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  live.clear();
}

process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    process.stderr.write(`\n[bench] ${sig}: stopping child processes\n`);
    killAll();
    process.exit(130);
  });
}

/** spawn() with the child tracked for cleanup; cwd defaults to the repository root. */
export function spawnTracked(cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  const child = spawn(cmd, args, { cwd: ROOT, ...opts });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Stops one child: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** A TCP port free on loopback right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export type Facts = Record<string, number | string | boolean | null>;
export interface Reply extends Facts {
  seconds: number;
}

/** Keeps the last lines of a stream, for error messages. */
class Tail {
  private lines: string[] = [];
  constructor(private readonly max = 30) {}
  push(chunk: string): void {
    for (const l of chunk.split('\n')) if (l.trim()) this.lines.push(l);
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
  }
  toString(): string {
    return this.lines.join('\n');
  }
}

/** One benchmark worker process: started once per case, asked for one timed pass at a time. */
export class JsonWorker {
  readonly versions: Facts;
  private readonly replies: Array<(line: string | null) => void> = [];
  private readonly pending: string[] = [];
  private ended = false;

  private constructor(
    readonly label: string,
    private readonly child: ChildProcess,
    private readonly stderr: Tail,
    versions: Facts,
    lines: AsyncIterable<string>,
  ) {
    this.versions = versions;
    void this.pump(lines);
  }

  /**
   * Starts the worker and waits for its first line. Resolves to the worker, or to a string saying
   * why this side is unavailable (the worker said so, or it died before being ready).
   */
  static async start(label: string, cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<JsonWorker | string> {
    const child = spawnTracked(cmd, args, { env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const stderr = new Tail();
    child.stderr!.setEncoding('utf8').on('data', (d: string) => stderr.push(d));
    const rl = createInterface({ input: child.stdout! });
    const it = rl[Symbol.asyncIterator]();
    const timeoutMs = opts.timeoutMs ?? 120_000;
    let timer: NodeJS.Timeout | undefined;
    const first = await Promise.race([
      it.next().then((r) => (r.done ? null : r.value)),
      new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (first === 'timeout' || first === null) {
      await stopChild(child);
      return `${label} did not start (${first === 'timeout' ? `no answer in ${timeoutMs / 1000} s` : 'exited'}): ${stderr.toString().slice(-600)}`;
    }
    let msg: { ready?: boolean; unavailable?: string; versions?: Facts };
    try {
      msg = JSON.parse(first) as typeof msg;
    } catch {
      await stopChild(child);
      return `${label} printed "${first.slice(0, 200)}" instead of its ready line`;
    }
    if (!msg.ready) {
      await stopChild(child);
      return msg.unavailable ?? `${label} not ready`;
    }
    const rest: AsyncIterable<string> = { [Symbol.asyncIterator]: () => it };
    return new JsonWorker(label, child, stderr, msg.versions ?? {}, rest);
  }

  private async pump(lines: AsyncIterable<string>): Promise<void> {
    for await (const line of lines) {
      const waiter = this.replies.shift();
      if (waiter) waiter(line);
      else this.pending.push(line);
    }
    this.ended = true;
    for (const w of this.replies.splice(0)) w(null);
  }

  private nextLine(timeoutMs: number): Promise<string | null | 'timeout'> {
    const ready = this.pending.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const i = this.replies.indexOf(done);
        if (i >= 0) this.replies.splice(i, 1);
        resolve('timeout');
      }, timeoutMs);
      const done = (line: string | null): void => {
        clearTimeout(timer);
        resolve(line);
      };
      this.replies.push(done);
    });
  }

  /** One timed pass. Throws with the worker's stderr tail when it fails, dies or times out. */
  async run(args: Facts = {}, timeoutMs = 600_000): Promise<Reply> {
    this.child.stdin!.write(JSON.stringify({ cmd: 'run', args }) + '\n');
    const line = await this.nextLine(timeoutMs);
    if (line === 'timeout') {
      await stopChild(this.child);
      throw new Error(`${this.label}: no answer in ${timeoutMs / 1000} s`);
    }
    if (line === null) throw new Error(`${this.label} exited: ${this.stderr.toString().slice(-800)}`);
    const msg = JSON.parse(line) as Reply & { error?: string };
    if (msg.error !== undefined) throw new Error(`${this.label}: ${msg.error}\n${this.stderr.toString().slice(-800)}`);
    return msg;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  async quit(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.stdin!.end(JSON.stringify({ cmd: 'quit' }) + '\n');
      const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  }
}

export interface Server {
  child: ChildProcess;
  /** The first capture group of the readiness pattern (e.g. the URI). */
  address: string;
  stop(): Promise<void>;
}

/**
 * Starts a server process and waits (bounded) for the stdout line matching `ready`; its output
 * keeps being drained so the server never blocks on a full pipe.
 */
export async function startServer(label: string, cmd: string, args: string[], ready: RegExp, timeoutMs = 60_000): Promise<Server> {
  const child = spawnTracked(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr = new Tail(40);
  child.stderr!.setEncoding('utf8').on('data', (d: string) => stderr.push(d));
  const lines = createInterface({ input: child.stdout! });
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      void stopChild(child);
      reject(new Error(`${label} did not start in ${timeoutMs / 1000} s: ${stderr.toString()}`));
    }, timeoutMs);
    const onExit = (code: number | null): void => {
      clearTimeout(timer);
      reject(new Error(`${label} exited with code ${code}: ${stderr.toString()}`));
    };
    child.once('exit', onExit);
    lines.on('line', (l) => {
      const m = ready.exec(l);
      if (m) {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(m[1] ?? l);
      }
    });
  });
  return { child, address, stop: () => stopChild(child, 5000) };
}
