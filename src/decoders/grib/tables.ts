/**
 * Parameter and level names, from tables kept as data (tables/*.json): GRIB2 WMO discipline/
 * category/number (with ECMWF's level-specific names such as 2t), GRIB1 parameter tables by
 * table version. Unknown parameters get stable names: param_D_C_N (GRIB2), param_T_N (GRIB1).
 */
import grib1Params from './tables/grib1-params.json' with { type: 'json' };
import grib2Params from './tables/grib2-params.json' with { type: 'json' };
import levelTypes from './tables/level-types.json' with { type: 'json' };

type Entry = [shortName: string, name: string, units: string];

interface ParamQuery {
  edition: 1 | 2;
  discipline?: number;
  category?: number;
  number: number;
  table2Version?: number;
  centre: number;
  constituent?: number;
  levelCode: number;
  level: number;
}

const g2 = grib2Params as unknown as Record<string, Entry>;
const g1 = grib1Params as unknown as Record<string, Entry>;
const levels = levelTypes as unknown as { grib1: Record<string, string>; grib2: Record<string, string>; grib2Layers: Record<string, string>; grib2Pairs: Record<string, string> };

/**
 * Keys tried from most to least specific: with constituent type (CAMS), with level type and
 * value (ECMWF's 2t = temperature at 2 m above ground), with level type, then plain.
 */
export function parameterInfo(q: ParamQuery): { shortName: string; name: string; units: string } {
  if (q.edition === 2) {
    const base = `${q.discipline}.${q.category}.${q.number}`;
    const keys = [
      q.constituent !== undefined && q.constituent >= 0 ? `${base}:c${q.constituent}` : '',
      `${base}@${q.levelCode}=${q.level}`,
      `${base}@${q.levelCode}`,
      base,
    ];
    for (const k of keys) {
      const e = k && g2[k];
      if (e) return { shortName: e[0], name: e[1], units: e[2] };
    }
    return { shortName: `param_${q.discipline}_${q.category}_${q.number}`, name: `discipline ${q.discipline} category ${q.category} number ${q.number}`, units: 'unknown' };
  }
  const t = q.table2Version!;
  // ECMWF centre tables are shared by all centres using them; WMO versions 1-3 are the standard table.
  const table = t <= 3 ? 'wmo' : String(t);
  const e = g1[`${table}.${q.number}@${q.levelCode}`] ?? g1[`${table}.${q.number}`];
  if (e) return { shortName: e[0], name: e[1], units: e[2] };
  return { shortName: `param_${t}_${q.number}`, name: `table ${t} parameter ${q.number}`, units: 'unknown' };
}

export function levelTypeName(edition: 1 | 2, code: number, secondCode: number): string {
  if (edition === 1) return levels.grib1[String(code)] ?? `levelType${code}`;
  const pair = levels.grib2Pairs[`${code}-${secondCode}`];
  if (pair) return pair;
  if (secondCode === code && secondCode !== 255) {
    const layer = levels.grib2Layers[String(code)];
    if (layer) return layer;
  }
  return levels.grib2[String(code)] ?? `levelType${code}`;
}
