/**
 * Worker thread body: runs decoder plugins off the main thread. Each read streams batches back
 * with their buffers transferred (no copy) and stops when it runs out of credits, so a slow
 * consumer bounds the memory held for it; several tasks interleave on one worker while waiting.
 */
import { parentPort } from 'node:worker_threads';
import { DecodeError } from '../decoders/errors.js';
import { fileStateStats } from '../decoders/file-state.js';
import { detect } from '../decoders/registry.js';
import type { ColumnBatch, DecodedChunk, DecoderPlugin } from '../decoders/types.js';
import { filterRows, projectBatch } from './row-filter.js';
import type { SerializedError, WorkerRequest, WorkerResponse } from './protocol.js';

if (!parentPort) throw new Error('decode-worker must run in a worker thread');
const port = parentPort;

// geotiff.js can leave a duplicate rejected promise behind when a corrupt tile fails to decode;
// the awaited read still fails with the real error, so the stray copy must not kill the worker.
let strayRejections = 0;
process.on('unhandledRejection', (reason) => {
  if (strayRejections++ < 3) process.stderr.write(`decode worker: ignored stray rejection: ${(reason as Error)?.message ?? String(reason)}\n`);
});

interface ReadState {
  credits: number;
  cancelled: boolean;
  wake?: () => void;
}
const reads = new Map<number, ReadState>();

function send(msg: WorkerResponse, transfer: ArrayBuffer[] = []): void {
  port.postMessage(msg, transfer);
}

send({ type: 'ready' });

/** How often a running describe/inspect tells the pool it is still making progress. */
const HEARTBEAT_MS = 1000;

function serialize(e: unknown): SerializedError {
  if (e instanceof DecodeError) return { name: e.name, message: e.message, code: e.code, file: e.file, detail: e.detail };
  if (e instanceof Error) return { name: e.name, message: e.message };
  return { name: 'Error', message: String(e) };
}

/** Buffers of a batch, each listed once (columns may share an ArrayBuffer). */
function transferList(batch: ColumnBatch): ArrayBuffer[] {
  const set = new Set<ArrayBuffer>();
  for (const c of batch.columns) {
    if (c.values.buffer instanceof ArrayBuffer) set.add(c.values.buffer);
    if (c.validity && c.validity.buffer instanceof ArrayBuffer) set.add(c.validity.buffer);
  }
  return [...set];
}

/**
 * Sends the items of one stream as they come, each with its buffers transferred, pausing while
 * the pool has granted no credit (a slow consumer bounds what is held for it).
 */
async function runStream<T>(id: number, credits: number, items: (plugin: DecoderPlugin) => AsyncIterable<T>, path: string, message: (item: T) => [WorkerResponse, ArrayBuffer[]] | null): Promise<void> {
  const state: ReadState = { credits, cancelled: false };
  reads.set(id, state);
  try {
    const plugin = await detect(path);
    for await (const item of items(plugin)) {
      if (state.cancelled) return;
      const out = message(item);
      if (!out) continue;
      send(out[0], out[1]);
      state.credits--;
      while (state.credits <= 0 && !state.cancelled) await new Promise<void>((r) => (state.wake = r));
      if (state.cancelled) return;
    }
    send({ type: 'end', id });
  } catch (e) {
    send({ type: 'error', id, error: serialize(e) });
  } finally {
    reads.delete(id);
  }
}

function ownsBuffer(a: ArrayBufferView): boolean {
  return a.buffer instanceof ArrayBuffer && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength;
}

function runRead(req: Extract<WorkerRequest, { type: 'read' }>): Promise<void> {
  const keep = req.columns ? new Set(req.columns) : undefined;
  return runStream(req.id, req.credits, (plugin) => plugin.read(req.path, req.selection), req.path, (decoded: ColumnBatch) => {
    const filtered = req.filter ? filterRows(decoded, req.filter) : decoded;
    // Dropped columns are not transferred (their buffers stay here and are collected).
    const batch = keep ? projectBatch(filtered, keep) : filtered;
    return batch.numRows === 0 ? null : [{ type: 'batch', id: req.id, batch }, transferList(batch)];
  });
}

function runDecodeAll(req: Extract<WorkerRequest, { type: 'decodeAll' }>): Promise<void> {
  return runStream(req.id, req.credits, (plugin) => plugin.decodeAll(req.path, req.share), req.path, (chunk: DecodedChunk) => {
    // A chunk may be a view into a buffer the decoder still uses: only whole buffers move.
    const values = ownsBuffer(chunk.values) ? chunk.values : chunk.values.slice();
    const validity = chunk.validity && !ownsBuffer(chunk.validity) ? chunk.validity.slice() : chunk.validity;
    const buffers = [values.buffer as ArrayBuffer];
    if (validity && validity.buffer !== values.buffer) buffers.push(validity.buffer as ArrayBuffer);
    return [{ type: 'chunk', id: req.id, chunk: { ...chunk, values, validity } }, buffers];
  });
}

port.on('message', (req: WorkerRequest) => {
  switch (req.type) {
    case 'describe':
      void (async () => {
        // A long describe that keeps yielding to the event loop is alive; one stuck in a loop
        // (libhdf5 on a damaged file) sends nothing and the pool's watchdog stops it.
        const heartbeat = setInterval(() => send({ type: 'alive', id: req.id }), HEARTBEAT_MS);
        try {
          const plugin = await detect(req.path);
          const value = await plugin.describe(req.path);
          send({ type: 'result', id: req.id, value });
        } catch (e) {
          send({ type: 'error', id: req.id, error: serialize(e) });
        } finally {
          clearInterval(heartbeat);
        }
      })();
      break;
    case 'read':
      void runRead(req);
      break;
    case 'decodeAll':
      void runDecodeAll(req);
      break;
    case 'stats':
      send({ type: 'stats', id: req.id, value: fileStateStats() });
      break;
    case 'credit': {
      const s = reads.get(req.id);
      if (s) {
        s.credits += req.n;
        s.wake?.();
      }
      break;
    }
    case 'cancel': {
      const s = reads.get(req.id);
      if (s) {
        s.cancelled = true;
        s.wake?.();
      }
      break;
    }
  }
});
