/**
 * CF grid mappings (the variable a data variable's `grid_mapping` attribute names) as proj4
 * definitions, so projected x/y grids (polar stereographic ocean products, Lambert regional
 * models, geostationary imagers, UTM scenes) get per-cell latitude/longitude. A `crs_wkt` or
 * GDAL-style `spatial_ref` WKT wins; otherwise the CF `grid_mapping_name` and its parameters
 * (CF conventions, appendix F). Unknown mappings give null: x/y stay, lat/lon are not invented.
 */
import { attrNumber, attrNumbers, attrString, type NcVariable } from './variable.js';

export interface Projection {
  /** proj4 definition (or WKT) of the x/y coordinates, in metres. */
  def: string;
  /** Factor from the x/y coordinate values to metres (km grids, geostationary scan angles). */
  scale: number;
}

function ellipsoid(gm: NcVariable): string {
  const a = attrNumber(gm.attrs.semi_major_axis);
  const b = attrNumber(gm.attrs.semi_minor_axis);
  const rf = attrNumber(gm.attrs.inverse_flattening);
  const r = attrNumber(gm.attrs.earth_radius);
  if (a && rf) return `+a=${a} +rf=${rf}`;
  if (a && b) return `+a=${a} +b=${b}`;
  if (r) return `+a=${r} +b=${r}`;
  return '+datum=WGS84';
}

function unitScale(units: string | undefined): number | null {
  const u = (units ?? 'm').trim().toLowerCase();
  if (['m', 'metre', 'meter', 'metres', 'meters', '1'].includes(u)) return 1;
  if (['km', 'kilometre', 'kilometer', 'kilometres', 'kilometers'].includes(u)) return 1000;
  return null;
}

/** The projection of a grid mapping variable for x/y coordinates in `units`; null when unknown. */
export function gridMappingProjection(gm: NcVariable, xUnits: string | undefined): Projection | null {
  const a = gm.attrs;
  const wkt = attrString(a.crs_wkt) ?? attrString(a.spatial_ref);
  const name = (attrString(a.grid_mapping_name) ?? '').toLowerCase();
  const n = (k: string, d = 0) => attrNumber(a[k]) ?? d;
  const fe = n('false_easting');
  const fn = n('false_northing');
  const ell = ellipsoid(gm);
  if (name === 'geostationary') {
    // x/y are scan angles in radians: times the satellite height they are the projection's metres.
    const h = n('perspective_point_height');
    const sweep = (attrString(a.sweep_angle_axis) ?? 'y').trim();
    if (!(h > 0)) return null;
    return { def: `+proj=geos +lon_0=${n('longitude_of_projection_origin')} +h=${h} +x_0=${fe} +y_0=${fn} +sweep=${sweep} ${ell} +units=m +no_defs`, scale: h };
  }
  const scale = unitScale(xUnits);
  if (scale === null) return null;
  if (wkt && /^\s*(PROJCS|PROJCRS)\[/i.test(wkt)) return { def: wkt, scale };
  switch (name) {
    case 'polar_stereographic': {
      const lat0 = n('latitude_of_projection_origin', 90);
      const lon0 = attrNumber(a.straight_vertical_longitude_from_pole) ?? n('longitude_of_projection_origin');
      const ts = attrNumber(a.standard_parallel);
      const k = attrNumber(a.scale_factor_at_projection_origin);
      return { def: `+proj=stere +lat_0=${lat0} +lon_0=${lon0} ${ts !== undefined ? `+lat_ts=${ts}` : `+k=${k ?? 1}`} +x_0=${fe} +y_0=${fn} ${ell} +units=m +no_defs`, scale };
    }
    case 'lambert_conformal_conic': {
      const sp = attrNumbers(a.standard_parallel);
      const lat1 = sp[0] ?? n('latitude_of_projection_origin');
      const lat2 = sp[1] ?? lat1;
      return { def: `+proj=lcc +lat_1=${lat1} +lat_2=${lat2} +lat_0=${n('latitude_of_projection_origin')} +lon_0=${n('longitude_of_central_meridian')} +x_0=${fe} +y_0=${fn} ${ell} +units=m +no_defs`, scale };
    }
    case 'transverse_mercator':
      return { def: `+proj=tmerc +lat_0=${n('latitude_of_projection_origin')} +lon_0=${n('longitude_of_central_meridian')} +k=${n('scale_factor_at_central_meridian', 1)} +x_0=${fe} +y_0=${fn} ${ell} +units=m +no_defs`, scale };
    case 'lambert_azimuthal_equal_area':
      return { def: `+proj=laea +lat_0=${n('latitude_of_projection_origin')} +lon_0=${n('longitude_of_projection_origin')} +x_0=${fe} +y_0=${fn} ${ell} +units=m +no_defs`, scale };
    case 'mercator': {
      const ts = attrNumber(a.standard_parallel);
      return { def: `+proj=merc +lon_0=${n('longitude_of_projection_origin')} ${ts !== undefined ? `+lat_ts=${ts}` : `+k=${n('scale_factor_at_projection_origin', 1)}`} +x_0=${fe} +y_0=${fn} ${ell} +units=m +no_defs`, scale };
    }
    default:
      return null;
  }
}

/**
 * Whether a grid mapping says its grid is geographic (CF `latitude_longitude`, or a WKT of a
 * geographic CRS such as GDAL's EPSG:4326 `spatial_ref`): then the grid's 1-D axes are latitude
 * and longitude even when their own attributes do not say so.
 */
export function isGeographicMapping(gm: NcVariable): boolean {
  if ((attrString(gm.attrs.grid_mapping_name) ?? '').trim().toLowerCase() === 'latitude_longitude') return true;
  const wkt = (attrString(gm.attrs.crs_wkt) ?? attrString(gm.attrs.spatial_ref) ?? '').trim();
  return /^(GEOGCS|GEOGCRS|GEOGRAPHICCRS|GEODCRS)\s*\[/i.test(wkt);
}
