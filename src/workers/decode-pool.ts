/**
 * A pool of decode worker threads (one per core by default). Decoding is CPU work and Node runs
 * JavaScript on one thread: keeping it off the main thread keeps gRPC/HTTP streaming responsive
 * while files decode. Reads are streams with credit-based flow control: at most `queueDepth`
 * decoded batches per read wait in memory for the consumer.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DecodeError, type DecodeErrorCode } from '../decoders/errors.js';
import type { FileStateStats } from '../decoders/file-state.js';
import { inspectChunks } from '../decoders/inspect.js';
import type { ColumnBatch, DecodedChunk, FileDescription, InspectReport, ReadSelection } from '../decoders/types.js';
import type { SerializedError, WorkerRequest, WorkerResponse } from './protocol.js';
import { hasFilter, type RowFilter } from './row-filter.js';
import { rendezvousOrder } from '../partitioner/rendezvous.js';

/**
 * geotiff.js imports the `web-worker` shim, which on load destructures `workerData` whenever it
 * runs off the main thread: our workers must therefore always carry a (mod-less) workerData object.
 */
const WORKER_DATA = { role: 'wekeo-decode-worker' } as const;

/**
 * Decoded batches a single read may have in flight between worker and consumer. One is enough
 * to overlap decoding with sending (the credit returns when the consumer takes the batch, so the
 * worker decodes the next while this one is encoded and sent); a second held ~2 MiB more per open
 * stream (memory suite, 8 slow streams: 18.5 -> 15.4 MiB/stream, medians of 3) and made no
 * difference to full-read rows/s within the noise (rows suite, netcdf4, two runs each).
 */
export const DEFAULT_QUEUE_DEPTH = 1;

interface PendingCall {
  resolve: (v: FileDescription | FileStateStats[]) => void;
  reject: (e: Error) => void;
}

interface Stream {
  queue: Array<ColumnBatch | DecodedChunk | Error | null>;
  wake?: () => void;
}

interface Slot {
  worker: Worker;
  active: number;
  /** Modules loaded: before that, waiting is start-up, not a stall. */
  ready: boolean;
}

export interface DecodePoolOptions {
  size?: number;
  queueDepth?: number;
  /**
   * A task that makes no progress for this long while a caller waits on it (a damaged file can
   * send libhdf5 into an endless loop) is stopped: its worker is replaced and the task fails with
   * a DecodeError naming the file. Default 120 s, or $WEKEO_DECODE_TIMEOUT_MS.
   */
  stallTimeoutMs?: number;
}

/**
 * Workers in a row that died before loading their modules, after which the pool is reported
 * broken: a worker that cannot even start (a missing module, a broken install) will not recover
 * by being replaced again, while one crash on a damaged file is ordinary and replaced.
 */
export const FAILED_STARTS_BROKEN = 3;

export interface PoolHealth {
  /** starting: no worker has loaded yet; broken: closed, or workers keep dying before they load. */
  state: 'starting' | 'ok' | 'broken';
  detail: string;
}

/** A task a caller is waiting on, and since when (a stream waiting for its consumer is not). */
interface Waiting {
  path: string;
  since: number;
}

export class DecodePool {
  private readonly slots: Slot[] = [];
  private readonly calls = new Map<number, PendingCall>();
  private readonly streams = new Map<number, Stream>();
  private readonly owner = new Map<number, Slot>();
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private closed = false;
  private failedStarts = 0;
  private lastDeath = '';
  private readonly watchdog: NodeJS.Timeout;
  readonly queueDepth: number;
  readonly stallTimeoutMs: number;

  constructor(opts: DecodePoolOptions = {}) {
    const size = Math.max(1, opts.size ?? availableParallelism());
    this.queueDepth = Math.max(1, opts.queueDepth ?? DEFAULT_QUEUE_DEPTH);
    this.stallTimeoutMs = Math.max(100, opts.stallTimeoutMs ?? (Number(process.env.WEKEO_DECODE_TIMEOUT_MS) || 120_000));
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
    this.watchdog = setInterval(() => this.checkStalls(), Math.min(1000, this.stallTimeoutMs / 4));
    this.watchdog.unref();
  }

  get size(): number {
    return this.slots.length;
  }

  /** Cheap, synchronous: what /healthz reports. */
  health(): PoolHealth {
    if (this.closed) return { state: 'broken', detail: 'decode pool is closed' };
    if (this.failedStarts >= FAILED_STARTS_BROKEN) return { state: 'broken', detail: `${this.failedStarts} decode workers in a row died while starting (${this.lastDeath})` };
    const ready = this.slots.filter((s) => s.ready).length;
    if (ready === 0) return { state: 'starting', detail: `0 of ${this.slots.length} decode workers loaded` };
    return { state: 'ok', detail: `${ready} of ${this.slots.length} decode workers ready` };
  }

  /** Tasks a caller is waiting on (decoding or queued behind other work); streams waiting for their consumer are not counted. */
  get queueLength(): number {
    return this.waiting.size;
  }

  /**
   * The worker a file's work goes to: the first in the file's rendezvous order (so its decoder
   * state, built by describe, is reused), unless that one is busier than another, in which case
   * the next in the same order with the fewest tasks takes it (it then keeps that file's state
   * too). Concurrent reads of one file therefore still use every core.
   */
  workerFor(path: string): number {
    return this.slots.indexOf(this.pick(path));
  }

  describe(path: string): Promise<FileDescription> {
    return this.call({ type: 'describe', path });
  }

  /** Each worker's file-state cache counters, in slot order. */
  stats(): Promise<FileStateStats[][]> {
    return Promise.all(
      this.slots.map(
        (slot) =>
          new Promise<FileStateStats[]>((resolve, reject) => {
            const id = this.nextId++;
            // Owned by the slot, so a worker that dies fails this call instead of leaving it open.
            this.owner.set(id, slot);
            this.calls.set(id, {
              resolve: (v) => {
                this.owner.delete(id);
                resolve(v as FileStateStats[]);
              },
              reject: (e) => {
                this.owner.delete(id);
                reject(e);
              },
            });
            this.post(slot, { type: 'stats', id });
          }),
      ),
    );
  }

  /**
   * Streams the batches of one window, with rows outside `filter` dropped in the worker (empty
   * batches are not sent) and, with `columns`, every other column dropped there too (after the
   * filter, which may need them); breaking out of the loop cancels the decode.
   */
  read(path: string, selection: ReadSelection, filter?: RowFilter, columns?: string[]): AsyncGenerator<ColumnBatch> {
    const f = filter && hasFilter(filter) ? filter : undefined;
    return this.stream<ColumnBatch>(this.pick(path), path, (id) => ({ type: 'read', id, path, selection, filter: f, columns, credits: this.queueDepth }));
  }

  /**
   * Every value of a file (the plugin's `decodeAll`), decoded by all workers together: worker k
   * of n takes the file's work units u with u % n === k. Chunks arrive in completion order (each
   * names its field); breaking out of the loop cancels every part.
   */
  decodeAll(path: string): AsyncGenerator<DecodedChunk> {
    const order = rendezvousOrder(path, this.slots.length);
    const n = order.length;
    const parts = order.map((slotIndex, k) =>
      this.stream<DecodedChunk>(this.slots[slotIndex]!, path, (id) => ({ type: 'decodeAll', id, path, share: n > 1 ? { index: k, count: n } : undefined, credits: this.queueDepth })),
    );
    return merge(parts);
  }

  /** Whole-file statistics, the file decoded by every worker together (see decodeAll). */
  async inspect(path: string): Promise<InspectReport> {
    const desc = await this.describe(path);
    return inspectChunks(desc.format, this.decodeAll(path));
  }

  /** One credit-controlled stream of items from a worker task. */
  private async *stream<T extends ColumnBatch | DecodedChunk>(slot: Slot, path: string, request: (id: number) => WorkerRequest): AsyncGenerator<T> {
    const id = this.nextId++;
    const stream: Stream = { queue: [] };
    this.streams.set(id, stream);
    this.owner.set(id, slot);
    slot.active++;
    this.post(slot, request(id));
    let finished = false;
    try {
      for (;;) {
        while (stream.queue.length === 0) {
          this.waiting.set(id, { path, since: Date.now() });
          await new Promise<void>((r) => (stream.wake = r));
        }
        this.waiting.delete(id);
        const item = stream.queue.shift()!;
        if (item === null) {
          finished = true;
          return;
        }
        if (item instanceof Error) {
          finished = true;
          throw item;
        }
        // Credit is returned once the consumer has taken the item, bounding what is buffered.
        this.post(slot, { type: 'credit', id, n: 1 });
        yield item as T;
      }
    } finally {
      this.waiting.delete(id);
      if (!finished && this.owner.get(id) === slot && this.slots.includes(slot)) this.post(slot, { type: 'cancel', id });
      this.streams.delete(id);
      this.owner.delete(id);
      slot.active--;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.watchdog);
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private call(req: { type: 'describe'; path: string }): Promise<FileDescription> {
    const slot = this.pick(req.path);
    const id = this.nextId++;
    slot.active++;
    return new Promise<FileDescription>((resolve, reject) => {
      this.calls.set(id, { resolve: resolve as PendingCall['resolve'], reject });
      this.owner.set(id, slot);
      this.waiting.set(id, { path: req.path, since: Date.now() });
      this.post(slot, { ...req, id });
    }).finally(() => {
      slot.active--;
      this.owner.delete(id);
      this.waiting.delete(id);
    });
  }

  /** Stops workers whose task made no progress for stallTimeoutMs while a caller waited. */
  private checkStalls(): void {
    const now = Date.now();
    for (const [id, w] of [...this.waiting]) {
      if (now - w.since <= this.stallTimeoutMs) continue;
      const slot = this.owner.get(id);
      if (!slot || !slot.ready) continue;
      const seconds = Math.round(this.stallTimeoutMs / 100) / 10;
      this.replace(slot, (taskId) =>
        taskId === id
          ? new DecodeError('LIMIT', w.path, `decoding made no progress for ${seconds} s and was stopped (the file may be damaged)`)
          : new Error(`decode worker restarted because ${w.path} stalled it; retry`),
      );
    }
  }

  /** Fails every task of a worker with the error `errorFor` gives, and replaces the worker. */
  private replace(slot: Slot, errorFor: (id: number) => Error): void {
    const idx = this.slots.indexOf(slot);
    if (idx < 0) return;
    if (!this.closed) this.slots[idx] = this.spawn();
    else this.slots.splice(idx, 1);
    for (const [id, owner] of [...this.owner]) {
      if (owner !== slot) continue;
      const e = errorFor(id);
      this.waiting.delete(id);
      const call = this.calls.get(id);
      if (call) {
        call.reject(e);
        this.calls.delete(id);
      }
      this.push(id, e);
    }
    void slot.worker.terminate();
  }

  private pick(path: string): Slot {
    if (this.closed) throw new Error('decode pool is closed');
    let best: Slot | undefined;
    for (const i of rendezvousOrder(path, this.slots.length)) {
      const s = this.slots[i]!;
      if (!best || s.active < best.active) best = s;
    }
    return best!;
  }

  private post(slot: Slot, msg: WorkerRequest): void {
    slot.worker.postMessage(msg);
  }

  private spawn(): Slot {
    const worker = import.meta.url.endsWith('.ts')
      ? sourceWorker()
      : new Worker(new URL('./decode-worker.js', import.meta.url), { workerData: WORKER_DATA });
    const slot: Slot = { worker, active: 0, ready: false };
    worker.on('message', (msg: WorkerResponse) => {
      if (msg.type === 'alive') {
        const w = this.waiting.get(msg.id);
        if (w) w.since = Date.now();
        return;
      }
      if (msg.type !== 'ready') return this.onMessage(msg);
      slot.ready = true;
      this.failedStarts = 0;
      // Tasks queued during start-up are timed from now.
      const now = Date.now();
      for (const [id, owner] of this.owner) if (owner === slot && this.waiting.has(id)) this.waiting.get(id)!.since = now;
    });
    worker.on('error', (err) => this.onWorkerDeath(slot, err));
    worker.on('exit', (code) => {
      if (!this.closed) this.onWorkerDeath(slot, new Error(`decode worker exited with code ${code}`));
    });
    worker.unref();
    return slot;
  }

  private onMessage(msg: Exclude<WorkerResponse, { type: 'ready' } | { type: 'alive' }>): void {
    if (msg.type === 'result' || msg.type === 'stats') {
      this.calls.get(msg.id)?.resolve(msg.value);
      this.calls.delete(msg.id);
      return;
    }
    if (msg.type === 'error') {
      const err = deserialize(msg.error);
      const call = this.calls.get(msg.id);
      if (call) {
        call.reject(err);
        this.calls.delete(msg.id);
      } else this.push(msg.id, err);
      return;
    }
    this.push(msg.id, msg.type === 'batch' ? msg.batch : msg.type === 'chunk' ? msg.chunk : null);
  }

  private push(id: number, item: ColumnBatch | DecodedChunk | Error | null): void {
    const s = this.streams.get(id);
    if (!s) return;
    s.queue.push(item);
    const wake = s.wake;
    s.wake = undefined;
    wake?.();
  }

  /** A crashed worker fails its own tasks (never silently), and is replaced. */
  private onWorkerDeath(slot: Slot, err: Error): void {
    if (!slot.ready && this.slots.includes(slot)) {
      this.failedStarts++;
      this.lastDeath = err.message;
    }
    this.replace(slot, () => new Error(`decode worker failed: ${err.message}`));
  }
}

/**
 * Under vitest/tsx the pool runs from .ts sources: start the worker through a tiny ES module
 * that registers tsx's loader in the worker, then imports the TypeScript worker.
 */
function sourceWorker(): Worker {
  const api = import.meta.resolve('tsx/esm/api');
  const target = new URL('./decode-worker.ts', import.meta.url).href;
  const code = `import { register } from ${JSON.stringify(api)}; register(); await import(${JSON.stringify(target)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), { workerData: WORKER_DATA });
}

/** Items of several generators in arrival order; ending early (or an error) closes them all. */
async function* merge<T>(parts: Array<AsyncGenerator<T>>): AsyncGenerator<T> {
  const next = (g: AsyncGenerator<T>, i: number) => g.next().then((r) => ({ r, i }));
  const pending = new Map(parts.map((g, i) => [i, next(g, i)]));
  try {
    while (pending.size) {
      const { r, i } = await Promise.race(pending.values());
      if (r.done) {
        pending.delete(i);
        continue;
      }
      pending.set(i, next(parts[i]!, i));
      yield r.value;
    }
  } finally {
    await Promise.all(parts.map((g) => g.return(undefined)));
  }
}

function deserialize(e: SerializedError): Error {
  if (e.name === 'DecodeError' && e.file !== undefined && e.detail !== undefined) {
    return new DecodeError((e.code ?? 'CORRUPT') as DecodeErrorCode, e.file, e.detail);
  }
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}
