/**
 * Whole-buffer inflate in WebAssembly (inflate.c, built by scripts/build-inflate-wasm.sh; the
 * module's bytes are inlined in inflate-wasm-module.ts). The compressed block is copied into the
 * module's memory, decoded in one call, and the output is a view of that memory.
 *
 * Memory holds [tables | input | output] and only grows, to the largest block seen; blocks whose
 * input and output together exceed MAX_BYTES are left to node:zlib (`fits`), so one huge strip
 * does not pin that much memory for the life of the process.
 */
import { InflateError, type InflateFormat } from './inflate-error.js';
import { INFLATE_WASM } from './inflate-wasm-module.js';

interface Exports {
  memory: WebAssembly.Memory;
  heap_base(): number;
  inflate(src: number, srcLength: number, dst: number, capacity: number, zlib: number): number;
}

const PAGE = 65536;
/** Most input + output bytes a block may take in WebAssembly memory. */
export const MAX_BYTES = 256 * 2 ** 20;

/** Messages for inflate.c's error codes, worded as zlib words them. */
const MESSAGES: Record<number, string> = {
  [-1]: 'unexpected end of file',
  [-3]: 'incorrect header check',
  [-4]: 'unknown compression method',
  [-5]: 'invalid window size',
  [-6]: 'stream needs a preset dictionary',
  [-7]: 'incorrect data check',
  [-8]: 'invalid block type',
  [-9]: 'invalid stored block lengths',
  [-10]: 'too many length or distance symbols',
  [-11]: 'invalid code lengths set',
  [-12]: 'invalid bit length repeat',
  [-13]: 'invalid code -- missing end-of-block',
  [-14]: 'invalid literal/lengths set',
  [-15]: 'invalid distances set',
  [-16]: 'invalid literal/length code',
  [-17]: 'invalid distance code',
  [-18]: 'invalid distance too far back',
};

export class WasmInflate {
  private readonly base: number;
  private bytes = new Uint8Array(0);

  constructor(private readonly ex: Exports) {
    this.base = (ex.heap_base() + 15) & ~15;
  }

  /** Whether a block of `inputLength` bytes inflating to at most `capacity` is decoded here. */
  fits(inputLength: number, capacity: number): boolean {
    return inputLength + capacity <= MAX_BYTES;
  }

  /**
   * Inflates all of `input` into at most `capacity` bytes. The result is a view of WebAssembly
   * memory, valid until the next call. Throws InflateError on a damaged, truncated or oversized
   * stream, and RangeError when the memory cannot grow to hold the block.
   */
  decode(input: Uint8Array, capacity: number, format: InflateFormat): Uint8Array {
    const src = this.base;
    const dst = (src + input.length + 15) & ~15;
    const need = dst + capacity;
    const have = this.ex.memory.buffer.byteLength;
    if (need > have) this.ex.memory.grow(Math.ceil((need - have) / PAGE));
    if (this.bytes.buffer !== this.ex.memory.buffer) this.bytes = new Uint8Array(this.ex.memory.buffer);
    this.bytes.set(input, src);
    const n = this.ex.inflate(src, input.length, dst, capacity, format === 'zlib' ? 1 : 0);
    if (n >= 0) return this.bytes.subarray(dst, dst + n);
    if (n === -2) throw new InflateError(`data decode to more than the ${capacity} bytes expected`);
    throw new InflateError(MESSAGES[n] ?? `inflate failed (${n})`);
  }
}

let instance: WasmInflate | null | undefined;

/** The module, or null where WebAssembly (with SIMD) is unavailable. */
export function wasmInflate(): WasmInflate | null {
  if (instance !== undefined) return instance;
  try {
    const module = new WebAssembly.Module(Buffer.from(INFLATE_WASM, 'base64'));
    instance = new WasmInflate(new WebAssembly.Instance(module, {}).exports as unknown as Exports);
  } catch {
    instance = null;
  }
  return instance;
}
