"""Starts a real `wekeo serve` (the built CLI) for the interop tests and yields its addresses."""
import json
import os
import pathlib
import re
import subprocess
import threading

import pyarrow as pa
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "test" / "fixtures" / "netcdf"


def oracle(name):
    return json.loads((FIXTURES / f"{name}.oracle.json").read_text())


def grib_stats(name, short_name):
    """ecCodes statistics of all fields of one parameter, combined (count = non-missing values)."""
    fields = [f for f in json.loads((ROOT / "test" / "fixtures" / "grib" / f"{name}.oracle.json").read_text())["fields"] if f["shortName"] == short_name]
    valid = [f["values"]["count"] - f["values"]["missing"] for f in fields]
    total = sum(valid)
    return {
        "fields": len(fields),
        "valid": total,
        "missing": sum(f["values"]["missing"] for f in fields),
        "min": min(f["values"]["min"] for f in fields),
        "max": max(f["values"]["max"] for f in fields),
        "mean": sum(f["values"]["mean"] * n for f, n in zip(fields, valid)) / total,
    }


def decoded(name, var):
    """The oracle's netCDF4-python mask-and-scale statistics of one variable."""
    for v in oracle(name)["variables"]:
        if v["name"] == var:
            return v["decoded"]
    raise KeyError(var)


def _serve(extra_args):
    """Starts `wekeo serve` with extra arguments; yields its gRPC/HTTP addresses, the process and
    the stderr lines it has written so far (request logs, warnings)."""
    cli = ROOT / "bin" / "wekeo.js"
    if not (ROOT / "dist" / "cli" / "main.js").exists():
        pytest.fail("dist/ is missing: build with `npm run build` (./dev test does it)")
    proc = subprocess.Popen(
        ["node", str(cli), "serve", "--host", "127.0.0.1", "--port", "0", "--http-port", "0", "--target-rows", "50000", "--workers", "2", *extra_args],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    lines = []
    try:
        first = proc.stdout.readline()
        lines.append(first)
        m = re.match(r"wekeo-bridge listening on (grpc://\S+)", first)
        if not m:
            proc.kill()
            raise RuntimeError(f"bridge did not start: {first!r} {proc.stderr.read()}")
        second = proc.stdout.readline()
        h = re.match(r"wekeo-bridge http on (http://\S+)", second)
        # Drain the rest of stdout so the child never blocks on a full pipe.
        threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
        stderr = []
        threading.Thread(target=lambda: [stderr.append(l) for l in proc.stderr], daemon=True).start()
        yield {"grpc": m.group(1), "http": h.group(1) if h else None, "proc": proc, "stderr": stderr}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def bridge():
    """The bridge on the embedded sample catalog."""
    yield from _serve([])


@pytest.fixture(scope="session")
def array_bridge(tmp_path_factory):
    """The bridge on a catalog of NetCDF fixtures beyond the samples (projected, arrays, groups, model calendars)."""
    root = tmp_path_factory.mktemp("array-catalog")
    for name, dataset in [("PLANET_SCOPE_3D.nc", "planet"), ("ref_nctest_classic.nc", "nctest"), ("ref_groups.h5", "groups"), ("calendar_360_day.nc", "calendar360")]:
        (root / dataset).mkdir()
        (root / dataset / name).symlink_to(FIXTURES / name)
    yield from _serve(["--catalog", str(root)])


def canonical(table):
    """Rows sorted by the coordinates (time, level, tile, lat, lon), time as int64 microseconds UTC,
    chips as plain list<float32> (fixed_size_list<item> from Flight, list<element> from Spark)."""
    cols = {}
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_timestamp(col.type):
            col = col.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
        elif pa.types.is_fixed_size_list(col.type) or pa.types.is_list(col.type):
            col = col.cast(pa.list_(pa.float32()))
        cols[name] = col
    t = pa.table(cols)
    keys = [k for k in ("time", "level", "tile_y", "tile_x", "lat", "lon") if k in t.column_names]
    return t.sort_by([(k, "ascending") for k in keys])
