"""Reference latitude/longitude of cells of projected NetCDF grids (CF grid_mapping or GDAL WKT),
computed by GDAL/PROJ through GDAL's netCDF driver: the cell centre from GDAL's geotransform,
transformed to WGS 84. Writes test/fixtures/netcdf/projected-latlon.oracle.json.
Needs python3-gdal and python3-netcdf4 (Debian). Run: /usr/bin/python3 scripts/gen-netcdf-projected-oracle.py
"""
import json
import math
import pathlib

import netCDF4
from osgeo import gdal, osr

root = pathlib.Path(__file__).resolve().parents[1]
corpus = root.parent / "shared" / "corpus" / "netcdf"
fixtures = root / "test" / "fixtures" / "netcdf"
FILES = [(corpus / "PLANET_SCOPE_3D.nc", "blue"), (corpus / "20171025_2056.Cloud_Top_Height.nc", "HT"), (fixtures / "polar_stereographic.nc", "siconc")]

wgs84 = osr.SpatialReference()
wgs84.ImportFromEPSG(4326)
wgs84.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
out = {}
for path, var in FILES:
    if not path.exists():
        continue
    ds = gdal.Open(f'NETCDF:"{path}":{var}')
    gt = ds.GetGeoTransform()
    srs = osr.SpatialReference(wkt=ds.GetProjection())
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    tr = osr.CoordinateTransformation(srs, wgs84)
    nc = netCDF4.Dataset(path)
    v = nc[var]
    ydim, xdim = v.dimensions[-2:]
    ys = nc[ydim][:]
    ny, nx = len(ys), len(nc[xdim][:])
    points = []
    for r, c in [(0, 0), (ny // 4, 3 * nx // 4), (ny // 2, nx // 2), (3 * ny // 4, nx // 4), (ny - 1, nx - 1)]:
        # GDAL shows rows north-up: file row r is GDAL row r when y decreases, else ny-1-r.
        gr = r if ys[-1] < ys[0] else ny - 1 - r
        x = gt[0] + (c + 0.5) * gt[1] + (gr + 0.5) * gt[2]
        y = gt[3] + (c + 0.5) * gt[4] + (gr + 0.5) * gt[5]
        lon, lat, _ = tr.TransformPoint(x, y)
        if math.isfinite(lat) and abs(lat) <= 90:
            points.append({"row": r, "col": c, "lat": lat, "lon": lon})
    out[path.name] = {"variable": var, "crs": srs.GetName(), "points": points}
dest = fixtures / "projected-latlon.oracle.json"
dest.write_text(json.dumps({"tool": f"GDAL {gdal.__version__}", "files": out}, indent=1))
print(f"wrote {dest}: {len(out)} files")
