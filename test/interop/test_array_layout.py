"""Non-geographic NetCDF (projected x/y, coordinate-less arrays, sub-groups) through a real
pyarrow.flight client: array-layout groups with one coordinate column per dimension, values
equal to the netCDF4-python oracles."""
import json

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.flight as fl
import pytest

from conftest import oracle


def cmd(**q):
    return fl.FlightDescriptor.for_command(json.dumps(q))


def read_all(client, info):
    return pa.concat_tables([client.do_get(e.ticket).read_all() for e in info.endpoints])


@pytest.fixture(scope="module")
def client(array_bridge):
    c = fl.connect(array_bridge["grpc"])
    yield c
    c.close()


def oracle_var(file, name, group="/"):
    return next(v for v in oracle(file)["variables"] if v["name"] == name and v.get("group", "/") == group)


def check_against_oracle(table, column, ov):
    col = table.column(column)
    d = ov["decoded"]
    assert len(col) - col.null_count == d["valid"]
    assert col.null_count == d["missing"]
    if d["valid"]:
        mm = pc.min_max(col).as_py()
        assert mm["min"] == d["min"] and mm["max"] == d["max"]
    flat = col.to_pylist()
    for s in ov["samples"]:
        assert flat[s["index"]] == (None if s["decoded"] is None else pytest.approx(s["decoded"], rel=1e-6))


def test_projected_xy_with_time(client):
    info = client.get_flight_info(cmd(dataset="planet", variables=["blue", "green"]))
    table = read_all(client, info)
    assert table.schema.names == ["time", "lat", "lon", "x", "y", "blue", "green"]
    assert table.schema.field("time").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("x").metadata[b"wekeo.role"] == b"coordinate"
    for v in ("blue", "green"):
        check_against_oracle(table, v, oracle_var("PLANET_SCOPE_3D.nc", v))
    # A time filter selects one of the two time steps.
    t0 = table.column("time")[0].as_py().isoformat()
    one = read_all(client, client.get_flight_info(cmd(dataset="planet", variables=["blue"], start=t0, end=t0)))
    assert one.num_rows == 100
    # Cells are placed by projecting x/y (UTM 22S): a bbox around half the scene keeps only its cells.
    lat = table.column("lat").to_pylist()[:100]
    mid = sorted(lat)[50]
    part = read_all(client, client.get_flight_info(cmd(dataset="planet", variables=["blue"], bbox=[-180, -90, 180, mid], start=t0, end=t0)))
    assert part.num_rows == sum(1 for v in lat if v <= mid)


def test_coordinate_less_four_dimensional_array(client):
    table = read_all(client, client.get_flight_info(cmd(dataset="nctest", variables=["floatvar", "doublevar"])))
    assert table.schema.names == ["w", "x", "y", "z", "floatvar", "doublevar"]
    assert table.schema.field("w").type == pa.int32()
    assert table.num_rows == 7 * 5 * 6 * 4
    for v in ("floatvar", "doublevar"):
        check_against_oracle(table, v, oracle_var("ref_nctest_classic.nc", v))


def test_sub_group_variable_by_path(client):
    table = read_all(client, client.get_flight_info(cmd(dataset="groups", variables=["MyGroup/Group_A/dset2"])))
    check_against_oracle(table, "MyGroup/Group_A/dset2", oracle_var("ref_groups.h5", "dset2", "/MyGroup/Group_A"))


def test_tiles_layout_on_an_array_is_a_clear_error(client):
    with pytest.raises(pa.ArrowInvalid, match="tiles layout needs a latitude/longitude grid"):
        client.get_flight_info(cmd(dataset="nctest", variables=["floatvar"], layout="tiles"))


def test_bbox_never_matches_rows_without_coordinates(client):
    # Arrays without latitude/longitude: a bbox selects nothing rather than everything.
    info = client.get_flight_info(cmd(dataset="nctest", variables=["floatvar"], bbox=[-180, -90, 180, 90]))
    assert len(info.endpoints) == 0
    assert info.total_records == 0


def test_model_calendar_keeps_original_time_values(client):
    table = read_all(client, client.get_flight_info(cmd(dataset="calendar360", variables=["tas"])))
    assert table.schema.names == ["time", "time_value", "lat", "lon", "tas"]
    assert table.schema.field("time_value").metadata[b"calendar"] == b"360_day"
    assert sorted(set(table.column("time_value").to_pylist())) == [0.0, 59.0, 59.5, 359.0]
