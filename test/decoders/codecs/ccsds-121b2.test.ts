/**
 * The CCSDS 121.0-B-2 reference test data (the standard's own sample streams, as distributed with
 * libaec): every bits-per-sample 1-24 with all code options and the restricted set, the
 * low-entropy options, and the RSI-padded 32-bit SAR stream (AEC_PAD_RSI), decoded by us and
 * compared with the reference samples. Parameters are those of libaec's tests/sampledata.sh;
 * samples are little-endian in 1, 2 or 4 bytes. The SAR stream is kept as a prefix of whole
 * padded RSIs (its first 64 KiB) with the matching samples.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { aecDecode, AEC_DATA_PREPROCESS, AEC_PAD_RSI, AEC_RESTRICTED } from '../../../src/decoders/codecs/ccsds.js';
import { repoRoot } from '../../support/corpus.js';

const dir = join(repoRoot, 'test/fixtures/ccsds-121b2');

interface Vector {
  stream: string;
  samples: string;
  n: number;
  j: number;
  r: number;
  flags: number;
  /** Decode only this many samples (prefix streams). */
  count?: number;
}

const two = (i: number) => String(i).padStart(2, '0');
const vectors: Vector[] = [];
for (let n = 1; n <= 4; n++) {
  for (const kind of ['basic', 'restricted']) {
    vectors.push({ stream: `AllOptions/test_p256n${two(n)}-${kind}.rz`, samples: `AllOptions/test_p256n${two(n)}.dat`, n, j: 16, r: 16, flags: AEC_DATA_PREPROCESS | (kind === 'restricted' ? AEC_RESTRICTED : 0) });
  }
}
for (let n = 5; n <= 16; n++) vectors.push({ stream: `AllOptions/test_p256n${two(n)}.rz`, samples: `AllOptions/test_p256n${two(n)}.dat`, n, j: 16, r: 16, flags: AEC_DATA_PREPROCESS });
for (let n = 17; n <= 24; n++) vectors.push({ stream: `AllOptions/test_p512n${two(n)}.rz`, samples: `AllOptions/test_p512n${two(n)}.dat`, n, j: 16, r: 32, flags: AEC_DATA_PREPROCESS });
for (let set = 1; set <= 3; set++) {
  for (let n = 1; n <= 8; n++) {
    const kinds = n <= 4 ? ['-basic', '-restricted'] : [''];
    for (const kind of kinds) {
      vectors.push({ stream: `LowEntropyOptions/Lowset${set}_8bit.n${two(n)}${kind}.rz`, samples: `LowEntropyOptions/Lowset${set}_8bit.dat`, n, j: 16, r: 64, flags: AEC_DATA_PREPROCESS | (kind === '-restricted' ? AEC_RESTRICTED : 0) });
    }
  }
}
// 16 blocks of 16 samples per RSI... 256 blocks per RSI: the 64 KiB prefix holds more than 4 RSIs.
vectors.push({ stream: 'ExtendedParameters/sar32bit.j16.r256.prefix.rz', samples: 'ExtendedParameters/sar32bit.prefix.dat', n: 32, j: 16, r: 256, flags: AEC_DATA_PREPROCESS | AEC_PAD_RSI, count: 4 * 256 * 16 });

function reference(path: string, n: number, count: number): Uint32Array {
  const raw = readFileSync(path);
  const width = n <= 8 ? 1 : n <= 16 ? 2 : 4;
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    let v = 0;
    for (let b = width - 1; b >= 0; b--) v = v * 256 + raw[i * width + b]!;
    out[i] = v;
  }
  return out;
}

describe('CCSDS 121.0-B-2 reference test data', () => {
  it('covers every bits-per-sample 1-24, the restricted set, low entropy and RSI padding', () => {
    expect(new Set(vectors.map((v) => v.n)).size).toBe(25);
    expect(vectors.some((v) => v.flags & AEC_PAD_RSI)).toBe(true);
  });

  it.each(vectors.map((v) => [v.stream, v] as const))('decodes %s to the reference samples', (_name, v) => {
    const width = v.n <= 8 ? 1 : v.n <= 16 ? 2 : 4;
    const samplesPath = join(dir, v.samples);
    const count = v.count ?? readFileSync(samplesPath).length / width;
    const got = aecDecode(new Uint8Array(readFileSync(join(dir, v.stream))), { bitsPerSample: v.n, blockSize: v.j, rsi: v.r, flags: v.flags }, count);
    const want = reference(samplesPath, v.n, count);
    let firstBad = -1;
    for (let i = 0; i < count; i++) if (got[i] !== want[i]) { firstBad = i; break; }
    expect(firstBad, `first mismatch at ${firstBad}: ${got[firstBad]} vs ${want[firstBad]}`).toBe(-1);
  });
});
