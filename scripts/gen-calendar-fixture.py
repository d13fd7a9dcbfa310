"""Writes test/fixtures/netcdf/calendar_360_day.nc: a small climate-model-like field whose time axis
uses the 360_day calendar (dates such as February 30 that no real calendar has). Needs: pip install
netCDF4 numpy. Run: python scripts/gen-calendar-fixture.py
"""
import pathlib

import netCDF4
import numpy as np

OUT = pathlib.Path(__file__).resolve().parents[1] / "test" / "fixtures" / "netcdf" / "calendar_360_day.nc"
with netCDF4.Dataset(OUT, "w", format="NETCDF4_CLASSIC") as ds:
    ds.createDimension("time", None)
    ds.createDimension("lat", 3)
    ds.createDimension("lon", 4)
    t = ds.createVariable("time", "f8", ("time",))
    t.units = "days since 2000-01-01 00:00:00"
    t.calendar = "360_day"
    t[:] = [0.0, 59.0, 59.5, 359.0]  # 2000-01-01, 2000-02-30, 2000-02-30T12, 2000-12-30
    la = ds.createVariable("lat", "f4", ("lat",))
    la.units = "degrees_north"
    la[:] = [10, 20, 30]
    lo = ds.createVariable("lon", "f4", ("lon",))
    lo.units = "degrees_east"
    lo[:] = [0, 10, 20, 30]
    v = ds.createVariable("tas", "f4", ("time", "lat", "lon"))
    v.units = "K"
    v[:] = 280 + np.arange(4 * 3 * 4, dtype="f4").reshape(4, 3, 4)
print(f"wrote {OUT}")
