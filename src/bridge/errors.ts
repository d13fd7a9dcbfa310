/**
 * The one map from failures to what a client sees, shared by Flight and HTTP: a status (gRPC
 * code / HTTP status) and a bounded message that names datasets and files as the client knows
 * them, never a server path or a library trace.
 */
import * as grpc from '@grpc/grpc-js';
import { CatalogAccessError, DatasetNotFoundError } from '../catalog/errors.js';
import { DecodeError } from '../decoders/errors.js';
import { HdaConfigError } from '../hda/config.js';
import { HdaAuthError, HdaError, HdaLimitError, HdaNoResultsError, HdaQueryError, HdaQuotaError, HdaUnavailableError, HdaUnknownProductError } from '../hda/errors.js';
import { PlanError } from '../partitioner/plan.js';
import { TicketError } from '../partitioner/ticket.js';
import { QueryError } from './query.js';
import { StreamCancelledError } from './actions.js';
import { AuthError } from './auth.js';

export type Status =
  | 'UNAUTHENTICATED'
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'PERMISSION_DENIED'
  | 'UNIMPLEMENTED'
  | 'DATA_LOSS'
  | 'RESOURCE_EXHAUSTED'
  | 'FAILED_PRECONDITION'
  | 'UNAVAILABLE'
  | 'CANCELLED'
  | 'INTERNAL';

export const GRPC_CODE: Record<Status, grpc.status> = {
  UNAUTHENTICATED: grpc.status.UNAUTHENTICATED,
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  NOT_FOUND: grpc.status.NOT_FOUND,
  PERMISSION_DENIED: grpc.status.PERMISSION_DENIED,
  UNIMPLEMENTED: grpc.status.UNIMPLEMENTED,
  DATA_LOSS: grpc.status.DATA_LOSS,
  RESOURCE_EXHAUSTED: grpc.status.RESOURCE_EXHAUSTED,
  FAILED_PRECONDITION: grpc.status.FAILED_PRECONDITION,
  UNAVAILABLE: grpc.status.UNAVAILABLE,
  CANCELLED: grpc.status.CANCELLED,
  INTERNAL: grpc.status.INTERNAL,
};

export const HTTP_CODE: Record<Status, number> = {
  UNAUTHENTICATED: 401,
  INVALID_ARGUMENT: 400,
  NOT_FOUND: 404,
  PERMISSION_DENIED: 403,
  UNIMPLEMENTED: 501,
  DATA_LOSS: 422,
  RESOURCE_EXHAUSTED: 429,
  FAILED_PRECONDITION: 412,
  UNAVAILABLE: 503,
  // No standard HTTP code means "cancelled by another request"; 409 Conflict is the closest.
  CANCELLED: 409,
  INTERNAL: 500,
};

/** Longest message sent to a client; user input inside it is already cut (text/quote.ts). */
export const MAX_MESSAGE_CHARS = 2000;

export function statusOf(err: unknown): Status {
  if (err instanceof AuthError) return 'UNAUTHENTICATED';
  if (err instanceof StreamCancelledError) return 'CANCELLED';
  if (err instanceof DatasetNotFoundError) return 'NOT_FOUND';
  if (err instanceof CatalogAccessError) return 'PERMISSION_DENIED';
  if (err instanceof QueryError || err instanceof PlanError || err instanceof TicketError) return 'INVALID_ARGUMENT';
  if (err instanceof HdaError || err instanceof HdaConfigError) return hdaStatus(err);
  if (err instanceof DecodeError) {
    if (err.code === 'NOT_FOUND') return 'NOT_FOUND';
    if (err.code === 'UNSUPPORTED' || err.code === 'UNKNOWN_FORMAT') return 'UNIMPLEMENTED';
    if (err.code === 'BAD_SELECTION') return 'INVALID_ARGUMENT';
    return 'DATA_LOSS';
  }
  return 'INTERNAL';
}

/**
 * WEkEO HDA failures: too many products or the broker's quota -> RESOURCE_EXHAUSTED (the
 * message says what to narrow or raise); nothing matched or a product this cache no longer
 * knows -> NOT_FOUND; a bad HDA filter -> INVALID_ARGUMENT; the bridge's own WEkEO credentials
 * refused or missing, or terms not accepted -> FAILED_PRECONDITION (the operator must act);
 * the broker down or failing after retries -> UNAVAILABLE (a client may retry later).
 */
function hdaStatus(err: HdaError | HdaConfigError): Status {
  if (err instanceof HdaLimitError || err instanceof HdaQuotaError) return 'RESOURCE_EXHAUSTED';
  if (err instanceof HdaNoResultsError || err instanceof HdaUnknownProductError) return 'NOT_FOUND';
  if (err instanceof HdaQueryError) return 'INVALID_ARGUMENT';
  if (err instanceof HdaAuthError || err instanceof HdaConfigError) return 'FAILED_PRECONDITION';
  if (err instanceof HdaUnavailableError) return 'UNAVAILABLE';
  const status = err instanceof HdaError ? err.status : undefined;
  if (status === 400 || status === 422) return 'INVALID_ARGUMENT';
  if (status !== undefined && status >= 400 && status < 500) return 'FAILED_PRECONDITION';
  return 'UNAVAILABLE';
}

/** What the client is told. Unexpected errors say only that they happened (details go to the log). */
export function clientMessage(err: unknown): string {
  const status = statusOf(err);
  const raw = status === 'INTERNAL' ? `internal error (${err instanceof Error ? err.name : 'unknown'}); see the bridge log` : err instanceof Error ? err.message : String(err);
  const text = scrubPaths(raw);
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}…` : text;
}

/**
 * Last line of defence: absolute paths that slipped into a message (from a library's own text)
 * are cut to their file name. Known files are renamed properly where they are read (core.ts).
 */
export function scrubPaths(text: string): string {
  return text.replace(/(^|[\s'"(=:])(\/(?:[^\s'"():/]+\/)+)([^\s'"():]+)/g, (_m, pre: string, _dir: string, name: string) => `${pre}${name}`);
}

/** A DecodeError about `path` re-told with the client's name for the file. */
export function renameFile(err: unknown, path: string, display: string): unknown {
  if (!(err instanceof DecodeError) || err.file !== path) return err;
  const detail = err.detail.split(path).join(display);
  const hint = err.code === 'NOT_FOUND' ? '; the file was removed or replaced after planning: plan the query again (GetFlightInfo)' : '';
  return new DecodeError(err.code, display, `${detail}${hint}`, { cause: err });
}

export function logUnexpected(where: string, err: unknown): void {
  if (statusOf(err) === 'INTERNAL') process.stderr.write(`${where}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
}
