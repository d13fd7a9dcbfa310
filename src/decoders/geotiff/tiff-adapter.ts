/**
 * The one typed door into geotiff.js. Its declarations type tag values by tag name through
 * generics that resolve to `any` for most tags, and some state we rely on (the file's byte order,
 * the data source, indexed tag loads) is only reachable through members the rest of the decoder
 * should not poke at. Everything here returns plain numbers and arrays, so callers never cast.
 */
import type { addDecoder, GeoTIFFImage } from 'geotiff';

/** A TIFF tag's value as geotiff.js parsed it: a number, a string, or an array of either. */
export type TagValue = number | bigint | string | ArrayLike<number | bigint> | undefined;

/** The parts of geotiff.js's ImageFileDirectory we use. */
export interface Directory {
  hasTag(name: string): boolean;
  getValue(name: string): TagValue;
  loadValue(name: string): Promise<TagValue>;
  loadValueIndexed(name: string, index: number): Promise<number | bigint | string | undefined>;
}

/** Byte ranges fetched from the file through geotiff.js's source (the path complex.ts uses). */
export interface Source {
  fetch(ranges: Array<{ offset: number; length: number }>): Promise<ArrayBuffer[]>;
}

export function directory(img: GeoTIFFImage): Directory {
  return img.getFileDirectory() as unknown as Directory;
}

export function source(img: GeoTIFFImage): Source {
  return img.source as unknown as Source;
}

/** A tag that is loaded eagerly (a short array or a scalar); undefined when absent. */
export function tag(img: GeoTIFFImage, name: string): TagValue {
  return directory(img).getValue(name);
}

/** A scalar numeric tag, or `fallback` when absent. */
export function numberTag(img: GeoTIFFImage, name: string, fallback: number): number {
  const v = tag(img, name);
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'object') return Number(v[0] ?? fallback);
  return Number(v);
}

/** A numeric array tag (BitsPerSample, SampleFormat, ModelTiepoint, ...), or undefined when absent. */
export function numbersTag(img: GeoTIFFImage, name: string): number[] | undefined {
  const v = tag(img, name);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'object') return Array.from(v, Number);
  return [Number(v)];
}

/** A possibly deferred numeric array tag (strip/tile offsets and byte counts), loaded in full. */
export async function loadNumbers(img: GeoTIFFImage, name: string): Promise<Float64Array | undefined> {
  const d = directory(img);
  if (!d.hasTag(name)) return undefined;
  const v = await d.loadValue(name);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'object') return Float64Array.from(v as ArrayLike<number | bigint>, Number);
  return Float64Array.of(Number(v));
}

/** GeoKeys as geotiff.js parses them (names to values), or null without a GeoKeyDirectory. */
export type GeoKeys = Partial<Record<string, unknown>>;

export function geoKeys(img: GeoTIFFImage): GeoKeys | null {
  return img.getGeoKeys() as GeoKeys | null;
}

/** GDAL per-band metadata items (SCALE, OFFSET, ...) of 0-based sample `s`; {} when none. */
export async function gdalMetadata(img: GeoTIFFImage, s: number): Promise<Record<string, string>> {
  return ((await img.getGDALMetadata(s).catch(() => null)) ?? {}) as Record<string, string>;
}

/** Bands of a window as geotiff.js's readRasters / readRGB return them (one array per sample). */
export async function readBands(img: GeoTIFFImage, window: [number, number, number, number], samples: number[], rgb: boolean): Promise<Array<ArrayLike<number>>> {
  const r = rgb ? await img.readRGB({ window, interleave: false }) : await img.readRasters({ window, samples, interleave: false });
  return r as unknown as Array<ArrayLike<number>>;
}

/** What geotiff.js hands a decoder-parameter function: the image's directory. */
export type DecoderParameterFn = NonNullable<Parameters<typeof addDecoder>[2]>;

/**
 * A decoder-parameter function written against our Directory (geotiff.js passes its own
 * ImageFileDirectory, whose generic tag typing does not admit plain tag names).
 */
export function decoderParameters<P>(fn: (d: Directory) => Promise<P>): DecoderParameterFn {
  return fn as unknown as DecoderParameterFn;
}
