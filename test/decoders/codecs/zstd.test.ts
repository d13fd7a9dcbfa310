/**
 * zstdFrames reuses one decompression context and hands out views of its output: results must
 * equal the input of the compressor, and damaged, truncated or oversized frames must throw without
 * spoiling the next call. Frames are made by the reference `zstd` CLI (Debian package zstd,
 * installed by ./dev from scripts/apt-packages.txt); without it the test is skipped.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { zstdFrames, ZstdError } from '../../../src/decoders/codecs/zstd.js';

function compress(data: Uint8Array): Uint8Array | null {
  try {
    return new Uint8Array(execFileSync('zstd', ['-q', '-c', '-3'], { input: data }));
  } catch {
    return null;
  }
}

function sample(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = (i >> 5) + ((x >>> 29) & 3);
  }
  return b;
}

const raw = sample(300_000, 7);
const frame = compress(raw);

describe.skipIf(!frame)('zstdFrames', () => {
  it('runs on its own instance of the wasm module, not the copying fallback', async () => {
    expect((await zstdFrames()).constructor.name).toBe('OwnInstance');
  });

  it('decodes frames in a row, each equal to its input, and concatenated frames', async () => {
    const z = await zstdFrames();
    for (let k = 0; k < 5; k++) {
      const data = sample(1000 + k * 50_000, k);
      const out = z.decode(compress(data)!, data.length);
      expect(Buffer.compare(out, data)).toBe(0);
    }
    const two = new Uint8Array([...frame!, ...frame!]);
    expect(z.decode(two, 2 * raw.length).length).toBe(2 * raw.length);
  });

  it('throws on damaged, truncated and oversized frames, then decodes again', async () => {
    const z = await zstdFrames();
    expect(() => z.decode(frame!, raw.length - 1)).toThrow(ZstdError);
    expect(() => z.decode(frame!.subarray(0, frame!.length - 20), raw.length)).toThrow(ZstdError);
    const bad = Uint8Array.from(frame!);
    bad[0]! ^= 0xff; // magic number
    expect(() => z.decode(bad, raw.length)).toThrow(ZstdError);
    expect(() => z.decode(new Uint8Array(0), 10)).toThrow(ZstdError);
    expect(Buffer.compare(z.decode(frame!, raw.length), raw)).toBe(0);
  });
});
