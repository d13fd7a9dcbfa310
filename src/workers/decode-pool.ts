/**
 * A pool of decode worker threads (one per core by default). Decoding is CPU work and Node runs
 * JavaScript on one thread: keeping it off the main thread keeps gRPC/HTTP streaming responsive
 * while files decode. Reads are streams with credit-based flow control: at most `queueDepth`
 * decoded batches per read wait in memory for the consumer.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DecodeError, type DecodeErrorCode } from '../decoders/errors.js';
import type { ColumnBatch, FileDescription, InspectReport, ReadSelection } from '../decoders/types.js';
import type { SerializedError, WorkerRequest, WorkerResponse } from './protocol.js';

/**
 * geotiff.js imports the `web-worker` shim, which on load destructures `workerData` whenever it
 * runs off the main thread: our workers must therefore always carry a (mod-less) workerData object.
 */
const WORKER_DATA = { role: 'wekeo-decode-worker' } as const;

/** Decoded batches a single read may have in flight between worker and consumer. */
export const DEFAULT_QUEUE_DEPTH = 2;

interface PendingCall {
  resolve: (v: FileDescription | InspectReport) => void;
  reject: (e: Error) => void;
}

interface Stream {
  queue: Array<ColumnBatch | Error | null>;
  wake?: () => void;
}

interface Slot {
  worker: Worker;
  active: number;
}

export interface DecodePoolOptions {
  size?: number;
  queueDepth?: number;
}

export class DecodePool {
  private readonly slots: Slot[] = [];
  private readonly calls = new Map<number, PendingCall>();
  private readonly streams = new Map<number, Stream>();
  private readonly owner = new Map<number, Slot>();
  private nextId = 1;
  private closed = false;
  readonly queueDepth: number;

  constructor(opts: DecodePoolOptions = {}) {
    const size = Math.max(1, opts.size ?? availableParallelism());
    this.queueDepth = Math.max(1, opts.queueDepth ?? DEFAULT_QUEUE_DEPTH);
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  get size(): number {
    return this.slots.length;
  }

  describe(path: string): Promise<FileDescription> {
    return this.call({ type: 'describe', path }) as Promise<FileDescription>;
  }

  inspect(path: string): Promise<InspectReport> {
    return this.call({ type: 'inspect', path }) as Promise<InspectReport>;
  }

  /** Streams the batches of one window; breaking out of the loop cancels the decode. */
  async *read(path: string, selection: ReadSelection): AsyncGenerator<ColumnBatch> {
    const slot = this.pick();
    const id = this.nextId++;
    const stream: Stream = { queue: [] };
    this.streams.set(id, stream);
    this.owner.set(id, slot);
    slot.active++;
    this.post(slot, { type: 'read', id, path, selection, credits: this.queueDepth });
    let finished = false;
    try {
      for (;;) {
        while (stream.queue.length === 0) await new Promise<void>((r) => (stream.wake = r));
        const item = stream.queue.shift()!;
        if (item === null) {
          finished = true;
          return;
        }
        if (item instanceof Error) {
          finished = true;
          throw item;
        }
        // Credit is returned once the consumer has taken the batch, bounding what is buffered.
        this.post(slot, { type: 'credit', id, n: 1 });
        yield item;
      }
    } finally {
      if (!finished) this.post(slot, { type: 'cancel', id });
      this.streams.delete(id);
      this.owner.delete(id);
      slot.active--;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private call(req: { type: 'describe' | 'inspect'; path: string }): Promise<FileDescription | InspectReport> {
    const slot = this.pick();
    const id = this.nextId++;
    slot.active++;
    return new Promise<FileDescription | InspectReport>((resolve, reject) => {
      this.calls.set(id, { resolve, reject });
      this.owner.set(id, slot);
      this.post(slot, { ...req, id });
    }).finally(() => {
      slot.active--;
      this.owner.delete(id);
    });
  }

  private pick(): Slot {
    if (this.closed) throw new Error('decode pool is closed');
    return this.slots.reduce((a, b) => (b.active < a.active ? b : a));
  }

  private post(slot: Slot, msg: WorkerRequest): void {
    slot.worker.postMessage(msg);
  }

  private spawn(): Slot {
    const worker = import.meta.url.endsWith('.ts')
      ? sourceWorker()
      : new Worker(new URL('./decode-worker.js', import.meta.url), { workerData: WORKER_DATA });
    const slot: Slot = { worker, active: 0 };
    worker.on('message', (msg: WorkerResponse) => this.onMessage(msg));
    worker.on('error', (err) => this.onWorkerDeath(slot, err));
    worker.on('exit', (code) => {
      if (!this.closed) this.onWorkerDeath(slot, new Error(`decode worker exited with code ${code}`));
    });
    worker.unref();
    return slot;
  }

  private onMessage(msg: WorkerResponse): void {
    if (msg.type === 'result') {
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
    this.push(msg.id, msg.type === 'batch' ? msg.batch : null);
  }

  private push(id: number, item: ColumnBatch | Error | null): void {
    const s = this.streams.get(id);
    if (!s) return;
    s.queue.push(item);
    const wake = s.wake;
    s.wake = undefined;
    wake?.();
  }

  /** A crashed worker fails its own tasks (never silently), and is replaced. */
  private onWorkerDeath(slot: Slot, err: Error): void {
    const idx = this.slots.indexOf(slot);
    if (idx < 0) return;
    for (const [id, owner] of [...this.owner]) {
      if (owner !== slot) continue;
      const e = new Error(`decode worker failed: ${err.message}`);
      const call = this.calls.get(id);
      if (call) {
        call.reject(e);
        this.calls.delete(id);
      }
      this.push(id, e);
    }
    if (!this.closed) this.slots[idx] = this.spawn();
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

function deserialize(e: SerializedError): Error {
  if (e.name === 'DecodeError' && e.file !== undefined && e.detail !== undefined) {
    return new DecodeError((e.code ?? 'CORRUPT') as DecodeErrorCode, e.file, e.detail);
  }
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}
