/**
 * CCSDS 121.0-B lossless decoder (Adaptive Entropy Coding, "Rice"), the profile GRIB2 data
 * representation template 5.42 uses (ECMWF since IFS 48r1, CAMS, AIFS, Météo-France).
 *
 * A stream is a sequence of blocks of J samples. Each block starts with an option identifier:
 * a zero-block run or second extension (low entropy), a split-sample option with k low bits
 * (k = 0 is the plain fundamental sequence), or no compression. With preprocessing, the first
 * block of each reference sample interval (RSI) carries an n-bit reference sample and the
 * others carry mapped prediction residuals, inverted here with a unit-delay predictor.
 *
 * Written from the standard. The stream is decoded one RSI at a time: its codes into a small
 * buffer that stays in cache, then the prediction is inverted (aec-unmap.ts) straight into the
 * output, as n-bit sample values (unsigned, or for AEC_DATA_SIGNED the two's-complement bit
 * pattern in the low n bits of each Uint32), or scaled into float64 for GRIB.
 */
import { AecBitReader, AecError } from './aec-bits.js';
import { type SampleScale, unmapInPlace, unmapScaled } from './aec-unmap.js';

export { AecError } from './aec-bits.js';
export type { SampleScale } from './aec-unmap.js';

export const AEC_DATA_SIGNED = 1;
export const AEC_DATA_3BYTE = 2;
export const AEC_DATA_MSB = 4;
export const AEC_DATA_PREPROCESS = 8;
export const AEC_RESTRICTED = 16;
export const AEC_PAD_RSI = 32;

export interface AecParams {
  bitsPerSample: number;
  blockSize: number;
  rsi: number;
  flags: number;
}

/** Blocks per segment: a zero-block "remainder of segment" run stops at a multiple of this. */
const SEGMENT_BLOCKS = 64;

/** Second-extension codes m = (a+b)(a+b+1)/2 + b: a+b for small m by table, larger by sqrt. */
const SE_TABLE = 4096;
const SE_SUM = new Uint8Array(SE_TABLE);
for (let s = 0, m = 0; m < SE_TABLE; s++) for (let b = 0; b <= s && m < SE_TABLE; b++, m++) SE_SUM[m] = s;

/** The `count` samples of a stream. */
export function aecDecode(input: Uint8Array, params: AecParams, count: number): Uint32Array {
  const out = new Uint32Array(count);
  const preprocess = (params.flags & AEC_DATA_PREPROCESS) !== 0;
  const signed = (params.flags & AEC_DATA_SIGNED) !== 0;
  decodeByRsi(input, params, count, (codes, len, first) => {
    if (preprocess) unmapInPlace(codes, len, params.bitsPerSample, signed);
    out.set(codes.subarray(0, len), first);
  });
  return out;
}

/**
 * The `count` samples of a stream, scaled, into out[at..at+count): the prediction is inverted
 * and the scaling applied in the same pass. Signed samples (which GRIB encoders do not write)
 * are scaled as their unsigned n-bit patterns.
 */
export function aecDecodeScaled(input: Uint8Array, params: AecParams, count: number, scale: SampleScale, out: Float64Array, at: number): void {
  const { r, bscale, dscale } = scale;
  const n = params.bitsPerSample;
  const preprocess = (params.flags & AEC_DATA_PREPROCESS) !== 0;
  const signed = (params.flags & AEC_DATA_SIGNED) !== 0;
  decodeByRsi(input, params, count, (codes, len, first) => {
    if (preprocess && !signed) return unmapScaled(codes, len, n, scale, out, at + first);
    if (preprocess) unmapInPlace(codes, len, n, true);
    for (let i = 0; i < len; i++) out[at + first + i] = (codes[i]! * bscale + r) * dscale;
  });
}

/**
 * Entropy decoding, one RSI at a time: its reference sample and mapped residuals (the samples
 * themselves without preprocessing) into a reused buffer, handed to `take` with their count and
 * the index of the first.
 */
function decodeByRsi(input: Uint8Array, params: AecParams, count: number, take: (codes: Uint32Array, len: number, first: number) => void): void {
  const n = params.bitsPerSample;
  const J = params.blockSize;
  const rsi = params.rsi;
  if (!(n >= 1 && n <= 32)) throw new AecError(`bits per sample ${n} outside 1..32`);
  if (![8, 16, 32, 64].includes(J)) throw new AecError(`block size ${J} is not 8, 16, 32 or 64`);
  if (!(rsi >= 1 && rsi <= 4096)) throw new AecError(`reference sample interval ${rsi} outside 1..4096`);
  const preprocess = (params.flags & AEC_DATA_PREPROCESS) !== 0;
  const padRsi = (params.flags & AEC_PAD_RSI) !== 0;
  const restricted = (params.flags & AEC_RESTRICTED) !== 0 && n <= 4;
  const idLen = restricted ? (n <= 2 ? 1 : 2) : n <= 8 ? 3 : n <= 16 ? 4 : 5;
  const idUncompressed = (1 << idLen) - 1;
  const kMax = idUncompressed - 2; // largest split k the id can name

  const rd = new AecBitReader(input);
  const span = rsi * J;
  // One RSI, plus a block: the last block of the stream is decoded whole and its tail dropped.
  const codes = new Uint32Array(Math.min(span, count) + J);
  for (let first = 0; first < count; first += span) {
    const want = Math.min(span, count - first);
    let o = 0;
    let blocks = 0;
    while (o < want) {
      const ref = preprocess && blocks === 0 ? 1 : 0;
      if (rd.pos() + idLen > rd.totalBits) throw new AecError(`stream ends at bit ${rd.pos()} with ${count - first - o} of ${count} samples still to decode`);
      const id = rd.bits(idLen);
      let used = 1;
      if (id === 0) {
        // Low-entropy blocks put their one-bit selector before the reference sample.
        const secondExtension = rd.bits(1) === 1;
        if (ref) codes[o] = rd.bits(n);
        if (!secondExtension) {
          let zb = rd.fundamental() + 1;
          if (zb === 5) zb = Math.min(rsi - blocks, SEGMENT_BLOCKS - (blocks % SEGMENT_BLOCKS));
          else if (zb > 5) zb--;
          used = zb;
          codes.fill(0, o + ref, Math.min(o + zb * J, codes.length));
        } else {
          for (let i = o + ref, end = o + J; i < end; ) {
            const m = rd.fundamental();
            const s = m < SE_TABLE ? SE_SUM[m]! : Math.floor((Math.sqrt(8 * m + 1) - 1) / 2);
            const b = m - (s * (s + 1)) / 2;
            if (b < 0 || b > s) throw new AecError(`invalid second-extension code ${m} at bit ${rd.pos()}`);
            if (((i - o) & 1) === 0) codes[i++] = s - b;
            codes[i++] = b;
          }
        }
      } else {
        // The other options start with the reference sample right after the identifier.
        if (ref) codes[o] = rd.bits(n);
        if (id === idUncompressed) {
          for (let i = o + ref, end = o + J; i < end; i++) codes[i] = rd.bits(n);
        } else {
          const k = id - 1;
          if (k > kMax || k >= n) throw new AecError(`split option k=${k} is invalid for ${n}-bit samples at bit ${rd.pos()}`);
          rd.split(codes, o + ref, o + J, k);
        }
      }
      if (rd.pos() > rd.totalBits) throw new AecError(`stream ends at bit ${rd.totalBits} inside a block (needed up to bit ${rd.pos()})`);
      o += used * J;
      blocks += used;
      if (blocks >= rsi) {
        if (blocks > rsi) throw new AecError(`zero-block run crosses a reference sample interval at bit ${rd.pos()}`);
        if (padRsi) rd.alignToByte();
      }
    }
    take(codes, want, first);
  }
}
