"""Every value the reference tools give a position is reachable by position through Flight.

For each corpus file, every oracle sample that ecCodes (GRIB lat/lon), GDAL (GeoTIFF pixel
centres in the file's CRS, turned into lat/lon by PROJ through pyproj) or the file's own CF
coordinate variables (NetCDF: 1-D latitude/longitude axes read by netCDF-C) put somewhere on
Earth is looked up through a real pyarrow.flight client against `wekeo serve`: one small-bbox
dataset-level query per distinct position of the file (so every variable group is read, as a
Spark table over the dataset reads it), then the sample is matched locally by time, level, level
type and ensemble member, and its value must be the oracle's (lossless exact to float32; JPEG
within the codec error; missing as null). A second pass asks, for a few samples per file, the
narrow query a user writes: the variable by name, start = end = its time truncated to the
minute, and a small bbox. Skipped without the corpus (../shared/corpus or $WEKEO_CORPUS).
"""
import datetime as dt
import json
import math
import os
import re
import time
from collections import defaultdict

import pyarrow as pa
import pyarrow.flight as fl
import pytest
from pyproj import CRS, Transformer

from conftest import _serve
from test_corpus_flight import CORPUS, UNSUPPORTED, corpus_files

HALF = 0.005  # half side of a lookup bbox, degrees
POS_TOL = 2e-4  # position agreement with the reference tool, degrees
JPEG_TOL = 12  # two JPEG decoders differ by a few levels (test/decoders/geotiff/corpus.test.ts)
NARROW_PER_FILE = 3
FILTERED = bool(os.environ.get("WEKEO_REACH_FILES"))  # a subset of the corpus: no minimum sample count


@pytest.fixture(scope="module")
def reach_bridge(tmp_path_factory):
    only = os.environ.get("WEKEO_REACH_FILES")  # comma-separated name parts, to check a few files
    files = [f for f in corpus_files() if not only or any(p in f.name for p in only.split(","))]
    if not files:
        pytest.skip("no reference corpus here")
    root = tmp_path_factory.mktemp("reach-catalog")
    names = {}
    for i, f in enumerate(files):
        d = root / f"f{i:03d}"
        d.mkdir()
        (d / f.name).symlink_to(f)
        names[f"f{i:03d}"] = f
    gen = _serve(["--catalog", str(root)])
    info = next(gen)
    info["files"] = names
    yield info
    gen.close()


# ---- samples with a position, from the oracles -------------------------------------------------

def grib_samples(o):
    for f in o["fields"]:
        if not f["values"].get("geolocated") or "samples" not in f["values"]:
            continue
        for s in f["values"]["samples"]:
            yield {
                # ecCodes has no name for local parameters; the bridge names them param_<keys>
                "var": None if f["shortName"] == "unknown" else f["shortName"], "lat": s["lat"], "lon": s["lon"], "time": f["time"]["valid_iso"],
                "level_type": f["level"]["typeOfLevel"], "level": f["level"]["level"], "number": f["number"],
                "value": s["value"], "tol": 0, "where": f"field {f['field']} {f['shortName']}@{f['level']['typeOfLevel']}={f['level']['level']}",
            }


def geotiff_samples(o):
    crs = o.get("crs")
    if not crs or o.get("geoTransform") in (None, [0.0, 1.0, 0.0, 0.0, 0.0, 1.0]):
        return  # no CRS or no geotransform (pixel coordinates): GDAL gives no position on Earth
    to_ll = Transformer.from_crs(CRS.from_user_input(crs.get("wkt") or crs["proj4"]), CRS.from_epsg(4326), always_xy=True)
    lossy = "JPEG" in (o["image_structure"].get("COMPRESSION") or "")
    for s in o["samples"]:
        if s.get("x_center") is None:
            continue
        lon, lat = to_ll.transform(s["x_center"], s["y_center"])
        if not (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90):
            continue
        for i, raw in enumerate(s["values"]):
            band = o["bands"][i]
            if isinstance(raw, list):  # complex: [re, im], missing when the real part is nodata
                for part, v in zip(("real", "imag"), raw):
                    yield {"var": f"band_{i + 1}_{part}", "lat": lat, "lon": lon, "value": None if raw[0] == band["noDataValue"] else v, "tol": 0, "where": f"pixel {s['col']},{s['row']}"}
                continue
            nd = band["noDataValue"]
            missing = raw is None or raw == "NaN" or (isinstance(raw, float) and math.isnan(raw)) or (nd is not None and nd != "NaN" and raw == nd)
            value = None if missing else raw * (band["scale"] or 1) + (band["offset"] or 0)
            yield {"var": f"band_{i + 1}", "lat": lat, "lon": lon, "value": value, "tol": JPEG_TOL if lossy else 0, "lossy": lossy, "where": f"pixel {s['col']},{s['row']}"}


LAT_NAMES = {"lat", "latitude", "nav_lat"}
LON_NAMES = {"lon", "longitude", "nav_lon"}
LAT_UNITS = {"degrees_north", "degree_north", "degree_N", "degrees_N", "degreeN", "degreesN"}
LON_UNITS = {"degrees_east", "degree_east", "degree_E", "degrees_E", "degreeE", "degreesE"}


def axis_role(v):
    a = v.get("attributes", {})
    units, std = str(a.get("units", "")), str(a.get("standard_name", ""))
    if units in LAT_UNITS or std == "latitude" or v["name"].lower() in LAT_NAMES:
        return "lat"
    if units in LON_UNITS or std == "longitude" or v["name"].lower() in LON_NAMES:
        return "lon"
    return None


def value_at(cv, i, key="decoded"):
    """A 1-D coordinate's value at index i: a sample at that index, or the regular axis through its samples."""
    for s in cv.get("samples", []):
        if s["nd_index"] == [i]:
            return s.get(key)
    if key != "decoded":
        return None
    c = cv.get("coordinate")
    if not c or c["size"] < 2:
        return None
    step = (c["last"] - c["first"]) / (c["size"] - 1)
    for s in cv.get("samples", []):  # only a regular axis may be interpolated
        if s.get("decoded") is None or abs(c["first"] + s["nd_index"][0] * step - s["decoded"]) > 1e-6 * max(1, abs(s["decoded"])):
            return None
    return c["first"] + i * step


def utc_iso(iso, units):
    """num2date's time with the units' zone offset (`since 1964-03-12 12:09:00 -9:00`) applied, as CF/udunits define it."""
    m = re.search(r"since\s+\S+[ T]\S+\s+([+-])(\d{1,2}):?(\d\d)?\s*$", units)
    if iso is None or not m:
        return iso
    offset = dt.timedelta(hours=int(m.group(2)), minutes=int(m.group(3) or 0)) * (1 if m.group(1) == "+" else -1)
    return (dt.datetime.fromisoformat(iso) - offset).isoformat()


def netcdf_samples(o):
    by_name = {(v["group"], v["name"]): v for v in o["variables"]}
    for v in o["variables"]:
        dims = v.get("dimensions") or []
        coord = {d: by_name.get((v["group"], d)) for d in dims}
        coord = {d: c for d, c in coord.items() if c and (c.get("dimensions") or []) == [d]}
        roles = {d: axis_role(c) for d, c in coord.items()}
        if "lat" not in roles.values() or "lon" not in roles.values() or v["name"] in coord:
            continue
        if v.get("dtype") in ("str", "S1", "|S1") or not v.get("samples"):
            continue
        group_prefix = "" if v["group"] == "/" else v["group"].strip("/") + "/"
        for s in v["samples"]:
            pos, time, level = {}, None, None
            for d, i in zip(dims, s["nd_index"]):
                r = roles.get(d)
                if r:
                    pos[r] = value_at(coord[d], i)
                elif d in coord and "since" in str(coord[d]["attributes"].get("units", "")):
                    time = utc_iso(value_at(coord[d], i, "time_iso"), coord[d]["attributes"]["units"])
                elif d in coord and level is None:
                    level = value_at(coord[d], i)
            if pos.get("lat") is None or pos.get("lon") is None:
                continue  # the oracle does not say where this sample is
            yield {"var": group_prefix + v["name"], "lat": pos["lat"], "lon": pos["lon"], "time": time, "level": level, "value": s.get("decoded"), "tol": 0, "where": f"{v['name']}{s['nd_index']}"}


def samples_of(path):
    o = json.loads(path.with_name(path.name + ".oracle.json").read_text())
    kind = path.parent.name
    gen = grib_samples if kind == "grib" else geotiff_samples if kind == "geotiff" else netcdf_samples
    return list(gen(o))


# ---- lookups -----------------------------------------------------------------------------------

def bbox_around(lat, lon):
    lon = ((lon + 180) % 360) - 180
    return [lon - HALF, max(-90, lat - HALF), lon + HALF, min(90, lat + HALF)]


def read(client, query):
    info = client.get_flight_info(fl.FlightDescriptor.for_command(json.dumps(query)))
    tables = [client.do_get(e.ticket).read_all() for e in info.endpoints]
    return pa.concat_tables(tables).to_pylist() if tables else []


def iso_us(iso):
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).replace(tzinfo=dt.timezone.utc)


def same_time(got, iso):
    """Equal, or within the minute when the reference gives minutes only (ecCodes' validityTime is HHMM)."""
    want = iso_us(iso)
    return got == want or (want.second == 0 and want.microsecond == 0 and dt.timedelta(0) <= got - want < dt.timedelta(minutes=1))


def same_lon(a, b):
    return abs(((a - b + 180) % 360) - 180) <= POS_TOL


def matches(row, s):
    if row.get("lat") is None or row.get("lon") is None:
        return False
    if abs(row["lat"] - s["lat"]) > POS_TOL or not same_lon(row["lon"], s["lon"]):
        return False
    if s.get("time") and row.get("time") is not None and not same_time(row["time"], s["time"]):
        return False
    if s.get("level_type") and row.get("level_type") is not None and row["level_type"] != s["level_type"]:
        return False
    if s.get("level") is not None and row.get("level") is not None and abs(row["level"] - s["level"]) > 1e-6 * max(1, abs(s["level"])):
        return False
    if s.get("number") is not None and row.get("number") is not None and row["number"] != s["number"]:
        return False
    return bool(names_in(row, s))


def names_in(row, s):
    """The row's columns that may hold the sample's variable."""
    if s["var"] is None:
        return [k for k in row if k.startswith("param_")]
    return [s["var"]] if s["var"] in row else []


def value_ok(got, s):
    want = s["value"]
    if want is None:
        return got is None
    if got is None:
        return bool(s.get("lossy"))  # JPEG can turn a nodata value into a valid one and back
    tol = s["tol"] or 2e-7 * max(1.0, abs(want))  # float32 rounding of the reference's float64
    return abs(got - want) <= tol


def classify(rows, s):
    cands = [r for r in rows if matches(r, s)]
    if not cands:
        near = [r for r in rows if r.get("lat") is not None and abs(r["lat"] - s["lat"]) <= POS_TOL and same_lon(r["lon"], s["lon"])]
        return "no row at its position" if not near else ("variable not in the rows" if not any(names_in(r, s) for r in near) else "no row at its time/level/member")
    got = [r[n] for r in cands for n in names_in(r, s)]
    if s["value"] is None:  # missing: no row there may carry a value (rows of other groups hold nulls)
        ok = s.get("lossy") or all(v is None for v in got)
    else:
        ok = any(value_ok(v, s) for v in got)
    return None if ok else f"value differs (want {s['value']}, got {got[:3]})"


def test_every_positioned_sample_is_found_by_bbox(reach_bridge):
    client = fl.connect(reach_bridge["grpc"])
    problems, checked = defaultdict(list), 0
    for dataset, path in reach_bridge["files"].items():
        if path.name in UNSUPPORTED:
            continue
        samples = samples_of(path)
        t0 = time.monotonic()
        by_pos = defaultdict(list)
        for s in samples:
            by_pos[(round(s["lat"], 6), round(s["lon"], 6))].append(s)
        for (lat, lon), group in by_pos.items():
            try:
                rows = read(client, {"dataset": dataset, "bbox": bbox_around(lat, lon)})
            except (fl.FlightError, pa.ArrowInvalid) as e:
                problems[path.name].append(f"query at {lat},{lon} failed: {str(e)[:200]}")
                continue
            for s in group:
                checked += 1
                why = classify(rows, s)
                if why:
                    problems[path.name].append(f"{s['where']} at {s['lat']:.4f},{s['lon']:.4f}: {why}")
        print(f"{path.name}: {len(samples)} samples, {len(by_pos)} positions, {time.monotonic() - t0:.1f} s")
    client.close()
    report = {f: (len(p), p[:4]) for f, p in problems.items()}
    missing = sum(len(p) for p in problems.values())
    print(f"\n{checked} positioned samples checked, {missing} unreachable")
    for f, p in problems.items():
        print(f"{f}: {len(p)} unreachable", *p[:12], sep="\n  ")
    assert (checked > 5000 or FILTERED) and not problems, json.dumps(report, indent=1)


def test_named_variable_at_minute_precision(reach_bridge):
    """The query a user writes: one variable, start = end = its time to the minute, a small bbox."""
    client = fl.connect(reach_bridge["grpc"])
    problems, checked = [], 0
    for dataset, path in reach_bridge["files"].items():
        if path.name in UNSUPPORTED:
            continue
        samples = [s for s in samples_of(path) if s["value"] is not None]
        step = max(1, len(samples) // NARROW_PER_FILE)
        for s in samples[::step][:NARROW_PER_FILE]:
            q = {"dataset": dataset, "bbox": bbox_around(s["lat"], s["lon"])}
            if s["var"]:
                q["variables"] = [s["var"]]
            if s.get("time"):
                q["start"] = q["end"] = s["time"][:16]  # "YYYY-MM-DDTHH:MM": the whole minute
            checked += 1
            try:
                why = classify(read(client, q), s)
            except (fl.FlightError, pa.ArrowInvalid) as e:
                why = f"failed: {str(e)[:200]}"
            if why:
                problems.append(f"{path.name} {s['where']}: {why}")
    client.close()
    assert (checked > 100 or FILTERED) and problems == [], "\n".join(problems)


def test_groups_are_listed_and_addressable(reach_bridge):
    """ListFlights lists each group of a many-group file as PATH [dataset, group] with its facts in
    app_metadata; that PATH, or a CMD naming "group", reads that group only; the dataset-level
    schema is the union with a level_type column."""
    nam = next((d for d, p in reach_bridge["files"].items() if p.name.startswith("nam.t00z")), None)
    if nam is None:
        pytest.skip("nam.t00z.awp21100.tm00.grib2 not in this run")
    client = fl.connect(reach_bridge["grpc"])
    flights = [f for f in client.list_flights() if f.descriptor.path[0].decode() == nam]
    groups = [f for f in flights if len(f.descriptor.path) == 2]
    assert len(flights) == len(groups) + 1 and len(groups) > 10
    meta = {f.descriptor.path[1].decode(): json.loads(f.app_metadata) for f in groups}
    tropo = next(g for g, m in meta.items() if m["level_type"] == "tropopause")
    assert {"t", "u", "v"} <= set(meta[tropo]["variables"]) and meta[tropo]["grid"]["kind"] == "projected"
    by_path = client.get_flight_info(fl.FlightDescriptor.for_path(nam, tropo))
    by_cmd = client.get_flight_info(fl.FlightDescriptor.for_command(json.dumps({"dataset": nam, "group": tropo})))
    for info in (by_path, by_cmd):
        table = pa.concat_tables(client.do_get(e.ticket).read_all() for e in info.endpoints)
        assert [n for n in table.schema.names if n in meta[tropo]["variables"]] == meta[tropo]["variables"]
        assert "level_type" not in table.schema.names and table.num_rows == info.total_records > 0
    whole = client.get_flight_info(fl.FlightDescriptor.for_path(nam))
    assert "level_type" in whole.schema.names and whole.total_records == sum(f.total_records for f in groups)
    with pytest.raises((pa.ArrowInvalid, fl.FlightError), match=r"no variable group \"nope\"; groups: .*tropopause"):
        client.get_flight_info(fl.FlightDescriptor.for_command(json.dumps({"dataset": nam, "group": "nope"})))
    client.close()
