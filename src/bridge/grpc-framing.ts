/**
 * Zero-copy sends for DoGet. grpc-js frames every response message by allocating a fresh buffer
 * of length + 5 and copying the serialized bytes into it. For 2 MiB FlightData messages that
 * copy, and above all the fresh external allocation per message, dominated the bridge's CPU:
 * V8 ran a mark-compact every few messages (35 per 0.9 GB served) and its GC threads spent about
 * as much CPU as the event loop. Here DoGet encodes each message with the 5-byte gRPC prefix in
 * front into a reused buffer, and grpc-js sends that buffer as it is.
 *
 * This needs one hook into grpc-js internals (`BaseServerInterceptingCall.serializeMessage`,
 * grpc-js is pinned exactly): a message is passed through only when it carries our marker; every
 * other message of every RPC takes grpc-js's own path. When the hook cannot be installed (another
 * grpc-js layout), `zeroCopySends` is false and DoGet sends ordinary, unprefixed messages.
 */
import { createRequire } from 'node:module';

/** Bytes of the gRPC length prefix: a compressed flag and a big-endian uint32 length. */
export const GRPC_PREFIX_BYTES = 5;

const FRAMED = Symbol('wekeo.grpcFramed');

type Serialize = (this: unknown, value: unknown) => Buffer;

function install(): boolean {
  try {
    const mod = createRequire(import.meta.url)('@grpc/grpc-js/build/src/server-interceptors.js') as {
      BaseServerInterceptingCall?: { prototype: { serializeMessage?: Serialize } };
    };
    const proto = mod.BaseServerInterceptingCall?.prototype;
    const original = proto?.serializeMessage;
    if (!proto || typeof original !== 'function') return false;
    proto.serializeMessage = function (this: unknown, value: unknown): Buffer {
      if (value instanceof Uint8Array && (value as { [FRAMED]?: true })[FRAMED]) return value as Buffer;
      return original.call(this, value);
    };
    return true;
  } catch {
    return false;
  }
}

export const zeroCopySends = install();

/**
 * Marks a buffer whose first GRPC_PREFIX_BYTES are reserved: writes the prefix for the message
 * that follows it, so grpc-js sends the buffer without copying.
 */
export function framed(buf: Buffer): Buffer {
  const len = buf.byteLength - GRPC_PREFIX_BYTES;
  buf[0] = 0; // not compressed
  buf.writeUInt32BE(len, 1);
  (buf as { [FRAMED]?: true })[FRAMED] = true;
  return buf;
}
