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
 * Written from the standard; output is the sequence of n-bit sample values (unsigned, or for
 * AEC_DATA_SIGNED the two's-complement bit pattern in the low n bits of each Uint32).
 */

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

export class AecError extends Error {
  override readonly name = 'AecError';
}

/** Blocks per segment: a zero-block "remainder of segment" run stops at a multiple of this. */
const SEGMENT_BLOCKS = 64;

export function aecDecode(input: Uint8Array, params: AecParams, count: number): Uint32Array {
  const n = params.bitsPerSample;
  const J = params.blockSize;
  const rsi = params.rsi;
  if (!(n >= 1 && n <= 32)) throw new AecError(`bits per sample ${n} outside 1..32`);
  if (![8, 16, 32, 64].includes(J)) throw new AecError(`block size ${J} is not 8, 16, 32 or 64`);
  if (!(rsi >= 1 && rsi <= 4096)) throw new AecError(`reference sample interval ${rsi} outside 1..4096`);
  const preprocess = (params.flags & AEC_DATA_PREPROCESS) !== 0;
  const signed = (params.flags & AEC_DATA_SIGNED) !== 0;
  const padRsi = (params.flags & AEC_PAD_RSI) !== 0;
  const restricted = (params.flags & AEC_RESTRICTED) !== 0 && n <= 4;
  const idLen = restricted ? (n <= 2 ? 1 : 2) : n <= 8 ? 3 : n <= 16 ? 4 : 5;
  const idUncompressed = (1 << idLen) - 1;
  const kMax = idUncompressed - 2; // largest split k the id can name

  const out = new Uint32Array(count);
  const buf = input;
  const totalBits = buf.length * 8;
  let pos = 0;
  let o = 0;

  // -- bit reading (big-endian); bounds are checked per block so corrupt input cannot overrun.
  const bits = (k: number): number => {
    if (k === 0) return 0;
    if (pos + k > totalBits) throw new AecError(`stream ends at bit ${totalBits}, needed ${k} bits at bit ${pos}`);
    let v: number;
    if (k <= 25) {
      const b = pos >>> 3;
      const w = ((buf[b]! << 24) | ((buf[b + 1] ?? 0) << 16) | ((buf[b + 2] ?? 0) << 8) | (buf[b + 3] ?? 0)) >>> 0;
      v = (w >>> (32 - k - (pos & 7))) & ((1 << k) - 1);
    } else {
      const hi = bits2(pos, k - 16);
      const lo = bits2(pos + k - 16, 16);
      v = hi * 65536 + lo;
    }
    pos += k;
    return v;
  };
  const bits2 = (p: number, k: number): number => {
    const b = p >>> 3;
    const w = ((buf[b]! << 24) | ((buf[b + 1] ?? 0) << 16) | ((buf[b + 2] ?? 0) << 8) | (buf[b + 3] ?? 0)) >>> 0;
    return (w >>> (32 - k - (p & 7))) & (k === 32 ? 0xffffffff : (1 << k) - 1);
  };
  /** Fundamental sequence code: the number of 0 bits before the next 1 bit. */
  const fs = (): number => {
    let zeros = 0;
    for (;;) {
      const b = pos >>> 3;
      if (b >= buf.length) throw new AecError(`stream ends inside a fundamental sequence code at bit ${pos}`);
      const off = pos & 7;
      const byte = (buf[b]! << off) & 0xff;
      if (byte !== 0) {
        const z = Math.clz32(byte) - 24;
        zeros += z;
        pos += z + 1;
        return zeros;
      }
      zeros += 8 - off;
      pos += 8 - off;
    }
  };

  // -- postprocessing state (inverse of the unit-delay predictor and mapping)
  const xmax = signed ? 2 ** (n - 1) - 1 : 2 ** n - 1;
  const med = 2 ** (n - 1);
  const signBit = 2 ** (n - 1);
  const full = 2 ** n;
  let last = 0; // previous reconstructed sample (signed value when signed)

  const emitRaw = (v: number): void => {
    if (o < count) out[o++] = v;
  };
  const emitRef = (v: number): void => {
    last = signed && v >= signBit ? v - full : v;
    emitRaw(v);
  };
  const emitResidual = (d: number): void => {
    if (!preprocess) {
      emitRaw(d);
      return;
    }
    const half = Math.floor(d / 2) + (d & 1);
    let x: number;
    if (signed) {
      // Signed samples are predicted in offset-binary form (sign bit flipped), the same mapping
      // as unsigned data, then flipped back to two's complement.
      const u = last + med;
      const upperS = u >= med;
      const thetaS = upperS ? full - 1 - u : u;
      const xu = half <= thetaS ? u + (d & 1 ? -(d + 1) / 2 : d / 2) : upperS ? full - 1 - d : d;
      x = xu - med;
      last = x;
      // Out-of-range reconstructions (only from out-of-range encoder input) wrap to n bits.
      emitRaw(((x % full) + full) % full);
      return;
    }
    const upper = last >= med;
    const theta = upper ? xmax - last : last;
    if (half <= theta) x = last + (d & 1 ? -(d + 1) / 2 : d / 2);
    else x = upper ? xmax - d : d;
    last = x;
    emitRaw(x);
  };

  const fsBuf = new Float64Array(J);
  let blockInRsi = 0;
  while (o < count) {
    const ref = preprocess && blockInRsi === 0 ? 1 : 0;
    if (pos + idLen > totalBits) throw new AecError(`stream ends at bit ${pos} with ${count - o} of ${count} samples still to decode`);
    const id = bits(idLen);
    // Low-entropy blocks put their one-bit selector before the reference sample; the others
    // start with it right after the identifier.
    const lowEntropy = id === 0;
    const secondExtension = lowEntropy && bits(1) === 1;
    if (ref) emitRef(bits(n));
    let blocksUsed = 1;
    if (lowEntropy) {
      if (!secondExtension) {
        // Zero-block run.
        let zb = fs() + 1;
        if (zb === 5) {
          const segLeft = SEGMENT_BLOCKS - (blockInRsi % SEGMENT_BLOCKS);
          zb = Math.min(rsi - blockInRsi, segLeft);
        } else if (zb > 5) zb--;
        blocksUsed = zb;
        const zeros = zb * J - ref;
        for (let i = 0; i < zeros && o < count; i++) emitResidual(0);
      } else {
        // Second extension: pairs (a, b) coded as m = (a+b)(a+b+1)/2 + b.
        for (let i = ref; i < J; ) {
          const m = fs();
          const s = Math.floor((Math.sqrt(8 * m + 1) - 1) / 2);
          const b = m - (s * (s + 1)) / 2;
          if (b < 0 || b > s) throw new AecError(`invalid second-extension code ${m} at bit ${pos}`);
          if ((i & 1) === 0) {
            emitResidual(s - b);
            i++;
          }
          emitResidual(b);
          i++;
        }
      }
    } else if (id === idUncompressed) {
      for (let i = ref; i < J; i++) emitResidual(bits(n));
    } else {
      const k = id - 1;
      if (k > kMax || k >= n) throw new AecError(`split option k=${k} is invalid for ${n}-bit samples at bit ${pos}`);
      for (let i = ref; i < J; i++) fsBuf[i] = fs();
      if (k === 0) for (let i = ref; i < J; i++) emitResidual(fsBuf[i]!);
      else for (let i = ref; i < J; i++) emitResidual(fsBuf[i]! * 2 ** k + bits(k));
    }
    blockInRsi += blocksUsed;
    if (blockInRsi >= rsi) {
      if (blockInRsi > rsi) throw new AecError(`zero-block run crosses a reference sample interval at bit ${pos}`);
      blockInRsi = 0;
      if (padRsi) pos = (pos + 7) & ~7;
    }
  }
  return out;
}
