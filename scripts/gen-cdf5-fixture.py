"""Writes test/fixtures/netcdf/cdf5_types.nc (NetCDF CDF-5, "64-bit data") and its oracle.

CDF-5 adds unsigned and 64-bit integer types and 64-bit sizes to the classic format; no public
sample of it is in the corpus, so netCDF-C writes one here (through netCDF4-python) and
netCDF4-python computes the oracle in the corpus's shape. Needs: pip install netCDF4 numpy.
Run: python scripts/gen-cdf5-fixture.py
"""
import json
import pathlib

import netCDF4
import numpy as np

OUT = pathlib.Path(__file__).resolve().parents[1] / "test" / "fixtures" / "netcdf" / "cdf5_types.nc"

with netCDF4.Dataset(OUT, "w", format="NETCDF3_64BIT_DATA") as ds:
    ds.title = "CDF-5 fixture: every CDF-5 type on a small lat/lon grid"
    ds.createDimension("time", None)
    ds.createDimension("lat", 4)
    ds.createDimension("lon", 5)
    t = ds.createVariable("time", "f8", ("time",))
    t.units = "hours since 2024-01-01 00:00"
    t.calendar = "standard"
    lat = ds.createVariable("lat", "f4", ("lat",))
    lat.units = "degrees_north"
    lon = ds.createVariable("lon", "f4", ("lon",))
    lon.units = "degrees_east"
    lat[:] = [45.0, 46.0, 47.0, 48.0]
    lon[:] = [5.0, 6.0, 7.0, 8.0, 9.0]
    t[:] = [0.0, 6.0, 12.0]
    rng = np.random.default_rng(5)
    for name, dtype in [("u8", "u1"), ("u16", "u2"), ("u32", "u4"), ("i64", "i8"), ("u64", "u8")]:
        v = ds.createVariable(name, dtype, ("time", "lat", "lon"), fill_value=False)
        info = np.iinfo(dtype)
        data = rng.integers(0, min(info.max, 2**40), size=(3, 4, 5), dtype=dtype, endpoint=False)
        data[0, 0, 0] = info.max if dtype != "u8" else 2**53
        v[:] = data
    packed = ds.createVariable("t2m", "u2", ("time", "lat", "lon"), fill_value=np.uint16(65535))
    packed.scale_factor = np.float32(0.01)
    packed.add_offset = np.float32(250.0)
    packed.units = "K"
    raw = rng.integers(0, 6000, size=(3, 4, 5), dtype="u2")
    raw[1, 2, 3] = 65535
    packed.set_auto_maskandscale(False)
    packed[:] = raw
    big = ds.createVariable("count64", "i8", ("lat", "lon"))
    big[:] = np.arange(20, dtype="i8").reshape(4, 5) * (2**33)

# The oracle, in the shape of ../shared/corpus/netcdf/*.oracle.json (the fields our tests read).
with netCDF4.Dataset(OUT) as ds:
    variables = []
    for name, v in ds.variables.items():
        data = v[:]
        flat = np.ma.masked_invalid(np.ma.asarray(data, dtype="f8")).ravel() if v.dtype.kind == "f" else np.ma.asarray(data).ravel()
        n = flat.size
        valid = flat.compressed()
        entry = {
            "name": name, "group": "/", "dimensions": list(v.dimensions), "shape": list(v.shape), "dtype": str(v.dtype),
            "attributes": {k: (v.getncattr(k).item() if hasattr(v.getncattr(k), "item") else v.getncattr(k)) for k in v.ncattrs()},
            "decoded": {
                "dtype": str(data.dtype), "missing": int(n - valid.size), "valid": int(valid.size),
                "min": float(valid.min()), "max": float(valid.max()), "mean": float(np.mean(valid.astype("f8"))),
            },
            "samples": [],
        }
        for i in sorted({0, n // 4, n // 2, 3 * n // 4, n - 1}):
            x = flat[i]
            entry["samples"].append({"index": i, "decoded": None if x is np.ma.masked else float(x)})
        if name == "time":
            for s in entry["samples"]:
                s["time_iso"] = netCDF4.num2date(s["decoded"], v.units, v.calendar).isoformat()
        variables.append(entry)
    oracle = {"file": OUT.name, "format": ds.data_model, "variables": variables,
              "tools": {"netCDF4-python": netCDF4.__version__, "netCDF-C": netCDF4.__netcdf4libversion__}}
(OUT.parent / f"{OUT.name}.oracle.json").write_text(json.dumps(oracle, indent=1))
print(f"wrote {OUT} ({OUT.stat().st_size} bytes) and its oracle")
