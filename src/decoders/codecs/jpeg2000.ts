/**
 * JPEG 2000 code streams (GRIB2 template 5.40) through OpenJPEG compiled to WebAssembly
 * (@cornerstonejs/codec-openjpeg: the only 16-bit-exact JPEG 2000 decoder on npm). The decode
 * itself is about 95% of the time; samples are scaled straight from the decoder's memory.
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

/** Scaling applied to samples: value = (sample·bscale + r)·dscale (GRIB's). */
export interface SampleScale {
  r: number;
  bscale: number;
  dscale: number;
}

/**
 * Decodes a single-component code stream of `count` samples (row-major), scaled, into
 * out[at..at+count), reading the samples straight from the decoder's memory. Throws RangeError
 * when the image has another number of samples.
 */
export async function decodeJpeg2000Scaled(codestream: Uint8Array, count: number, s: SampleScale, out: Float64Array, at: number): Promise<void> {
  const mod = await openjpeg();
  const dec = new mod.J2KDecoder();
  try {
    dec.getEncodedBuffer(codestream.length).set(codestream);
    dec.decode();
    const info = dec.getFrameInfo();
    const n = info.width * info.height;
    if (n !== count) throw new RangeError(`JPEG 2000 image has ${n} samples, expected ${count}`);
    const raw = dec.getDecodedBuffer();
    const { r, bscale, dscale } = s;
    if (info.bitsPerSample <= 8) {
      const x = info.isSigned ? new Int8Array(raw.buffer, raw.byteOffset, n) : raw;
      for (let i = 0; i < n; i++) out[at + i] = (x[i]! * bscale + r) * dscale;
    } else if (raw.byteOffset % 2 === 0) {
      // Samples are 16-bit little-endian, the host order of every platform Node runs on here.
      const x = info.isSigned ? new Int16Array(raw.buffer, raw.byteOffset, n) : new Uint16Array(raw.buffer, raw.byteOffset, n);
      for (let i = 0; i < n; i++) out[at + i] = (x[i]! * bscale + r) * dscale;
    } else {
      const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      for (let i = 0; i < n; i++) out[at + i] = ((info.isSigned ? v.getInt16(2 * i, true) : v.getUint16(2 * i, true)) * bscale + r) * dscale;
    }
  } finally {
    dec.delete?.();
  }
}
