"""Writes test/fixtures/netcdf/curvilinear_swath.nc and its oracle.

A small satellite-swath-like NetCDF-4 file: data on (time, row, col) whose position is given by
2-D latitude/longitude variables named in the CF `coordinates` attribute (as Sentinel-3 and other
swath products do). No corpus file has this shape, so netCDF-C writes one here (through
netCDF4-python) and the oracle records per-variable statistics, samples with their lat/lon, and
the cells inside a test bbox. Needs: pip install netCDF4 numpy. Run: python scripts/gen-curvilinear-fixture.py
"""
import json
import pathlib

import netCDF4
import numpy as np

OUT = pathlib.Path(__file__).resolve().parents[1] / "test" / "fixtures" / "netcdf" / "curvilinear_swath.nc"
NT, NY, NX = 2, 30, 20
BBOX = [10.0, 44.0, 13.0, 46.0]  # west, south, east, north

rows, cols = np.meshgrid(np.arange(NY), np.arange(NX), indexing="ij")
# A swath tilted by 20 degrees, 0.15 degree spacing, around 45N 12E.
angle = np.deg2rad(20.0)
lat = 43.0 + 0.15 * (rows * np.cos(angle) - cols * np.sin(angle))
lon = 10.5 + 0.15 * (rows * np.sin(angle) + cols * np.cos(angle)) / np.cos(np.deg2rad(45.0))

with netCDF4.Dataset(OUT, "w", format="NETCDF4") as ds:
    ds.title = "curvilinear swath fixture (2-D latitude/longitude)"
    ds.createDimension("time", NT)
    ds.createDimension("rows", NY)
    ds.createDimension("columns", NX)
    t = ds.createVariable("time", "f8", ("time",))
    t.units = "seconds since 2024-06-01 10:00:00"
    t.standard_name = "time"
    t[:] = [0.0, 3600.0]
    la = ds.createVariable("latitude", "f8", ("rows", "columns"), zlib=True)
    la.units = "degrees_north"
    la.standard_name = "latitude"
    la[:] = lat
    lo = ds.createVariable("longitude", "f8", ("rows", "columns"), zlib=True)
    lo.units = "degrees_east"
    lo.standard_name = "longitude"
    lo[:] = lon
    sst = ds.createVariable("sst", "i2", ("time", "rows", "columns"), zlib=True, fill_value=np.int16(-32768))
    sst.scale_factor = 0.01
    sst.add_offset = 290.0
    sst.units = "K"
    sst.coordinates = "time latitude longitude"
    rng = np.random.default_rng(7)
    raw = rng.integers(-1000, 1000, size=(NT, NY, NX)).astype("i2")
    raw[0, 5, 7] = -32768
    raw[1, 20, 3] = -32768
    sst.set_auto_maskandscale(False)
    sst[:] = raw

with netCDF4.Dataset(OUT) as ds:
    sst = ds["sst"][:]
    la = ds["latitude"][:]
    lo = ds["longitude"][:]
    flat = sst.ravel()
    n = flat.size
    valid = flat.compressed()
    samples = []
    for i in sorted({0, n // 4, n // 2, 3 * n // 4, n - 1, 5 * NX + 7}):
        ti, r = divmod(i, NY * NX)
        y, x = divmod(r, NX)
        v = flat[i]
        samples.append({"index": i, "decoded": None if v is np.ma.masked else float(v), "lat": float(la[y, x]), "lon": float(lo[y, x])})
    inside = (la >= BBOX[1]) & (la <= BBOX[3]) & (lo >= BBOX[0]) & (lo <= BBOX[2])
    sel = np.ma.concatenate([sst[k][inside] for k in range(NT)])
    oracle = {
        "file": OUT.name,
        "variables": [{
            "name": "sst", "group": "/", "dimensions": ["time", "rows", "columns"], "shape": [NT, NY, NX], "dtype": "int16",
            "decoded": {"dtype": str(sst.dtype), "missing": int(n - valid.size), "valid": int(valid.size),
                        "min": float(valid.min()), "max": float(valid.max()), "mean": float(valid.astype("f8").mean())},
            "samples": samples,
        }],
        "bbox": {"bbox": BBOX, "cells": int(sel.size), "valid": int(sel.count()), "sum": float(sel.sum())},
        "lat_range": [float(la.min()), float(la.max())],
        "lon_range": [float(lo.min()), float(lo.max())],
        "tools": {"netCDF4-python": netCDF4.__version__, "netCDF-C": netCDF4.__netcdf4libversion__},
    }
(OUT.parent / f"{OUT.name}.oracle.json").write_text(json.dumps(oracle, indent=1))
print(f"wrote {OUT} ({OUT.stat().st_size} bytes) and its oracle")
