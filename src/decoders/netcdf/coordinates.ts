/**
 * Coordinate values a group description needs (describe time, never per read): CF time axes as
 * epoch microseconds, and coordinate variables after CF unpacking (GOES stores its x/y scan
 * angles as scaled int16; some files pack lat/lon or levels).
 */
import { cfPacking, decodeCf } from '../cf/packing.js';
import { cfToEpochMicros, CfTimeError, parseTimeUnits } from '../cf/time.js';
import { attrString, type NcVariable } from '../cf/variable.js';
import { DecodeError } from '../errors.js';
import type { ColumnSpec } from '../types.js';
import type { NcBackend } from './backend.js';

async function readWhole(b: NcBackend, v: NcVariable): Promise<number[]> {
  const arr = await b.read(v.name, v.shape.map(() => 0), v.shape);
  return Array.from(arr as ArrayLike<number | bigint>, Number);
}

/** A coordinate variable's values after CF packing. */
export async function readCoordinate(b: NcBackend, v: NcVariable): Promise<Float64Array> {
  const p = cfPacking(v);
  if (p.scale === undefined && p.offset === undefined) return Float64Array.from(await readWhole(b, v));
  return Float64Array.from(decodeCf(await b.read(v.name, v.shape.map(() => 0), v.shape), p).values);
}

export interface TimeAxis {
  /** Epoch microseconds per time index. */
  times: number[];
  /**
   * The original CF values, kept when the calendar has dates no real calendar has (noleap,
   * all_leap, 360_day): `time` maps them deterministically (see cf/time.ts), `time_value` keeps them.
   */
  raw?: number[];
}

/** Decodes a CF time coordinate to epoch microseconds and declares the `time` (and `time_value`) columns. */
export async function timeAxis(b: NcBackend, timeVar: NcVariable, coordinates: ColumnSpec[], metadata: Record<string, string>): Promise<TimeAxis> {
  const units = attrString(timeVar.attrs.units) ?? '';
  const calendar = attrString(timeVar.attrs.calendar);
  let times: number[];
  let raw: number[];
  let model: boolean;
  try {
    const u = parseTimeUnits(units, calendar);
    raw = await readWhole(b, timeVar);
    times = raw.map((x) => cfToEpochMicros(x, u));
    model = u.calendar === 'noleap' || u.calendar === 'all_leap' || u.calendar === '360_day';
  } catch (e) {
    if (e instanceof CfTimeError) throw new DecodeError('UNSUPPORTED', b.path, `time variable ${timeVar.name}: ${e.message}`);
    throw e;
  }
  coordinates.push({ name: 'time', type: 'timestamp_us', nullable: false, metadata: { source: timeVar.name, units, calendar: calendar ?? 'standard' } });
  if (model) {
    coordinates.push({ name: 'time_value', type: 'float64', nullable: false, metadata: { source: timeVar.name, units, calendar: calendar!, description: `original time value: ${units} in the ${calendar} calendar` } });
  }
  metadata['time.variable'] = timeVar.name;
  return model ? { times, raw } : { times };
}
