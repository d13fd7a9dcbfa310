/**
 * zstd frames decoded by zstddec's WebAssembly build with one decompression context and
 * in/out buffers kept in the wasm heap, handing out a view of the output.
 *
 * zstddec's own `decode` creates and frees a context per call (`ZSTD_decompress`), copies the
 * input in and `slice`s the output out into a fresh array: per 256² tile that was a context
 * set-up, two copies and an allocation the GC later reclaims (a fifth of the zstd GeoTIFF decode
 * profile). Here the same wasm module runs in an instance of our own, driven through the
 * streaming entry point it exports (`ZSTD_decompressStream` on a context made once), and the
 * caller reads the result in place. Should the module not be reachable (another zstddec
 * version), zstddec's `decode` is used, with the same results.
 */
import { ZSTDDecoder } from 'zstddec/stream';

export class ZstdError extends Error {
  override name = 'ZstdError';
}

/** Decodes whole zstd frames into at most `maxBytes`; the result is valid until the next call. */
export interface ZstdFrames {
  decode(input: Uint8Array, maxBytes: number): Uint8Array;
}

interface Exports {
  memory: WebAssembly.Memory;
  malloc(n: number): number;
  free(p: number): void;
  ZSTD_createDCtx(): number;
  ZSTD_freeDCtx(ctx: number): number;
  ZSTD_decompressStream(ctx: number, out: number, input: number): number;
}

let frames: Promise<ZstdFrames> | undefined;

export function zstdFrames(): Promise<ZstdFrames> {
  frames ??= load();
  return frames;
}

async function load(): Promise<ZstdFrames> {
  const fallback = new ZSTDDecoder();
  // zstddec instantiates its module once per process and passes the result to `_init`; seeing it
  // here lets us make an instance of the same module that no one else uses.
  const proto = ZSTDDecoder.prototype as unknown as { _init?: (r: unknown) => void };
  const original = proto._init;
  let module: WebAssembly.Module | undefined;
  if (typeof original === 'function') {
    proto._init = function (this: unknown, r: unknown) {
      const m = (r as { module?: unknown } | undefined)?.module;
      if (m instanceof WebAssembly.Module) module = m;
      return original.call(this, r);
    };
  }
  try {
    await fallback.init();
  } finally {
    if (original) proto._init = original;
  }
  if (!module) return wrap(fallback);
  try {
    return await OwnInstance.create(module);
  } catch {
    return wrap(fallback);
  }
}

function wrap(d: ZSTDDecoder): ZstdFrames {
  return {
    decode(input, maxBytes) {
      const out = d.decode(input, maxBytes);
      if (out.byteLength === 0 && maxBytes > 0) throw new ZstdError('zstd stream does not decode');
      return out;
    },
  };
}

/** Largest zstd error code: size_t results above -120 (as unsigned) are errors (zstd_errors.h). */
const MAX_ERROR_CODE = 120;

class OwnInstance implements ZstdFrames {
  private heap: Uint8Array;
  private view: DataView;
  private ctx: number;
  /** ZSTD_outBuffer then ZSTD_inBuffer: { ptr, size, pos } each, size_t = 4 bytes in wasm32. */
  private readonly io: number;
  private inPtr = 0;
  private inCap = 0;
  private outPtr = 0;
  private outCap = 0;

  private constructor(private readonly x: Exports) {
    this.heap = new Uint8Array(x.memory.buffer);
    this.view = new DataView(x.memory.buffer);
    this.ctx = x.ZSTD_createDCtx();
    this.io = x.malloc(24);
    if (!this.ctx || !this.io) throw new ZstdError('zstd: no memory for a decompression context');
  }

  static async create(module: WebAssembly.Module): Promise<OwnInstance> {
    let self: OwnInstance | undefined;
    const instance = await WebAssembly.instantiate(module, {
      env: { emscripten_notify_memory_growth: () => self?.remap() },
    });
    self = new OwnInstance(instance.exports as unknown as Exports);
    return self;
  }

  decode(input: Uint8Array, maxBytes: number): Uint8Array {
    const x = this.x;
    if (input.length > this.inCap) this.inPtr = this.grow(this.inPtr, (this.inCap = input.length));
    if (maxBytes > this.outCap) this.outPtr = this.grow(this.outPtr, (this.outCap = maxBytes));
    this.heap.set(input, this.inPtr);
    const io = this.io;
    const v = this.view;
    v.setUint32(io, this.outPtr, true);
    v.setUint32(io + 4, maxBytes, true);
    v.setUint32(io + 8, 0, true);
    v.setUint32(io + 12, this.inPtr, true);
    v.setUint32(io + 16, input.length, true);
    v.setUint32(io + 20, 0, true);
    for (let lastIn = -1, lastOut = -1; ; ) {
      const r = x.ZSTD_decompressStream(this.ctx, io, io + 12) >>> 0;
      const v2 = this.view; // the heap may have grown (and been remapped) during the call
      const outPos = v2.getUint32(io + 8, true);
      const inPos = v2.getUint32(io + 20, true);
      if (r > 0xffffffff - MAX_ERROR_CODE) this.fail(`zstd stream does not decode (error ${0x100000000 - r})`);
      if (r === 0 && inPos >= input.length) return this.heap.subarray(this.outPtr, this.outPtr + outPos);
      if (r === 0) continue; // another frame follows
      if (outPos >= maxBytes) this.fail(`zstd data decode to more than the ${maxBytes} bytes expected`);
      if (inPos >= input.length) this.fail('zstd stream is truncated');
      if (inPos === lastIn && outPos === lastOut) this.fail('zstd stream makes no progress');
      lastIn = inPos;
      lastOut = outPos;
    }
  }

  private grow(old: number, n: number): number {
    if (old) this.x.free(old);
    const p = this.x.malloc(Math.max(1, n));
    if (!p) throw new ZstdError(`zstd: no memory for ${n} bytes`);
    return p;
  }

  /** A failed frame leaves the context mid-frame: start the next one on a fresh context. */
  private fail(message: string): never {
    this.x.ZSTD_freeDCtx(this.ctx);
    this.ctx = this.x.ZSTD_createDCtx();
    throw new ZstdError(message);
  }

  private remap(): void {
    this.heap = new Uint8Array(this.x.memory.buffer);
    this.view = new DataView(this.x.memory.buffer);
  }
}
