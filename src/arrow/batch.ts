/**
 * Wraps decoder output (plain typed arrays) into Arrow schemas and record batches without
 * copying: every column's values array becomes the Arrow buffer as-is.
 */
import {
  DataType,
  Field,
  FixedSizeList,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  Int8,
  RecordBatch,
  Schema,
  Struct,
  TimestampMicrosecond,
  Uint16,
  Uint32,
  Uint8,
  Utf8,
  makeData,
} from 'apache-arrow';
import type { ColumnBatch, ColumnSpec, ColumnType } from '../decoders/types.js';
import { popcount, sliceBitmap } from '../decoders/validity.js';

export { popcount, sliceBitmap };

export function arrowType(type: ColumnType, listSize = 0): DataType {
  switch (type) {
    case 'float32_list':
      return new FixedSizeList(listSize, new Field('item', new Float32(), true));
    case 'float32':
      return new Float32();
    case 'float64':
      return new Float64();
    case 'int8':
      return new Int8();
    case 'int16':
      return new Int16();
    case 'int32':
      return new Int32();
    case 'int64':
      return new Int64();
    case 'uint8':
      return new Uint8();
    case 'uint16':
      return new Uint16();
    case 'uint32':
      return new Uint32();
    case 'timestamp_us':
      return new TimestampMicrosecond('UTC');
    case 'utf8':
      return new Utf8();
  }
}

export function schemaFor(columns: ColumnSpec[], metadata: Record<string, string> = {}): Schema {
  const fields = columns.map(
    (c) => new Field(c.name, arrowType(c.type, c.listSize), c.nullable, new Map(Object.entries(c.metadata ?? {}))),
  );
  return new Schema(fields, new Map(Object.entries(metadata)));
}

/** Builds one Arrow record batch over the batch's buffers (zero-copy). Columns must match the schema order. */
export function toRecordBatch(schema: Schema, batch: ColumnBatch): RecordBatch {
  if (batch.columns.length !== schema.fields.length) {
    throw new Error(
      `batch has ${batch.columns.length} columns but schema has ${schema.fields.length} (${schema.fields.map((f) => f.name).join(', ')})`,
    );
  }
  const children = schema.fields.map((field, i) => {
    const col = batch.columns[i]!;
    if (col.name !== field.name) throw new Error(`column ${i} is ${col.name}, schema expects ${field.name}`);
    if (field.type instanceof FixedSizeList) {
      const size = field.type.listSize;
      if (col.values.length !== batch.numRows * size) {
        throw new Error(`list column ${col.name} has ${col.values.length} values for ${batch.numRows} rows of ${size}`);
      }
      const child = makeData({ type: new Float32(), length: col.values.length, nullCount: 0, data: col.values as Float32Array });
      return makeData({ type: field.type, length: batch.numRows, nullCount: 0, child });
    }
    if (field.type instanceof Utf8) {
      if (!col.offsets || col.offsets.length !== batch.numRows + 1) throw new Error(`text column ${col.name} needs ${batch.numRows + 1} offsets`);
      return makeData({ type: field.type, length: batch.numRows, nullCount: col.nullCount, nullBitmap: col.nullCount > 0 ? col.validity : undefined, valueOffsets: col.offsets, data: col.values as Uint8Array });
    }
    if (col.values.length !== batch.numRows) {
      throw new Error(`column ${col.name} has ${col.values.length} values for ${batch.numRows} rows`);
    }
    return makeData({
      type: field.type,
      length: batch.numRows,
      nullCount: col.nullCount,
      nullBitmap: col.nullCount > 0 ? col.validity : undefined,
      data: col.values,
    } as Parameters<typeof makeData>[0]);
  });
  const struct = makeData({ type: new Struct(schema.fields), length: batch.numRows, nullCount: 0, children });
  return new RecordBatch(schema, struct);
}

/** Row-range view of a column batch (typed-array subarrays, validity re-based when needed). */
export function sliceBatch(batch: ColumnBatch, start: number, end: number): ColumnBatch {
  return {
    numRows: end - start,
    columns: batch.columns.map((c) => {
      if (c.offsets) throw new Error(`text column ${c.name} cannot be sliced`); // built per message (bridge/union.ts)
      // List columns hold several values per row.
      const per = c.values.length / Math.max(1, batch.numRows);
      if (per !== 1 && batch.numRows > 0) return { name: c.name, values: c.values.subarray(start * per, end * per), nullCount: 0 };
      if (!c.validity || c.nullCount === 0) return { name: c.name, values: c.values.subarray(start, end), nullCount: 0 };
      const { bitmap, nullCount } = sliceBitmap(c.validity, start, end);
      return { name: c.name, values: c.values.subarray(start, end), validity: bitmap, nullCount };
    }),
  };
}

/** Bytes one row occupies in the given columns (for sizing batches by bytes). */
export function rowBytes(columns: ColumnSpec[]): number {
  let b = 0;
  for (const c of columns) b += c.type === 'float32_list' ? 4 * (c.listSize ?? 1) : BYTES[c.type];
  return b;
}

const BYTES: Record<Exclude<ColumnType, 'float32_list'>, number> = {
  float32: 4,
  float64: 8,
  int8: 1,
  int16: 2,
  int32: 4,
  int64: 8,
  uint8: 1,
  uint16: 2,
  uint32: 4,
  timestamp_us: 8,
  utf8: 16, // an estimate: level type names
};
