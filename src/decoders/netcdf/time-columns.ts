/**
 * The `time` (and `time_value`) columns of a batch: every row of a batch has the same time step,
 * so each column is one value repeated (one BigInt conversion per batch, not per row).
 */
import { uninitialisedBigInt64, uninitialisedFloat64 } from '../cf/buffers.js';
import type { ColumnData } from '../types.js';
import type { Grouping } from './layout.js';

export function timeColumns(g: Grouping, ti: number, rows: number): ColumnData[] {
  const out: ColumnData[] = [{ name: 'time', values: uninitialisedBigInt64(rows).fill(BigInt(g.group.times[ti]!)), nullCount: 0 }];
  if (g.rawTimes) out.push({ name: 'time_value', values: uninitialisedFloat64(rows).fill(g.rawTimes[ti]!), nullCount: 0 });
  return out;
}
