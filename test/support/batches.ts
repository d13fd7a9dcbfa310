import type { ColumnBatch } from '../../src/decoders/types.js';

/** The value of `column` at `row` counted across batches (null where the validity bitmap says missing). */
export function valueAt(batches: ColumnBatch[], column: string, row: number): number | null {
  for (const b of batches) {
    if (row < b.numRows) {
      const c = b.columns.find((x) => x.name === column)!;
      if (c.validity && !(c.validity[row >> 3]! & (1 << (row & 7)))) return null;
      return Number(c.values[row]);
    }
    row -= b.numRows;
  }
  throw new Error(`row out of range for ${column}`);
}
