"""Reference latitude/longitude of pixel centres for every georeferenced GeoTIFF of the corpus
and the fixtures, computed by GDAL/PROJ (the corpus oracles give native x/y only), and the
number of masked pixels of every file with a GDAL per-dataset mask. Writes
test/fixtures/geotiff/latlon.oracle.json and masks.oracle.json. Needs python3-gdal (Debian). Run with the system
python3: /usr/bin/python3 scripts/gen-geotiff-latlon-oracle.py
"""
import json
import pathlib

from osgeo import gdal, osr

root = pathlib.Path(__file__).resolve().parents[1]
dirs = [root.parent / "shared" / "corpus" / "geotiff", root / "test" / "fixtures" / "geotiff"]
wgs84 = osr.SpatialReference()
wgs84.ImportFromEPSG(4326)
wgs84.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
out = {}
masks = {}
for d in dirs:
    for path in sorted(p for p in d.iterdir() if p.suffix in (".tif", ".tiff")):
        ds = gdal.Open(str(path))
        band = ds.GetRasterBand(1)
        if band.GetMaskFlags() == gdal.GMF_PER_DATASET:
            m = band.GetMaskBand().ReadAsArray()
            masks[path.name] = {"pixels": int(m.size), "masked": int((m == 0).sum())}
        gt = ds.GetGeoTransform(can_return_null=True)
        wkt = ds.GetProjection()
        if gt is None or not wkt or tuple(gt) == (0.0, 1.0, 0.0, 0.0, 0.0, 1.0):
            continue  # no georeferencing (GCP/RPC rasters get GDAL's identity transform)
        srs = osr.SpatialReference(wkt=wkt)
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        tr = osr.CoordinateTransformation(srs, wgs84)
        w, h = ds.RasterXSize, ds.RasterYSize
        points = []
        for col, row in [(0, 0), (w // 4, 3 * h // 4), (w // 2, h // 2), (3 * w // 4, h // 4), (w - 1, h - 1)]:
            x = gt[0] + (col + 0.5) * gt[1] + (row + 0.5) * gt[2]
            y = gt[3] + (col + 0.5) * gt[4] + (row + 0.5) * gt[5]
            lon, lat, _ = tr.TransformPoint(x, y)
            if not (abs(lat) <= 90 and abs(lon) <= 360):
                continue  # outside the projection's domain (e.g. space pixels of a geostationary view)
            points.append({"col": col, "row": row, "x": x, "y": y, "lat": lat, "lon": lon})
        out[path.name] = {"crs": srs.GetName(), "authority": srs.GetAuthorityCode(None), "points": points}
dest = root / "test" / "fixtures" / "geotiff" / "latlon.oracle.json"
dest.write_text(json.dumps({"tool": f"GDAL {gdal.__version__}", "files": out}, indent=1))
(dest.parent / "masks.oracle.json").write_text(json.dumps({"tool": f"GDAL {gdal.__version__}", "files": masks}, indent=1))
print(f"wrote {dest}: {len(out)} files")
