import { describe, expect, it } from 'vitest';
import { popcount, rowBytes, schemaFor, sliceBatch, sliceBitmap, toRecordBatch } from '../../src/arrow/batch.js';
import type { ColumnBatch } from '../../src/decoders/types.js';

describe('zero-copy Arrow batches', () => {
  it('wraps typed arrays without copying and keeps nulls', () => {
    const values = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const validity = new Uint8Array([0b11111101, 0b1]);
    const schema = schemaFor([{ name: 'v', type: 'float32', nullable: true }]);
    const rb = toRecordBatch(schema, { numRows: 9, columns: [{ name: 'v', values, validity, nullCount: 1 }] });
    expect(rb.getChild('v')!.data[0]!.values).toBe(values);
    expect(rb.getChild('v')!.toArray().length).toBe(9);
    expect(rb.getChild('v')!.get(1)).toBeNull();
    expect(rb.getChild('v')!.get(8)).toBe(9);
  });

  it('refuses batches that do not match the schema', () => {
    const schema = schemaFor([{ name: 'a', type: 'float64', nullable: false }]);
    expect(() => toRecordBatch(schema, { numRows: 2, columns: [{ name: 'b', values: new Float64Array(2), nullCount: 0 }] })).toThrow(/column 0 is b/);
    expect(() => toRecordBatch(schema, { numRows: 3, columns: [{ name: 'a', values: new Float64Array(2), nullCount: 0 }] })).toThrow(/2 values for 3 rows/);
  });

  it('slices validity bitmaps at any offset and recounts nulls', () => {
    const bm = new Uint8Array([0b10101010, 0b11110000, 0b00001111]);
    for (const [s, e] of [[0, 24], [8, 16], [3, 19], [1, 2], [7, 23]] as const) {
      const { bitmap, nullCount } = sliceBitmap(bm, s, e);
      let nulls = 0;
      for (let i = s; i < e; i++) {
        const expected = (bm[i >> 3]! >> (i & 7)) & 1;
        expect((bitmap[(i - s) >> 3]! >> ((i - s) & 7)) & 1).toBe(expected);
        if (!expected) nulls++;
      }
      expect(nullCount).toBe(nulls);
    }
    expect(popcount(new Uint8Array([0xff, 0x0f]), 12)).toBe(12);
  });

  it('slices batches as views', () => {
    const a = new Float64Array(100).map((_, i) => i);
    const b: ColumnBatch = { numRows: 100, columns: [{ name: 'a', values: a, nullCount: 0 }] };
    const s = sliceBatch(b, 16, 40);
    expect(s.numRows).toBe(24);
    expect(s.columns[0]!.values.buffer).toBe(a.buffer);
    expect(s.columns[0]!.values[0]).toBe(16);
    expect(rowBytes([{ name: 't', type: 'timestamp_us', nullable: false }, { name: 'v', type: 'float32', nullable: true }])).toBe(12);
  });
});
