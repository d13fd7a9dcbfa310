/**
 * TIFF LZW in WebAssembly (lzw.wat, assembled with wabt's wat2wasm; its bytes are inlined below):
 * the same algorithm and bounds as block-codecs.ts `decodeLzw`, about 1.3x as fast on the suite's
 * LZW tiles (15 vs 20 ms for 64 int16 tiles, 56 vs 73 ms for 64 float32 tiles, copy into
 * WebAssembly memory included, in one microbenchmark run). LZW was half of an LZW + predictor 2
 * decode. The decoded block stays in WebAssembly memory and is read from there; where
 * WebAssembly is unavailable `wasmLzw()` is null and the TypeScript decoder is used.
 */
import { CodecError } from './block-codecs.js';

const WASM = 'AGFzbQEAAAABCgFgBX9/f39/AX8DAgEABQMBAAEHEAIGbWVtb3J5AgADbHp3AAAKgAQB/QMBDn8gAUEDdCEGQQkhB0H/AyEIQYICIQlBfyEKAkADQCAFIAdqIAZLBEAgDCADRg0CQX8PCyAAIAVBA3ZqIREgES0AAEEQdCARLQABQQh0ciARLQACckEYIAdrIAVBB3FrdiAIcSENIAUgB2ohBQJAIA1BgAJJBEAgDCADTwRAQX4PCyACIAxqIA06AABBASEODAELIA1BggJPIA0gCUlxBEAgBCANQQN0aiESIAIgEigCAGohDyASKAIEIQ4gDCAOaiADSwRAQX4PCyACIAxqIRJBACEQA0AgEiAQaiAPIBBqKAIANgIAIBBBBGohECAQIA5JDQALDAELIA1BgAJGBEBBCSEHQf8DIQhBggIhCUF/IQoMAgsgDUGBAkYNAiANIAlGIApBAE4gCUGAIElxcQRAIAtBAWohDiAMIA5qIANLBEBBfg8LIAIgCmohDyACIAxqIRJBACEQA0AgEiAQaiAPIBBqKAIANgIAIBBBBGohECAQIAtJDQALIBIgC2ogDy0AADoAAAwBC0F9QXwgCkEASBsPCyAKQQBOIAlBgCBJcQRAIAQgCUEDdGohEiASIAo2AgAgEiALQQFqNgIEIAlBAWohCQsgDCEKIA4hCyAMIA5qIQwgCSAITyAHQQxJcQRAIAdBAWohByAIQQF0QQFyIQgLDAALCyAMCw==';

interface Exports {
  memory: WebAssembly.Memory;
  lzw(src: number, srcLength: number, dst: number, max: number, table: number): number;
}

const PAGE = 65536;
/** Table of (start, length) per code: 4096 codes of two 32-bit words. */
const TABLE_BYTES = 4096 * 8;

export class WasmLzw {
  constructor(private readonly ex: Exports) {}

  /**
   * Decodes one strip or tile of at most `maxBytes`; the result is a view of WebAssembly memory,
   * valid until the next call.
   */
  decode(input: Uint8Array, maxBytes: number): Uint8Array {
    const src = TABLE_BYTES;
    // Two readable bytes past the input (codes are cut from 3-byte windows), output 8-aligned.
    const dst = (src + input.length + 2 + 7) & ~7;
    const need = dst + maxBytes + 8;
    const have = this.ex.memory.buffer.byteLength;
    if (need > have) this.ex.memory.grow(Math.ceil((need - have) / PAGE));
    const mem = new Uint8Array(this.ex.memory.buffer);
    mem.set(input, src);
    mem[src + input.length] = 0;
    mem[src + input.length + 1] = 0;
    const n = this.ex.lzw(src, input.length, dst, maxBytes, 0);
    if (n >= 0) return mem.subarray(dst, dst + n);
    if (n === -1) throw new CodecError(`LZW stream ends before the ${maxBytes}-byte block is full, without an end code`);
    if (n === -2) throw new CodecError(`LZW output exceeds the ${maxBytes}-byte block`);
    if (n === -3) throw new CodecError('LZW code above 255 right after a clear code');
    throw new CodecError('LZW code not in the table');
  }
}

let instance: WasmLzw | null | undefined;

export function wasmLzw(): WasmLzw | null {
  if (instance !== undefined) return instance;
  try {
    const module = new WebAssembly.Module(Buffer.from(WASM, 'base64'));
    instance = new WasmLzw(new WebAssembly.Instance(module, {}).exports as unknown as Exports);
  } catch {
    instance = null;
  }
  return instance;
}
