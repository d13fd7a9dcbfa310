"""Writes test/fixtures/netcdf/polar_stereographic.nc: a small Copernicus-Marine-like Arctic field
on a polar stereographic x/y grid in kilometres with a CF grid_mapping (no 2-D lat/lon), the shape
of the CMEMS Arctic products. Oracle: scripts/gen-netcdf-projected-oracle.py (GDAL/PROJ).
Needs: pip install netCDF4 numpy. Run: python scripts/gen-polar-stereographic-fixture.py
"""
import pathlib

import netCDF4
import numpy as np

OUT = pathlib.Path(__file__).resolve().parents[1] / "test" / "fixtures" / "netcdf" / "polar_stereographic.nc"
with netCDF4.Dataset(OUT, "w", format="NETCDF4_CLASSIC") as ds:
    ds.Conventions = "CF-1.8"
    ds.createDimension("time", 2)
    ds.createDimension("y", 24)
    ds.createDimension("x", 30)
    t = ds.createVariable("time", "f8", ("time",))
    t.units = "days since 2024-01-01"
    t.standard_name = "time"
    t[:] = [0, 1]
    x = ds.createVariable("x", "f8", ("x",))
    x.units = "km"
    x.standard_name = "projection_x_coordinate"
    x.axis = "X"
    x[:] = -1500 + 100 * np.arange(30)
    y = ds.createVariable("y", "f8", ("y",))
    y.units = "km"
    y.standard_name = "projection_y_coordinate"
    y.axis = "Y"
    y[:] = 1200 - 100 * np.arange(24)
    gm = ds.createVariable("stereographic", "i4")
    gm.grid_mapping_name = "polar_stereographic"
    gm.latitude_of_projection_origin = 90.0
    gm.straight_vertical_longitude_from_pole = -45.0
    gm.standard_parallel = 70.0
    gm.false_easting = 0.0
    gm.false_northing = 0.0
    gm.semi_major_axis = 6378273.0
    gm.semi_minor_axis = 6356889.449
    v = ds.createVariable("siconc", "i2", ("time", "y", "x"), fill_value=np.int16(-32767), zlib=True)
    v.scale_factor = 0.01
    v.units = "1"
    v.standard_name = "sea_ice_area_fraction"
    v.grid_mapping = "stereographic"
    rng = np.random.default_rng(3)
    v[:] = np.clip(rng.normal(0.6, 0.3, size=(2, 24, 30)), 0, 1)
print(f"wrote {OUT}")
