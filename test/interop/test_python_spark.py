"""The Spark 4 Python data source (`wekeo.spark.WekeoDataSource`) on a real local Spark session
against a real `wekeo serve`: results equal a direct pyarrow read, time/lat/lon filters are
pushed (fewer partitions planned) and give exactly the rows the same filter gives in pyarrow,
empty and out-of-range ranges behave, the session time zone is honoured, and bad options are
named. One Spark session for the module (its start-up dominates the cost)."""
import datetime as dt
import os
import pathlib
import re
import sys
import urllib.request

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from conftest import canonical

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python"))

pyspark = pytest.importorskip("pyspark", minversion="4.1")  # pushFilters needs 4.1 (requirements.txt pins it)

import wekeo  # noqa: E402


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    # Python workers must run this venv's interpreter and import this tree's package.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT / "python"), os.environ.get("PYTHONPATH", "")])
    s = (SparkSession.builder.master("local[2]").appName("wekeo-python-datasource")
         .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
         .config("spark.sql.session.timeZone", "UTC").config("spark.sql.adaptive.enabled", "false").getOrCreate())
    from wekeo.spark import register

    register(s)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def client(bridge):
    with wekeo.connect(bridge["grpc"]) as c:
        yield c


def load(spark, bridge, dataset, **options):
    r = spark.read.format("wekeo").option("endpoint", bridge["grpc"]).option("dataset", dataset)
    for k, v in options.items():
        r = r.option(k, v)
    return r.load()


def test_full_read_equals_direct_pyarrow_read(spark, bridge, client):
    df = load(spark, bridge, "ncep-air")
    assert df.columns == ["time", "lat", "lon", "air"]
    assert df.rdd.getNumPartitions() == len(client.plan("ncep-air").endpoints)
    assert canonical(df.toArrow()).equals(canonical(client.read("ncep-air")))


def test_filters_are_pushed_prune_partitions_and_equal_pyarrow(spark, bridge, client):
    df = load(spark, bridge, "cmems-currents", variables="uo")
    full_parts = df.rdd.getNumPartitions()
    assert full_parts == 12  # --target-rows 50000
    where = "lat between 10 and 45 and time >= '2024-01-08' and time < '2024-01-23' and lon > 100 and lon <= 170"
    f = df.where(where)
    assert f.rdd.getNumPartitions() < full_parts / 2
    got = canonical(f.toArrow())
    t = client.read("cmems-currents", variables="uo")
    start, end = pa.scalar(dt.datetime(2024, 1, 8), pa.timestamp("us", tz="UTC")), pa.scalar(dt.datetime(2024, 1, 23), pa.timestamp("us", tz="UTC"))
    lat, lon, time = t.column("lat"), t.column("lon"), t.column("time")
    mask = pc.and_(pc.and_(pc.and_(pc.greater_equal(lat, 10), pc.less_equal(lat, 45)), pc.and_(pc.greater_equal(time, start), pc.less(time, end))),
                   pc.and_(pc.greater(lon, 100), pc.less_equal(lon, 170)))
    want = canonical(t.filter(mask))
    assert got.num_rows == want.num_rows > 0
    assert got.equals(want)


def test_session_time_zone_is_honoured(spark, bridge, client):
    """In Tokyo (UTC+9) '2024-01-08 05:00'..'2024-01-13 12:00' is 2024-01-07T20:00Z..2024-01-13T03:00Z:
    the steps of the 8th and 13th (00:00Z) are in, where UTC would give only the 13th."""
    df = load(spark, bridge, "cmems-currents", variables="uo", bbox="0,0,10,10")
    spark.conf.set("spark.sql.session.timeZone", "Asia/Tokyo")
    try:
        tokyo = df.where("time >= '2024-01-08 05:00' and time <= '2024-01-13 12:00'").toArrow()
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")
    times = sorted(set(tokyo.column("time").cast(pa.timestamp("us", tz="UTC")).to_pylist()))
    assert [t.isoformat() for t in times] == ["2024-01-08T00:00:00+00:00", "2024-01-13T00:00:00+00:00"]
    # (in UTC the same bounds would hold only the 13th: the filter test above runs in UTC)


def test_empty_ranges_give_empty_results(spark, bridge):
    df = load(spark, bridge, "cmems-currents")
    for where in ["lat > 40 and lat < 30", "lon < -100 and lon > 100", "lat > 95"]:
        # planned without asking the bridge for partitions: Spark's one stand-in partition, which reads nothing
        assert df.where(where).rdd.getNumPartitions() == 1, where
    assert df.where("lat between 50 and 40").count() == 0
    assert df.where("time between '2024-01-20' and '2024-01-10'").count() == 0
    # A range outside the dataset's span (2024-01-03..28) is no error either: the bridge plans no endpoint.
    assert df.where("time >= '2030-01-01'").count() == 0
    assert df.where("time < '2000-01-01' and lat > 10").rdd.getNumPartitions() == 1
    assert load(spark, bridge, "cmems-currents", start="2030-01-01", end="2030-12-31").count() == 0


def test_out_of_range_bounds_are_clamped_and_lon_follows_the_grid(spark, bridge, client):
    df = load(spark, bridge, "ncep-air")  # a 0..360 longitude grid
    assert df.where("lat >= -100 and lat <= 1000 and lon > -400").count() == 28644
    t = client.read("ncep-air")
    want = t.filter(pc.and_(pc.greater_equal(t.column("lon"), 250), pc.less(t.column("lon"), 260))).num_rows
    assert 0 < want == df.where("lon >= 250 and lon < 260").count()
    assert df.where("lon < 0").count() == 0


def test_tiles_layout_option(spark, bridge, client):
    df = load(spark, bridge, "ncep-air", tile="8,8", start="2014-10-01T00:00", end="2014-10-01T00:00")
    assert dict(df.dtypes)["air"] == "array<float>"
    got = canonical(df.toArrow())
    want = canonical(client.read("ncep-air", tile=(8, 8), start="2014-10-01T00:00", end="2014-10-01T00:00"))
    assert got.num_rows == 6 and got.schema.equals(want.schema)
    for name in want.column_names:
        if pa.types.is_list(want.schema.field(name).type):  # NaN padding: compared as numpy (NaN == NaN there)
            np.testing.assert_array_equal(pc.list_flatten(got.column(name)).to_numpy(), pc.list_flatten(want.column(name)).to_numpy())
        else:
            assert got.column(name).equals(want.column(name)), name


def test_bad_options_are_named(spark, bridge):
    with pytest.raises(Exception) as e:
        load(spark, bridge, "ncep-air", bbx="0,0,1,1")
    assert "unknown option(s) bbx" in str(e.value) and "valid: endpoint, dataset, bbox" in str(e.value)
    with pytest.raises(Exception) as e:
        load(spark, bridge, "ncep-air", bbox="a,b,c,d")
    assert '"bbox" must be [west, south, east, north] in degrees' in str(e.value)
    with pytest.raises(Exception) as e:
        spark.read.format("wekeo").option("endpoint", "grpc://127.0.0.1:9").option("dataset", "ncep-air").load()
    assert "no wekeo bridge answered at grpc://127.0.0.1:9" in str(e.value)


def bytes_sent(bridge, dataset):
    """The bridge's /metrics counter of bytes sent for one dataset."""
    body = urllib.request.urlopen(bridge["http"] + "/metrics", timeout=10).read().decode()
    m = re.search(r'^wekeo_bytes_sent_total\{dataset="' + re.escape(dataset) + r'"\} (\S+)$', body, re.M)
    return float(m.group(1)) if m else 0.0


def test_level_and_member_predicates_slice_the_axes_with_exact_rows(spark, bridge, client):
    df = load(spark, bridge, "era5-ensemble", variables="t")
    full = client.read("era5-ensemble", variables=["t"])
    cases = [
        ("number = 3", pc.equal(full.column("number"), 3)),
        ("number in (1, 4) and level = 500", pc.and_(pc.is_in(full.column("number"), pa.array([1, 4], full.column("number").type)), pc.equal(full.column("level"), 500))),
        ("level > 500", pc.greater(full.column("level"), 500)),
        ("level between 300 and 600 and number >= 8", pc.and_(pc.and_(pc.greater_equal(full.column("level"), 300), pc.less_equal(full.column("level"), 600)), pc.greater_equal(full.column("number"), 8))),
    ]
    for where, mask in cases:
        f = df.where(where)
        want = canonical(full.filter(mask).select(df.columns))
        got = canonical(f.toArrow())
        assert got.num_rows == want.num_rows > 0, where
        assert got.sort_by([(k, "ascending") for k in ("time", "level", "number", "lat", "lon")]).equals(
            want.sort_by([(k, "ascending") for k in ("time", "level", "number", "lat", "lon")])), where
    # the bridge sliced the member axis: one member of 10 sends about a tenth of the bytes
    full_bytes = client.plan("era5-ensemble", variables=["t"]).total_bytes
    before = bytes_sent(bridge, "era5-ensemble")
    df.where("number = 3").toArrow()
    one_bytes = bytes_sent(bridge, "era5-ensemble") - before
    assert 0 < one_bytes < 0.2 * full_bytes
    # no level can match: nothing is planned (Spark's one stand-in partition) and nothing read
    assert df.where("level in (500, 850) and level < 400").rdd.getNumPartitions() == 1
    assert df.where("level in (500, 850) and level < 400").count() == 0


def test_group_option_reads_that_group_only(spark, bridge, client):
    # cmems-currents holds the (time, lat, lon) currents and a scalar depth: two variable groups
    scalar = load(spark, bridge, "cmems-currents", group="(scalar)")
    assert scalar.columns == ["depth"]
    assert scalar.toArrow().equals(client.read("cmems-currents", group="(scalar)"))
    grid = load(spark, bridge, "cmems-currents", group="time,latitude,longitude")
    assert grid.columns == ["time", "lat", "lon", "uo", "vo"] and grid.count() == 6 * 171 * 360
    with pytest.raises(Exception) as e:
        load(spark, bridge, "cmems-currents", group="nope")
    assert 'no variable group "nope"' in str(e.value)
