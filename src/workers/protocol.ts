/** Messages between the decode pool (main thread) and its worker threads. */
import type { FileStateStats } from '../decoders/file-state.js';
import type { RowFilter } from './row-filter.js';
import type { ColumnBatch, DecodedChunk, FileDescription, ReadSelection, WorkShare } from '../decoders/types.js';

export type WorkerRequest =
  | { type: 'describe'; id: number; path: string }
  | { type: 'read'; id: number; path: string; selection: ReadSelection; filter?: RowFilter; columns?: string[]; credits: number }
  | { type: 'decodeAll'; id: number; path: string; share?: WorkShare; credits: number }
  | { type: 'credit'; id: number; n: number }
  | { type: 'cancel'; id: number }
  | { type: 'stats'; id: number };

export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  file?: string;
  detail?: string;
}

export type WorkerResponse =
  /** Sent once the worker has loaded its modules: stall time counts from then on. */
  | { type: 'ready' }
  /** A describe still running with its event loop turning (not stuck). */
  | { type: 'alive'; id: number }
  | { type: 'result'; id: number; value: FileDescription }
  | { type: 'stats'; id: number; value: FileStateStats[] }
  | { type: 'batch'; id: number; batch: ColumnBatch }
  | { type: 'chunk'; id: number; chunk: DecodedChunk }
  | { type: 'end'; id: number }
  | { type: 'error'; id: number; error: SerializedError };
