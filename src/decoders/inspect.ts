/**
 * `inspect` for every format: statistics per field over the chunks `decodeAll` yields, so the
 * decode kernel is written once per format and the report shape once for all.
 */
import { StatsAccumulator } from './stats.js';
import type { DecodedChunk, InspectReport } from './types.js';

export async function inspectChunks(format: string, chunks: AsyncIterable<DecodedChunk>): Promise<InspectReport> {
  const fields = new Map<number, { name: string; acc: StatsAccumulator; info: Record<string, unknown> }>();
  for await (const c of chunks) {
    let f = fields.get(c.field);
    if (!f) fields.set(c.field, (f = { name: c.name, acc: new StatsAccumulator(), info: {} }));
    if (c.info) Object.assign(f.info, c.info);
    f.acc.add(c.values, c.validity);
  }
  return { format, fields: [...fields].sort((a, b) => a[0] - b[0]).map(([, f]) => f.acc.toStats(f.name, f.info)) };
}
