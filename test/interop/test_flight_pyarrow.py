"""A real pyarrow.flight client against a running `wekeo serve` on the embedded sample catalog.

Counts and statistics are compared with the netCDF-C / netCDF4-python oracles of the sample files.
"""
import json
from datetime import datetime, timezone
import urllib.request

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.flight as fl
import pyarrow.ipc as ipc
import pytest

from conftest import decoded, grib_stats

CMEMS = "cmems_mod_glo_phy-cur_anfc_0.083deg_P1D-m_2024-01_1deg_5day.nc"


def cmd(**q):
    return fl.FlightDescriptor.for_command(json.dumps(q))


def read_all(client, info):
    tables = [client.do_get(e.ticket).read_all() for e in info.endpoints]
    return pa.concat_tables(tables)


def assert_stats(table, column, oracle):
    col = table.column(column)
    valid = len(col) - col.null_count
    assert valid == oracle["valid"]
    assert col.null_count == oracle["missing"]
    mm = pc.min_max(col).as_py()
    assert mm["min"] == pytest.approx(oracle["min"], rel=1e-6, abs=1e-9)
    assert mm["max"] == pytest.approx(oracle["max"], rel=1e-6, abs=1e-9)
    mean = pc.sum(col.cast(pa.float64())).as_py() / valid
    assert mean == pytest.approx(oracle["mean"], rel=1e-9)


@pytest.fixture(scope="module")
def client(bridge):
    c = fl.connect(bridge["grpc"])
    yield c
    c.close()


def test_list_flights_names_every_sample_dataset(client):
    flights = list(client.list_flights())
    names = sorted(f.descriptor.path[0].decode() for f in flights if len(f.descriptor.path) == 1)
    assert names == ["cams-chemistry", "cmems-currents", "era5-ensemble", "era5-pressure-levels", "ncep-air"]
    # a dataset of several variable groups also lists each as PATH [dataset, group]
    groups = sorted("/".join(p.decode() for p in f.descriptor.path) for f in flights if len(f.descriptor.path) == 2)
    assert groups == ["cmems-currents/(scalar)", "cmems-currents/time,latitude,longitude"]


def test_cmems_every_endpoint_matches_oracle(client, bridge):
    info = client.get_flight_info(cmd(dataset="cmems-currents"))
    assert len(info.endpoints) > 1, "expected several partitions with --target-rows 50000"
    assert all(loc.uri.decode() == bridge["grpc"] for e in info.endpoints for loc in e.locations)
    table = read_all(client, info)
    assert table.schema.names == ["time", "lat", "lon", "uo", "vo"]
    assert table.schema.field("time").type == pa.timestamp("us", tz="UTC")
    assert table.num_rows == info.total_records == 6 * 171 * 360
    assert_stats(table, "uo", decoded(CMEMS, "uo"))
    assert_stats(table, "vo", decoded(CMEMS, "vo"))
    times = pc.unique(table.column("time")).to_pylist()
    assert [t.isoformat() for t in sorted(times)][0] == "2024-01-03T00:00:00+00:00"
    assert len(times) == 6


def test_schema_from_get_schema_equals_flight_info(client):
    info = client.get_flight_info(cmd(dataset="cmems-currents", variables=["vo"]))
    schema = client.get_schema(cmd(dataset="cmems-currents", variables=["vo"])).schema
    assert schema.equals(info.schema)
    assert schema.names == ["time", "lat", "lon", "vo"]


def test_packed_era5_with_levels_matches_oracle(client):
    info = client.get_flight_info(fl.FlightDescriptor.for_path("era5-pressure-levels"))
    table = read_all(client, info)
    assert table.schema.names[:4] == ["time", "lat", "lon", "level"]
    assert sorted(pc.unique(table.column("level")).to_pylist()) == [500.0, 850.0]
    assert_stats(table, "t", decoded("test4.nc", "t"))
    assert_stats(table, "z", decoded("test4.nc", "z"))


def test_ncep_air_matches_oracle(client):
    table = read_all(client, client.get_flight_info(cmd(dataset="ncep-air")))
    assert_stats(table, "air", decoded("air.nc", "air"))


def test_bbox_and_time_filter_equal_filtering_the_full_table(client):
    full = read_all(client, client.get_flight_info(cmd(dataset="cmems-currents")))
    q = dict(dataset="cmems-currents", bbox=[-30.0, 10.0, 20.0, 45.0], start="2024-01-08", end="2024-01-18T00:00:00Z")
    part = read_all(client, client.get_flight_info(cmd(**q)))
    start = pa.scalar(datetime(2024, 1, 8, tzinfo=timezone.utc), pa.timestamp("us", tz="UTC"))
    end = pa.scalar(datetime(2024, 1, 18, tzinfo=timezone.utc), pa.timestamp("us", tz="UTC"))
    mask = pc.and_(
        pc.and_(pc.greater_equal(full["lat"], 10.0), pc.less_equal(full["lat"], 45.0)),
        pc.and_(
            pc.and_(pc.greater_equal(full["lon"], -30.0), pc.less_equal(full["lon"], 20.0)),
            pc.and_(pc.greater_equal(full["time"], start), pc.less_equal(full["time"], end)),
        ),
    )
    expected = full.filter(mask)
    assert part.num_rows == expected.num_rows > 0
    key = ["time", "lat", "lon"]
    assert part.sort_by([(k, "ascending") for k in key]).equals(expected.sort_by([(k, "ascending") for k in key]))


def test_unknown_dataset_is_not_found(client):
    # pyarrow maps gRPC NOT_FOUND to ArrowKeyError.
    with pytest.raises(pa.ArrowKeyError) as e:
        client.get_flight_info(cmd(dataset="no-such-dataset"))
    assert "unknown dataset" in str(e.value)


def test_bad_query_is_invalid_argument(client):
    # pyarrow maps gRPC INVALID_ARGUMENT to ArrowInvalid.
    with pytest.raises(pa.ArrowInvalid) as e:
        client.get_flight_info(cmd(dataset="cmems-currents", bbox=[0, 50, 10]))
    assert "bbox" in str(e.value)


def test_empty_range_plans_no_endpoints(client):
    # South above north selects nothing (a Spark "lat between 50 and 40"): no partitions, not an error.
    info = client.get_flight_info(cmd(dataset="cmems-currents", bbox=[0, 50, 10, 40]))
    assert len(info.endpoints) == 0
    assert "uo" in info.schema.names


def test_forged_ticket_is_rejected(client):
    with pytest.raises(pa.ArrowInvalid) as e:
        client.do_get(fl.Ticket(b"wkb1.eyJ9.bad")).read_all()
    assert "signature" in str(e.value)


def test_http_arrow_stream_equals_flight(client, bridge):
    flight = read_all(client, client.get_flight_info(cmd(dataset="ncep-air")))
    with urllib.request.urlopen(f"{bridge['http']}/stream?dataset=ncep-air") as r:
        assert r.headers["content-type"] == "application/vnd.apache.arrow.stream"
        table = ipc.open_stream(r).read_all()
    assert table.equals(flight)


def assert_grib_stats(table, column, oracle):
    col = table.column(column)
    assert len(col) - col.null_count == oracle["valid"]
    assert col.null_count == oracle["missing"]
    mm = pc.min_max(col).as_py()
    # GRIB values travel as float32: compare at float32 precision.
    assert mm["min"] == pytest.approx(oracle["min"], rel=1e-6)
    assert mm["max"] == pytest.approx(oracle["max"], rel=1e-6)
    assert pc.mean(col.cast(pa.float64())).as_py() == pytest.approx(oracle["mean"], rel=1e-6)


def test_grib1_era5_ensemble_has_level_and_member_axes(client):
    info = client.get_flight_info(cmd(dataset="era5-ensemble"))
    table = read_all(client, info)
    assert table.schema.names == ["time", "lat", "lon", "level", "number", "reference_time", "step", "z", "t"]
    assert table.num_rows == 4 * 2 * 10 * 61 * 120
    assert sorted(pc.unique(table.column("number")).to_pylist()) == list(range(10))
    assert sorted(pc.unique(table.column("level")).to_pylist()) == [500.0, 850.0]
    assert_grib_stats(table, "z", grib_stats("era5-levels-members.grib", "z"))
    assert_grib_stats(table, "t", grib_stats("era5-levels-members.grib", "t"))
    one = table.filter(pc.and_(pc.equal(table["number"], 3), pc.equal(table["level"], 850.0)))
    assert one.num_rows == 4 * 61 * 120


def test_grib2_ccsds_cams_matches_ecmwf_eccodes(client):
    table = read_all(client, client.get_flight_info(cmd(dataset="cams-chemistry", variables=["co", "go3"])))
    assert table.schema.names == ["time", "lat", "lon", "reference_time", "step", "co", "go3"]
    for var in ["co", "go3"]:
        assert_grib_stats(table, var, grib_stats("chem-cams.grib", var))
