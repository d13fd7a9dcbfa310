/**
 * Logs and counts every Flight RPC without touching each handler: unary handlers are wrapped at
 * their callback, streaming ones at their call's end, error and cancel events. DoGet, which
 * also reports rows and bytes as it streams, tracks itself (`trackerOf`) and is left alone here.
 */
import * as grpc from '@grpc/grpc-js';
import type { BridgeCore } from './core.js';
import { parseDescriptor, type DescriptorLike } from './query.js';
import type { RequestTracker } from './request-log.js';

/** RPCs that track themselves. */
const SELF_TRACKED = new Set(['DoGet']);

export function grpcStatusName(code: number | undefined): string {
  return (code !== undefined && (grpc.status[code] as string | undefined)) || 'UNKNOWN';
}

/** Dataset named by a descriptor request, if it parses (the handler reports any error itself). */
function datasetOf(request: unknown): string | undefined {
  try {
    return parseDescriptor(request as DescriptorLike).dataset;
  } catch {
    return undefined;
  }
}

type Handler = (call: never, cb?: never) => unknown;

export function instrumentFlight(core: BridgeCore, definition: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation): grpc.UntypedServiceImplementation {
  const out: grpc.UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(implementation)) {
    const method = definition[name];
    if (!method || SELF_TRACKED.has(name)) {
      out[name] = handler;
      continue;
    }
    const h = handler as unknown as Handler;
    if (!method.responseStream && !method.requestStream) {
      out[name] = ((call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        const t = core.track(name);
        t.dataset = datasetOf(call.request);
        return (h as (c: unknown, cb: unknown) => unknown)(call, (err: grpc.ServiceError | null, value?: unknown) => {
          t.end(err ? grpcStatusName(err.code) : 'OK', err ? (err.details ?? err.message) : undefined);
          cb(err, value);
        });
      }) as unknown as grpc.UntypedHandleCall;
    } else {
      out[name] = ((call: grpc.ServerWritableStream<unknown, unknown>) => {
        const t = core.track(name);
        if (!method.requestStream) t.dataset = datasetOf(call.request);
        endWith(call, t);
        return (h as (c: unknown) => unknown)(call);
      }) as unknown as grpc.UntypedHandleCall;
    }
  }
  return out;
}

/** Ends the tracker when a streaming call finishes, fails or is cancelled. */
export function endWith(call: grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>, t: RequestTracker): void {
  call.on('finish', () => t.end('OK'));
  call.on('error', (e: Partial<grpc.ServiceError>) => t.end(grpcStatusName(e.code), e.details ?? e.message));
  call.on('cancelled', () => t.end('CANCELLED'));
}
