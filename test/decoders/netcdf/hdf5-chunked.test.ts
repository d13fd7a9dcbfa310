/**
 * The native HDF5 chunk reader against libhdf5 (h5wasm) on the same hyperslabs: every chunked
 * dataset of the fixture written by gen_chunked.py (all widths, both byte orders, edge chunks, a
 * two-level chunk B-tree, an unlimited dimension) and of the corpus. Variables the native reader
 * declines (chunks missing from the index, fletcher32) and contiguous ones (h5wasm) still read
 * equal through HDF5Backend.
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { describe, expect, it } from 'vitest';
import { HDF5Backend, silenceHdf5ErrorStack } from '../../../src/decoders/netcdf/hdf5.js';
import { planChunked, readChunked } from '../../../src/decoders/netcdf/hdf5-chunked.js';
import { Hdf5FormatError, readSuperblock, type ReadAt } from '../../../src/decoders/netcdf/hdf5-format.js';
import { corpusFiles, repoRoot } from '../../support/corpus.js';

const fixture = join(repoRoot, 'test/decoders/netcdf/fixtures/chunked.nc');
const hdf5Files = [fixture, ...corpusFiles('netcdf').map((f) => f.path)];

type Slab = Array<[number, number]>;

/** Whole dataset, then a few windows that cut through chunks. */
function slabs(shape: number[]): Slab[] {
  const out: Slab[] = [shape.map((s) => [0, s])];
  out.push(shape.map((s) => [Math.floor(s / 3), Math.max(Math.floor(s / 3), s - 1)]));
  out.push(shape.map((s, d) => (d === 0 ? [s - 1, s] : [0, s])));
  out.push(shape.map((s) => [s > 2 ? 1 : 0, Math.min(s, 2)]));
  return out;
}

async function withFile<T>(path: string, job: (read: ReadAt, size: number, f: InstanceType<typeof h5wasm.File>) => Promise<T>): Promise<T> {
  // Files libhdf5 refuses are part of the check; its error stack would only fill the test log.
  silenceHdf5ErrorStack(await h5wasm.ready);
  const fh = await open(path, 'r');
  const size = (await fh.stat()).size;
  const f = new h5wasm.File(path, 'r');
  const read: ReadAt = async (p, n, into) => {
    const b = into ? into.subarray(0, n) : new Uint8Array(n);
    await fh.read(b, 0, n, p);
    return b;
  };
  try {
    return await job(read, size, f);
  } finally {
    f.close();
    await fh.close();
  }
}

function datasets(f: InstanceType<typeof h5wasm.File>): string[] {
  const walk = (prefix: string): string[] => {
    const g = prefix ? f.get(prefix) : f;
    return (g as { keys(): string[] }).keys().flatMap((k) => {
      const path = prefix ? `${prefix}/${k}` : k;
      const o = f.get(path);
      return o instanceof h5wasm.Group ? walk(path) : o instanceof h5wasm.Dataset ? [path] : [];
    });
  };
  return walk('');
}

const isHdf5 = (p: string) => /\.(nc|h5)$/.test(p);

describe.each(hdf5Files.filter(isHdf5).map((p) => ({ name: p.split('/').pop()!, path: p })))('native chunks of $name', ({ path }) => {
  it('equal libhdf5 on every chunked deflate/shuffle dataset and window', async () => {
    const native = await withFile(path, async (read, size, f) => {
      let sb;
      try {
        sb = await readSuperblock(read, size);
      } catch (e) {
        expect(e).toBeInstanceOf(Hdf5FormatError);
        return [];
      }
      const done: string[] = [];
      for (const name of datasets(f)) {
        const ds = f.get(name) as InstanceType<typeof h5wasm.Dataset>;
        const meta = ds.metadata;
        if (!meta.chunks || !meta.shape || (meta.type !== 0 && meta.type !== 1)) continue;
        const ref = new Uint8Array(ds.create_reference().ref_data);
        const header = Number(new DataView(ref.buffer).getBigUint64(0, true));
        let plan;
        try {
          plan = await planChunked(read, sb, size, header, { shape: meta.shape.map(Number), elemSize: meta.size, littleEndian: meta.littleEndian, filters: ds.filters.map((x: { id: number }) => ({ id: x.id })) });
        } catch (e) {
          expect(e).toBeInstanceOf(Hdf5FormatError);
          continue;
        }
        for (const slab of slabs(meta.shape.map(Number))) {
          let got: Uint8Array;
          try {
            got = await readChunked(read, sb, plan, slab.map((r) => r[0]), slab.map((r) => r[1] - r[0]));
          } catch (e) {
            expect(e).toBeInstanceOf(Hdf5FormatError); // a chunk not stored: h5wasm fills it
            continue;
          }
          const want = ds.slice(slab) as ArrayBufferView;
          expect(Buffer.from(got).equals(Buffer.from(want.buffer, want.byteOffset, want.byteLength)), `${name} ${JSON.stringify(slab)}`).toBe(true);
        }
        done.push(name);
      }
      return done;
    });
    if (path === fixture) expect(native.sort()).toEqual(['f32_big', 'f64', 'f64_big', 'i16_packed', 'i32_big', 'i64', 'partial', 'rec', 'u8_deflate']);
  });
});

describe('chunk cache', () => {
  it('inflates each chunk once when a variable is read in bands that cut through chunks', async () => {
    await withFile(fixture, async (read, size, f) => {
      const sb = await readSuperblock(read, size);
      const ds = f.get('f32_big') as InstanceType<typeof h5wasm.Dataset>;
      const ref = new Uint8Array(ds.create_reference().ref_data);
      const meta = ds.metadata;
      const plan = await planChunked(read, sb, size, Number(new DataView(ref.buffer).getBigUint64(0, true)), { shape: meta.shape!.map(Number), elemSize: meta.size, littleEndian: meta.littleEndian, filters: [{ id: 2 }, { id: 1 }] });
      const [nt, ny, nx] = meta.shape!.map(Number) as [number, number, number];
      for (let t = 0; t < nt; t++) {
        for (let y0 = 0; y0 < ny; y0 += 3) {
          const rows = Math.min(3, ny - y0);
          const got = await readChunked(read, sb, plan, [t, y0, 0], [1, rows, nx]);
          const want = ds.slice([[t, t + 1], [y0, y0 + rows], [0, nx]]) as Float32Array;
          expect(Buffer.from(got).equals(Buffer.from(want.buffer, want.byteOffset, want.byteLength)), `${t} ${y0}`).toBe(true);
        }
      }
      // Chunks (2, 7, 9) over (5, 30, 40): 3 x 5 x 5 of them, each inflated once.
      expect(plan.inflated).toBe(75);
    });
  });
});

describe('HDF5Backend', () => {
  it('reads every variable equal to libhdf5, natively or through h5wasm', async () => {
    const b = await HDF5Backend.open(fixture);
    try {
      await withFile(fixture, async (_read, _size, f) => {
        for (const v of b.variables) {
          const ds = f.get(v.name) as InstanceType<typeof h5wasm.Dataset>;
          for (const slab of slabs(v.shape)) {
            const got = await b.read(v.name, slab.map((r) => r[0]), slab.map((r) => r[1] - r[0]));
            const want = ds.slice(slab) as ArrayBufferView;
            expect(got.constructor, v.name).toBe(want.constructor);
            expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(want.buffer, want.byteOffset, want.byteLength)), `${v.name} ${JSON.stringify(slab)}`).toBe(true);
          }
        }
      });
    } finally {
      await b.close();
    }
  });
});

describe('block rows', () => {
  it('tell the planner the chunk length along y (the longest when variables differ and no common multiple fits)', async () => {
    const { netcdfDecoder } = await import('../../../src/decoders/netcdf/index.js');
    const desc = await netcdfDecoder.describe(fixture);
    // (t, y, x) variables chunked 2, 1, 3, 3, 1 and 1 along t (their first, "y" dimension here).
    const g = desc.groups.find((x) => x.variables.some((v) => v.name === 'f32_big'))!;
    expect(g.grid.blockRows).toBe(3);
    // (y, x) variables chunked 8, 30 and 11 rows: lcm 1320 > 30 rows, so the longest.
    expect(desc.groups.find((x) => x.variables.some((v) => v.name === 'i32_big'))!.grid.blockRows).toBe(30);
    const classic = await netcdfDecoder.describe(join(repoRoot, 'test/fixtures/netcdf/ref_nctest_classic.nc'));
    expect(classic.groups.every((x) => x.grid.blockRows === undefined)).toBe(true);
  });
});
