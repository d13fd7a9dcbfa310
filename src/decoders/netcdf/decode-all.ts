/**
 * The NetCDF decode kernel: every value of every data variable, CF-decoded into typed arrays,
 * slab by slab along each variable's first dimension so memory stays bounded for big variables.
 * `inspect` and the decode benchmarks run on this; a work share takes every count-th slab.
 */
import { cfPacking, decodeCfValues, decodesIntoNewArray } from '../cf/packing.js';
import { asDecodeError } from '../errors.js';
import { inShare, type DecodedChunk, type WorkShare } from '../types.js';
import { analyseFile } from './analysis.js';
import type { NcType } from '../cf/variable.js';
import { TYPE_BYTES } from './backend.js';
import { openBackend } from './open.js';
import { breathe } from '../pread.js';

export async function* decodeAll(path: string, share?: WorkShare): AsyncGenerator<DecodedChunk> {
  const { desc } = await analyseFile(path);
  const b = await openBackend(path);
  try {
    let field = 0;
    let scratch = new Uint8Array(0);
    let unit = 0; // work unit: one slab of one variable
    for (const g of desc.groups) {
      for (const info of g.variables) {
        const v = b.variables.find((x) => x.name === info.name)!;
        const p = cfPacking(v);
        const facts = { dtype: p.outType, units: info.units ?? null, dims: v.dims, shape: v.shape, group: g.id };
        const n0 = v.shape[0] ?? 1;
        // Raw values that decode into a new array (packed, integer) are read into one reused buffer.
        const reuse = v.type !== 'char' && v.type !== 'string' && decodesIntoNewArray(v.type, p);
        const slabBytes = reuse ? v.shape.slice(1).reduce((a, s) => a * s, TYPE_BYTES[v.type as Exclude<NcType, 'string'>]) : 0;
        if (slabBytes > scratch.byteLength) scratch = new Uint8Array(slabBytes);
        for (let i = 0; i < n0; i++) {
          if (!inShare(unit++, share)) continue;
          await breathe();
          const raw = await b.read(v.name, v.shape.map((_, d) => (d === 0 ? i : 0)), v.shape.map((s, d) => (d === 0 ? 1 : s)), reuse ? scratch : undefined);
          // NaN marks every masked value, so no validity bitmap is built.
          yield { field, name: v.name, values: decodeCfValues(raw, p), info: facts };
        }
        field++;
      }
    }
  } catch (e) {
    throw asDecodeError(path, e, 'decode failed');
  } finally {
    await b.close();
  }
}
