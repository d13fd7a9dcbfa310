/**
 * JPEG 2000 code streams (GRIB2 template 5.40) through OpenJPEG 2.5 (Debian's openjpeg2 source package) compiled to WebAssembly by
 * ./openjpeg/build.sh (why our own build: see there; the decode is ~90% OpenJPEG's tier-1
 * decoder). One module instance per thread, created on first use and kept: its input buffer and
 * heap are reused from message to message, and samples are scaled straight from the decoder's
 * int32 component, with no intermediate copy.
 */
import { OPENJPEG_WASM_BASE64 } from './openjpeg-wasm.js';

interface OpenJpegExports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  j2k_input(len: number): number;
  j2k_decode(len: number): number;
  j2k_release(): void;
  j2k_error(): number;
  j2k_samples(): number;
  j2k_width(): number;
  j2k_height(): number;
  j2k_components(): number;
}

/** A code stream OpenJPEG refused or could not decode; the message is OpenJPEG's own. */
export class Jpeg2000Error extends Error {}

let compiled: WebAssembly.Module | undefined;
let instance: OpenJpegExports | undefined;

function openjpeg(): OpenJpegExports {
  if (instance) return instance;
  compiled ??= new WebAssembly.Module(Buffer.from(OPENJPEG_WASM_BASE64, 'base64'));
  let memory: WebAssembly.Memory | undefined;
  // The few WASI calls the C library links: no environment (OPJ_NUM_THREADS is unset), and
  // output is dropped (OpenJPEG reports through the handlers j2k.c installs).
  const wasi = {
    fd_write(_fd: number, iov: number, iovcnt: number, nwritten: number): number {
      const v = new DataView(memory!.buffer);
      let n = 0;
      for (let i = 0; i < iovcnt; i++) n += v.getUint32(iov + 8 * i + 4, true);
      v.setUint32(nwritten, n, true);
      return 0;
    },
    environ_sizes_get(count: number, size: number): number {
      const v = new DataView(memory!.buffer);
      v.setUint32(count, 0, true);
      v.setUint32(size, 0, true);
      return 0;
    },
    environ_get: (): number => 0,
  };
  const inst = new WebAssembly.Instance(compiled, { env: { emscripten_notify_memory_growth() {} }, wasi_snapshot_preview1: wasi });
  const e = inst.exports as unknown as OpenJpegExports;
  memory = e.memory;
  e._initialize();
  instance = e;
  return e;
}

function cString(mem: WebAssembly.Memory, at: number): string {
  const bytes = new Uint8Array(mem.buffer, at);
  const end = bytes.indexOf(0);
  return Buffer.from(bytes.subarray(0, end < 0 ? 0 : end)).toString('latin1');
}

/** Scaling applied to samples: value = (sample·bscale + r)·dscale (GRIB's). */
export interface SampleScale {
  r: number;
  bscale: number;
  dscale: number;
}

/**
 * Decodes a single-component code stream of `count` samples (row-major), scaled, into
 * out[at..at+count). Throws Jpeg2000Error when OpenJPEG cannot decode it, RangeError when the
 * image has another number of samples or more than one component.
 */
export async function decodeJpeg2000Scaled(codestream: Uint8Array, count: number, s: SampleScale, out: Float64Array, at: number): Promise<void> {
  const e = openjpeg();
  try {
    const input = e.j2k_input(codestream.length);
    if (input === 0) throw new Jpeg2000Error(`no memory for a ${codestream.length}-byte code stream`);
    new Uint8Array(e.memory.buffer, input, codestream.length).set(codestream);
    if (e.j2k_decode(codestream.length) !== 0) throw new Jpeg2000Error(cString(e.memory, e.j2k_error()));
    try {
      const comps = e.j2k_components();
      if (comps !== 1) throw new RangeError(`JPEG 2000 image has ${comps} components, expected 1`);
      const n = e.j2k_width() * e.j2k_height();
      if (n !== count) throw new RangeError(`JPEG 2000 image has ${n} samples, expected ${count}`);
      // Samples are int32 with OpenJPEG's sign and DC level shift already applied; read after the
      // decode, as the heap may have grown (a new ArrayBuffer).
      const x = new Int32Array(e.memory.buffer, e.j2k_samples(), n);
      const { r, bscale, dscale } = s;
      for (let i = 0; i < n; i++) out[at + i] = (x[i]! * bscale + r) * dscale;
    } finally {
      e.j2k_release();
    }
  } catch (err) {
    // A trap (corrupt stream reaching an unchecked path, or memory exhausted) can leave the C
    // heap inconsistent: the next decode starts from a fresh instance.
    if (err instanceof WebAssembly.RuntimeError) {
      instance = undefined;
      throw new Jpeg2000Error(`decoder stopped: ${err.message}`);
    }
    throw err;
  }
}
