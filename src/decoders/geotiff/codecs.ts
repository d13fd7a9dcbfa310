/**
 * Compression decoders we register with geotiff.js: deflate through node:zlib (faster than
 * geotiff.js's bundled inflater: benchmarks/tiff-deflate.ts), deflate, zstd, LZW and
 * PackBits bounded by the block's size (a damaged stream cannot allocate more), WebP through libwebp
 * compiled to WebAssembly (@jsquash/webp), since geotiff.js decodes WebP only with browser APIs
 * (createImageBitmap) that Node lacks, and a fix for horizontal differencing (predictor 2) of
 * 16/32-bit big-endian files, which geotiff.js undoes in the host's byte order.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { inflateSync } from 'node:zlib';
import { addDecoder, BaseDecoder, getDecoder, type GeoTIFFImage } from 'geotiff';
import { decodeLzw, decodePackBits } from './block-codecs.js';
import { swapBytes, undoFloatingPoint, undoHorizontal } from './predictor.js';
import { decoderParameters, directory, type Directory } from './tiff-adapter.js';
import { zstdFrames } from '../codecs/zstd.js';

const require = createRequire(import.meta.url);

/** Bytes one strip or tile decodes to: a damaged stream may claim more, and must not be believed. */
function blockBytes(p: unknown): number {
  const q = p as { tileWidth: number; tileHeight: number; bitsPerSample: number[] | number; planarConfiguration: number };
  const bits = Array.isArray(q.bitsPerSample) ? q.bitsPerSample : [q.bitsPerSample];
  const pixel = q.planarConfiguration === 2 ? bits[0]! / 8 : bits.reduce((a, b) => a + b, 0) / 8;
  return Math.ceil(q.tileWidth * q.tileHeight * pixel);
}

class ZlibDeflateDecoder extends BaseDecoder {
  override decodeBlock(buffer: ArrayBuffer): ArrayBuffer {
    const out = inflateSync(new Uint8Array(buffer), { maxOutputLength: Math.max(1, blockBytes(this.parameters)) });
    return out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength) as ArrayBuffer;
  }
}

class BoundedLzwDecoder extends BaseDecoder {
  override decodeBlock(buffer: ArrayBuffer): ArrayBuffer {
    return decodeLzw(new Uint8Array(buffer), blockBytes(this.parameters)).slice().buffer;
  }
}

class BoundedPackBitsDecoder extends BaseDecoder {
  override decodeBlock(buffer: ArrayBuffer): ArrayBuffer {
    return decodePackBits(new Uint8Array(buffer), blockBytes(this.parameters)).slice().buffer;
  }
}

/**
 * zstd with the block's known size: geotiff.js's decoder trusts the frame header's content size,
 * so one damaged header made it allocate gigabytes.
 */
class BoundedZstdDecoder extends BaseDecoder {
  override async decodeBlock(buffer: ArrayBuffer): Promise<ArrayBuffer> {
    const out = (await zstdFrames()).decode(new Uint8Array(buffer), blockBytes(this.parameters));
    return out.slice().buffer;
  }
}

type WebpDecode = (buffer: ArrayBuffer) => Promise<{ data: Uint8ClampedArray; width: number; height: number }>;
let webp: Promise<WebpDecode> | undefined;

/** Loads the WebAssembly decoder once per thread, from the package's own .wasm file (no fetch in Node). */
function webpDecoder(): Promise<WebpDecode> {
  webp ??= (async () => {
    // The Emscripten glue builds its result with ImageData, a browser class.
    const g = globalThis as { ImageData?: unknown };
    g.ImageData ??= class {
      constructor(
        readonly data: Uint8ClampedArray,
        readonly width: number,
        readonly height: number,
      ) {}
    };
    const mod = (await import('@jsquash/webp/decode.js')) as unknown as { default: WebpDecode; init(m: WebAssembly.Module): Promise<void> };
    const wasm = await readFile(require.resolve('@jsquash/webp/codec/dec/webp_dec.wasm'));
    await mod.init(await WebAssembly.compile(wasm));
    return mod.default;
  })();
  return webp;
}

class WebpDecoder extends BaseDecoder {
  override async decodeBlock(buffer: ArrayBuffer): Promise<ArrayBuffer> {
    const img = await (await webpDecoder())(buffer);
    const spp = (this.parameters as { samplesPerPixel?: number }).samplesPerPixel ?? 4;
    if (spp === 4) return img.data.slice().buffer;
    if (spp !== 3) throw new Error(`WebP tiles with ${spp} samples per pixel are not supported`);
    const n = img.width * img.height;
    const rgb = new Uint8Array(n * 3);
    for (let i = 0, j = 0; i < n; i++, j += 4) {
      rgb[i * 3] = img.data[j]!;
      rgb[i * 3 + 1] = img.data[j + 1]!;
      rgb[i * 3 + 2] = img.data[j + 2]!;
    }
    return rgb.buffer;
  }
}

interface PredictorParameters {
  tileWidth: number;
  tileHeight: number;
  predictor: number;
  bitsPerSample: number[] | number;
  planarConfiguration: number;
  littleEndian?: boolean;
}

/**
 * Undoes predictor 2 or 3 on a decoded block with our typed-array predictors, leaving samples in
 * the file's byte order (geotiff.js reads them with it). geotiff.js's own undid predictor 2 in the
 * host's byte order (wrong for big-endian 16/32-bit files) and worked byte by byte. Returns false
 * for combinations we leave to geotiff.js (predictor 2 on 64-bit samples, which it refuses).
 */
function undoPredictor(block: ArrayBuffer, p: PredictorParameters): boolean {
  const bits = Array.isArray(p.bitsPerSample) ? p.bitsPerSample : [p.bitsPerSample];
  if (bits.some((b) => b !== bits[0] || b % 8 !== 0)) return false;
  const bytes = bits[0]! / 8;
  const stride = p.planarConfiguration === 2 ? 1 : bits.length;
  const rowSamples = p.tileWidth * stride;
  const rows = Math.min(p.tileHeight, Math.floor(block.byteLength / (rowSamples * bytes)));
  const le = p.littleEndian !== false;
  const u8 = new Uint8Array(block, 0, rows * rowSamples * bytes);
  if (p.predictor === 3) {
    undoFloatingPoint(u8, rowSamples, rows, stride, bytes);
    if (!le) swapBytes(u8, bytes);
    return true;
  }
  if (p.predictor !== 2 || bytes > 4 || bytes === 3) return false;
  if (!le) swapBytes(u8, bytes);
  const n = rows * rowSamples;
  undoHorizontal(bytes === 1 ? u8 : bytes === 2 ? new Uint16Array(block, 0, n) : new Uint32Array(block, 0, n), rowSamples, rows, stride);
  if (!le) swapBytes(u8, bytes);
  return true;
}

/** A geotiff.js decoder class whose predictors are ours (see undoPredictor). */
function withPredictors(Inner: typeof BaseDecoder): typeof BaseDecoder {
  return class extends Inner {
    override async decode(buffer: ArrayBufferLike): Promise<ArrayBufferLike> {
      const p = this.parameters as PredictorParameters;
      if (p.predictor === 2 || p.predictor === 3) {
        const decoded = await this.decodeBlock(buffer);
        // Typed views need an aligned, plain buffer.
        const block = decoded instanceof ArrayBuffer ? decoded : new Uint8Array(decoded).slice().buffer;
        if (undoPredictor(block, p)) return block;
      }
      return super.decode(buffer);
    }
  };
}

/** Byte order of each image's directory: geotiff.js gives decoders the directory but not the file's byte order. */
const byteOrder = new WeakMap<object, boolean>();

/** Records an image's byte order for its decoders; call before reading its pixels. */
export function noteByteOrder(img: GeoTIFFImage): void {
  byteOrder.set(directory(img), img.littleEndian);
}

/** geotiff.js's default decoder parameters, plus the file's byte order and samples per pixel. */
const parameterFn = decoderParameters(async (fd: Directory): Promise<PredictorParameters & { samplesPerPixel: number }> => {
  const tiled = !fd.hasTag('StripOffsets');
  return {
    tileWidth: Number(await fd.loadValue(tiled ? 'TileWidth' : 'ImageWidth')),
    tileHeight: Number(tiled ? await fd.loadValue('TileLength') : (await fd.loadValue('RowsPerStrip')) || (await fd.loadValue('ImageLength'))),
    planarConfiguration: Number(await fd.loadValue('PlanarConfiguration')),
    bitsPerSample: Array.from((await fd.loadValue('BitsPerSample')) as ArrayLike<number>, Number),
    predictor: Number((await fd.loadValue('Predictor')) || 1),
    samplesPerPixel: Number(await fd.loadValue('SamplesPerPixel')) || 4,
    littleEndian: byteOrder.get(fd),
  };
});

let registered: Promise<void> | undefined;

/** Registers our decoders with geotiff.js once per thread (the originals of the wrapped ones are looked up first). */
export function registerTiffCodecs(): Promise<void> {
  registered ??= (async () => {
    const dummy = { tileWidth: 1, tileHeight: 1, predictor: 1, bitsPerSample: [8], planarConfiguration: 1 };
    // Uncompressed: geotiff.js's own decoder, with the big-endian predictor fix.
    const Raw = (await getDecoder(1, dummy)).constructor as typeof BaseDecoder;
    addDecoder(1, async () => withPredictors(Raw), parameterFn);
    addDecoder(5, async () => withPredictors(BoundedLzwDecoder), parameterFn);
    addDecoder(32773, async () => withPredictors(BoundedPackBitsDecoder), parameterFn);
    addDecoder([8, 32946], async () => withPredictors(ZlibDeflateDecoder), parameterFn);
    addDecoder(50000, async () => withPredictors(BoundedZstdDecoder), parameterFn);
    // WebP needs samplesPerPixel; geotiff.js's own WebP entry passes it the same way.
    addDecoder(50001, async () => WebpDecoder, parameterFn, false);
  })();
  return registered;
}
