/**
 * JPEG 2000 code streams (GRIB2 template 5.40) through OpenJPEG compiled to WebAssembly
 * (@cornerstonejs/codec-openjpeg: the only 16-bit-exact JPEG 2000 decoder on npm).
 */
import { createRequire } from 'node:module';

interface J2KDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getDecodedBuffer(): Uint8Array;
  getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number; isSigned: boolean };
  delete?(): void;
}
interface OpenJpegModule {
  J2KDecoder: new () => J2KDecoder;
}

const require = createRequire(import.meta.url);
let modulePromise: Promise<OpenJpegModule> | undefined;

function openjpeg(): Promise<OpenJpegModule> {
  // The factory prints [INFO] lines to stdout unless print/printErr are replaced.
  modulePromise ??= (require('@cornerstonejs/codec-openjpeg/decodewasmjs') as (o: object) => Promise<OpenJpegModule>)({ print() {}, printErr() {} });
  return modulePromise;
}

/** Decodes a single-component code stream into integer samples (row-major). */
export async function decodeJpeg2000(codestream: Uint8Array): Promise<Int32Array> {
  const mod = await openjpeg();
  const dec = new mod.J2KDecoder();
  try {
    dec.getEncodedBuffer(codestream.length).set(codestream);
    dec.decode();
    const info = dec.getFrameInfo();
    const raw = dec.getDecodedBuffer();
    const n = info.width * info.height;
    const out = new Int32Array(n);
    if (info.bitsPerSample <= 8) {
      for (let i = 0; i < n; i++) out[i] = info.isSigned ? (raw[i]! << 24) >> 24 : raw[i]!;
    } else {
      const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      for (let i = 0; i < n; i++) out[i] = info.isSigned ? v.getInt16(2 * i, true) : v.getUint16(2 * i, true);
    }
    return out;
  } finally {
    dec.delete?.();
  }
}
