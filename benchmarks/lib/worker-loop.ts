/**
 * The worker side of the harness protocol for Node workers (Python workers use
 * `benchmarks/py/worker.py`): JSON lines on stdin/stdout. The first line out is
 * `{"ready": true, "versions": {...}}` or `{"unavailable": "why"}`; then each `{"cmd": "run"}`
 * line in is answered by one `{"seconds": s, ...}` line, measured in-process; `{"cmd": "quit"}` ends.
 */
import { createInterface } from 'node:readline';

export type Facts = Record<string, number | string | boolean | null>;
export interface Pass extends Facts {
  seconds: number;
}

function say(obj: object): void {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

/** `setup` returns the versions to report and the timed pass, or throws when the side is unavailable. */
export async function serveWorker(
  setup: () => Promise<{ versions: Facts; run: (args: Facts) => Promise<Pass>; close?: () => Promise<void> }>,
): Promise<void> {
  let side: Awaited<ReturnType<typeof setup>>;
  try {
    side = await setup();
  } catch (e) {
    say({ unavailable: e instanceof Error ? e.message : String(e) });
    return;
  }
  say({ ready: true, versions: side.versions });
  const lines = createInterface({ input: process.stdin });
  try {
    for await (const line of lines) {
      if (!line.trim()) continue;
      const msg = JSON.parse(line) as { cmd: string; args?: Facts };
      if (msg.cmd === 'quit') break;
      try {
        say(await side.run(msg.args ?? {}));
      } catch (e) {
        process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
        say({ error: e instanceof Error ? e.message : String(e) });
      }
    }
  } finally {
    lines.close();
    await side.close?.();
  }
}
