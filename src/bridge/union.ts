/**
 * One schema over several variable groups, so that a dataset-level read (a Spark table, a SQL
 * query over a dataset) holds every field instead of the first group found: coordinates and
 * variables of all groups in one column list, a `level_type` column when the groups' level types
 * differ, and nulls in a row for what its group does not have. Each partition still decodes one
 * group; its batches are widened to the union here, on the main thread, after the exact row
 * filter (so the decoders and the partition cache never see union columns).
 */
import type { ColumnData, ColumnSpec, ColumnType, VariableGroup } from '../decoders/types.js';
import type { ColumnBatch } from '../decoders/types.js';
import { emptyBitmap } from '../decoders/validity.js';
import { PlanError } from '../partitioner/plan.js';
import { quote } from '../text/quote.js';

export const LEVEL_TYPE = 'level_type';

/** A group's output columns (coordinates, then its variables), as `columnsFor` gives them. */
export interface GroupColumns {
  group: VariableGroup;
  columns: ColumnSpec[];
}

/**
 * Union of the groups' columns: coordinates in order of first appearance, then `level_type`
 * when level types differ, then the variables in request order. A column that is not in every
 * group becomes nullable. Two groups giving one name two types cannot share a column: the error
 * lists the groups so the caller can pick one with "group".
 */
export function unionColumns(parts: GroupColumns[], variables: string[]): ColumnSpec[] {
  if (parts.length === 1) return parts[0]!.columns;
  const levelTypes = new Set(parts.map((p) => p.group.metadata?.typeOfLevel ?? ''));
  const coords = new Map<string, ColumnSpec>();
  const vars = new Map<string, ColumnSpec>();
  const owner = new Map<string, string>();
  for (const { group, columns } of parts) {
    for (const c of columns) {
      const into = c.metadata?.['wekeo.role'] === 'variable' ? vars : coords;
      const seen = into.get(c.name);
      if (!seen) {
        into.set(c.name, { ...c, metadata: { ...(c.metadata ?? {}) } });
        owner.set(c.name, group.id);
      } else if (seen.type !== c.type) {
        throw new PlanError(
          `column ${quote(c.name)} is ${seen.type} in group ${quote(owner.get(c.name)!)} but ${c.type} in group ${quote(group.id)}: they cannot share a schema; pick one with "group"`,
        );
      }
    }
  }
  for (const c of [...coords.values(), ...vars.values()]) {
    if (!parts.every((p) => p.columns.some((x) => x.name === c.name) || (c.name === 'level' && numericLevel(p.group) !== null))) c.nullable = true;
  }
  const out = [...coords.values()];
  if (levelTypes.size > 1) {
    // The level column's typeOfLevel would describe only the first group.
    const level = coords.get('level');
    if (level?.metadata) delete level.metadata.typeOfLevel;
    out.push({ name: LEVEL_TYPE, type: 'utf8', nullable: true, metadata: { description: "level type of the row's variable group (GRIB typeOfLevel)", 'wekeo.role': 'coordinate' } });
  }
  for (const v of variables) {
    const c = vars.get(v);
    if (c) out.push(c);
  }
  return out;
}

/** The single level of a group without a level axis (GRIB metadata `level`), or null. */
function numericLevel(g: VariableGroup): number | null {
  const v = g.metadata?.level;
  if (v === undefined || v === '' || v === 'axis') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/**
 * Widens one batch of `group` to the union columns: its own columns as they are (no copy),
 * `level_type` and a single level filled from the group, nulls for everything else.
 */
export function widenBatch(batch: ColumnBatch, group: VariableGroup, union: ColumnSpec[]): ColumnBatch {
  const own = new Map(batch.columns.map((c) => [c.name, c]));
  const rows = batch.numRows;
  return {
    numRows: rows,
    columns: union.map((spec) => {
      const c = own.get(spec.name);
      if (c) return c;
      if (spec.name === LEVEL_TYPE && group.metadata?.typeOfLevel) return constantText(spec.name, group.metadata.typeOfLevel, rows);
      const level = spec.name === 'level' ? numericLevel(group) : null;
      if (level !== null && spec.type === 'float64') return { name: spec.name, values: new Float64Array(rows).fill(level), nullCount: 0 };
      return nullColumn(spec.name, spec.type, rows);
    }),
  };
}

function constantText(name: string, text: string, rows: number): ColumnData {
  const bytes = Buffer.from(text, 'utf8');
  const values = new Uint8Array(bytes.length * rows);
  const offsets = new Int32Array(rows + 1);
  for (let i = 0; i < rows; i++) {
    values.set(bytes, i * bytes.length);
    offsets[i + 1] = (i + 1) * bytes.length;
  }
  return { name, values, offsets, nullCount: 0 };
}

function nullColumn(name: string, type: ColumnType, rows: number): ColumnData {
  const validity = emptyBitmap(rows);
  switch (type) {
    case 'utf8':
      return { name, values: new Uint8Array(0), offsets: new Int32Array(rows + 1), validity, nullCount: rows };
    case 'timestamp_us':
    case 'int64':
      return { name, values: new BigInt64Array(rows), validity, nullCount: rows };
    case 'float32_list':
      throw new PlanError(`list column ${quote(name)} cannot be null-filled`);
    default:
      return { name, values: new TYPED[type](rows), validity, nullCount: rows };
  }
}

const TYPED = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
} as const;
