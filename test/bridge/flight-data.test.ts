import { describe, expect, it } from 'vitest';
import { MessageReader, RecordBatchReader, tableToIPC, Table } from 'apache-arrow';
import { schemaFor, toRecordBatch } from '../../src/arrow/batch.js';
import {
  decodeFlightData,
  encodeFlightData,
  flightDataToIpc,
  ipcSchemaBytes,
  parseIpcSchema,
  recordBatchParts,
  schemaHeader,
} from '../../src/bridge/flight-data.js';
import type { ColumnBatch, ColumnSpec } from '../../src/decoders/types.js';

const columns: ColumnSpec[] = [
  { name: 'time', type: 'timestamp_us', nullable: false },
  { name: 'lat', type: 'float64', nullable: false },
  { name: 't2m', type: 'float32', nullable: true, metadata: { units: 'K' } },
];

function sample(n: number): ColumnBatch {
  const time = new BigInt64Array(n).map((_, i) => 1_700_000_000_000_000n + BigInt(i) * 3_600_000_000n);
  const lat = new Float64Array(n).map((_, i) => -90 + (i % 181));
  const t2m = new Float32Array(n).map((_, i) => 250 + i * 0.25);
  const validity = new Uint8Array((n + 7) >> 3).fill(0xff);
  validity[0] = 0b11111010; // rows 0 and 2 missing
  return {
    numRows: n,
    columns: [
      { name: 'time', values: time, nullCount: 0 },
      { name: 'lat', values: lat, nullCount: 0 },
      { name: 't2m', values: t2m, validity, nullCount: 2 },
    ],
  };
}

async function* messages(list: Buffer[]) {
  for (const m of list) yield decodeFlightData(m);
}

describe('FlightData framing', () => {
  it('round-trips a schema and record batch through our encoder, the IPC re-framer and Arrow JS', async () => {
    const schema = schemaFor(columns, { source: 'test' });
    const batch = toRecordBatch(schema, sample(1000));
    const wire = [encodeFlightData({ header: schemaHeader(schema) }), encodeFlightData(recordBatchParts(batch))];
    const reader = await RecordBatchReader.from(flightDataToIpc(messages(wire)));
    const batches = [];
    for await (const b of reader) batches.push(b);
    const table = new Table(batches);
    expect(table.numRows).toBe(1000);
    expect(table.schema.fields.map((f) => f.name)).toEqual(['time', 'lat', 't2m']);
    expect(table.schema.metadata.get('source')).toBe('test');
    expect(table.schema.fields[2]!.metadata.get('units')).toBe('K');
    const t2m = table.getChild('t2m')!;
    expect(t2m.get(0)).toBeNull();
    expect(t2m.get(1)).toBe(250.25);
    expect(t2m.get(2)).toBeNull();
    expect(t2m.get(999)).toBe(250 + 999 * 0.25);
    expect(table.getChild('time')!.data[0]!.values[5]).toBe(1_700_000_000_000_000n + 5n * 3_600_000_000n);
  });

  it('writes header and body bytes identical to the Arrow JS IPC stream writer', () => {
    const schema = schemaFor(columns);
    const batch = toRecordBatch(schema, sample(333));
    const ipc = tableToIPC(new Table([batch]), 'stream');
    const reader = new MessageReader(ipc);
    reader.readMessage(); // schema
    const msg = reader.readMessage()!;
    const expectedBody = reader.readMessageBody(msg.bodyLength);
    const decoded = decodeFlightData(encodeFlightData(recordBatchParts(batch)));
    expect(Buffer.from(decoded.body!)).toEqual(Buffer.from(expectedBody));
    // The header re-parsed must describe the same lengths and buffers.
    const fromOurs = new MessageReader(flightPrefix(decoded.header!)).readMessage()!;
    expect(fromOurs.bodyLength).toBe(msg.bodyLength);
    expect(fromOurs.header().length).toBe(333);
  });

  it('uses the protobuf field numbers of Flight.proto (header 2, app_metadata 3, body 1000)', () => {
    const wire = encodeFlightData({ header: new Uint8Array([1, 2, 3]), appMetadata: new Uint8Array([9]), body: [[0, new Uint8Array([7, 7])]], bodyLength: 8 });
    expect([...wire.subarray(0, 5)]).toEqual([0x12, 3, 1, 2, 3]);
    expect([...wire.subarray(5, 8)]).toEqual([0x1a, 1, 9]);
    expect([...wire.subarray(8, 11)]).toEqual([0xc2, 0x3e, 8]);
    expect([...wire.subarray(11)]).toEqual([7, 7, 0, 0, 0, 0, 0, 0]);
    const d = decodeFlightData(wire);
    expect([...d.header!]).toEqual([1, 2, 3]);
    expect([...d.appMetadata!]).toEqual([9]);
    expect(d.body!.length).toBe(8);
  });

  it('encodes large lengths as multi-byte varints', () => {
    const body = new Uint8Array(300_000).fill(5);
    const d = decodeFlightData(encodeFlightData({ header: new Uint8Array(200), body: [[0, body]], bodyLength: 300_000 }));
    expect(d.header!.length).toBe(200);
    expect(d.body!.length).toBe(300_000);
    expect(d.body![299_999]).toBe(5);
  });

  it('rejects truncated FlightData with a clear error', () => {
    const wire = encodeFlightData({ header: new Uint8Array(50) });
    expect(() => decodeFlightData(wire.subarray(0, 20))).toThrow(/overruns/);
  });

  it('frames FlightInfo schemas as IPC-encapsulated messages', () => {
    const schema = schemaFor(columns);
    const bytes = ipcSchemaBytes(schema);
    expect(new DataView(bytes.buffer).getInt32(0, true)).toBe(-1);
    expect(new DataView(bytes.buffer).getInt32(4, true) % 8).toBe(0);
    expect(parseIpcSchema(bytes).fields.map((f) => String(f.type))).toEqual(['Timestamp<MICROSECOND, UTC>', 'Float64', 'Float32']);
  });
});

function flightPrefix(header: Uint8Array): Uint8Array {
  const padded = (header.byteLength + 7) & ~7;
  const out = new Uint8Array(8 + padded);
  new DataView(out.buffer).setInt32(0, -1, true);
  new DataView(out.buffer).setInt32(4, padded, true);
  out.set(header, 8);
  return out;
}
