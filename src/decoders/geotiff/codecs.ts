/**
 * Compression decoders we register with geotiff.js: deflate through node:zlib (about 1.8x faster
 * than geotiff.js's bundled inflater, see ../shared/notes/dependencies.md) and WebP through
 * libwebp compiled to WebAssembly (@jsquash/webp), since geotiff.js decodes WebP only with browser
 * APIs (createImageBitmap) that Node lacks.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { inflateSync } from 'node:zlib';
import { addDecoder, BaseDecoder } from 'geotiff';

const require = createRequire(import.meta.url);

class ZlibDeflateDecoder extends BaseDecoder {
  override decodeBlock(buffer: ArrayBuffer): ArrayBuffer {
    const out = inflateSync(new Uint8Array(buffer));
    return out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength) as ArrayBuffer;
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

let registered = false;

export function registerTiffCodecs(): void {
  if (registered) return;
  registered = true;
  addDecoder([8, 32946], async () => ZlibDeflateDecoder as unknown as typeof BaseDecoder);
  // WebP needs samplesPerPixel; geotiff.js's own WebP entry passes it the same way.
  addDecoder(
    50001,
    async () => WebpDecoder as unknown as typeof BaseDecoder,
    (async (fd: { loadValue(name: string): Promise<unknown>; hasTag(name: string): boolean }) => {
      const tiled = !fd.hasTag('StripOffsets');
      return {
        tileWidth: Number(await fd.loadValue(tiled ? 'TileWidth' : 'ImageWidth')),
        tileHeight: Number(tiled ? await fd.loadValue('TileLength') : (await fd.loadValue('RowsPerStrip')) || (await fd.loadValue('ImageLength'))),
        planarConfiguration: Number(await fd.loadValue('PlanarConfiguration')),
        bitsPerSample: (await fd.loadValue('BitsPerSample')) as number[],
        predictor: Number((await fd.loadValue('Predictor')) || 1),
        samplesPerPixel: Number(await fd.loadValue('SamplesPerPixel')) || 4,
      };
    }) as unknown as Parameters<typeof addDecoder>[2],
    false,
  );
}
