/**
 * CF coordinate detection: which dimension of a variable is time, vertical, latitude or
 * longitude, from its coordinate variable's `axis`, `standard_name`, `units` and `positive`
 * attributes (names are only a last hint, since "x"/"y" are often projected metres).
 */
import { attrString, type NcVariable } from './variable.js';
import { isTimeUnits } from './time.js';

export type AxisRole = 'time' | 'level' | 'lat' | 'lon' | 'other';

const LAT_UNITS = /^degrees?_?n(orth)?$/i;
const LON_UNITS = /^degrees?_?e(ast)?$/i;
const LEVEL_STD = /^(air_pressure|depth|height|altitude|model_level_number|atmosphere_.*coordinate|ocean_.*coordinate|pressure)$/i;
const LEVEL_UNITS = /^(pa|hpa|kpa|mb|mbar|millibars?|bar|dbar|decibar)$/i;
const LEVEL_NAMES = /^(level|lev|plev|pressure|isobaricinhpa|depth|height|altitude|z)$/i;

export function axisRole(coord: NcVariable | undefined, dimName: string): AxisRole {
  if (!coord) return 'other';
  const a = coord.attrs;
  const axis = (attrString(a.axis) ?? '').toUpperCase();
  const std = attrString(a.standard_name) ?? '';
  const units = (attrString(a.units) ?? '').trim();
  if (axis === 'T' || std === 'time' || isTimeUnits(units)) return 'time';
  // Plain "degrees" says latitude/longitude only together with the axis's exact name (common, not CF).
  const degrees = /^degrees?$/i.test(units);
  const latName = axis === 'Y' ? /^lat/i : degrees ? /^lat(itude)?$/i : null;
  const lonName = axis === 'X' ? /^lon/i : degrees ? /^lon(gitude)?$/i : null;
  if (std === 'latitude' || LAT_UNITS.test(units) || latName?.test(dimName)) return 'lat';
  if (std === 'longitude' || LON_UNITS.test(units) || lonName?.test(dimName)) return 'lon';
  if (axis === 'Z' || attrString(a.positive) !== undefined || LEVEL_STD.test(std) || LEVEL_UNITS.test(units) || LEVEL_NAMES.test(dimName)) return 'level';
  return 'other';
}

/** The coordinate variable of a dimension: 1-D, same name as the dimension. */
export function coordinateVariable(vars: NcVariable[], dim: string): NcVariable | undefined {
  return vars.find((v) => v.name === dim && v.dims.length === 1 && v.dims[0] === dim);
}
