"""`wekeo export` read back by three engines: pyarrow.dataset, DuckDB and Spark (`spark.read.parquet`)
must each get exactly the rows a pyarrow.flight read of the same query gives, with the field
metadata (units) kept, in hive-partitioned folders with a `_SUCCESS` marker.

Exports run through the built CLI both against the running bridge (`--endpoint`) and decoding the
embedded samples in-process.
"""
import json
import pathlib
import re
import subprocess

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.flight as fl
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PARTITION_KEYS = ("time_bucket", "lat_band")

CASES = [
    # (name, query, extra CLI args, via endpoint?)
    ("cmems-day", {"dataset": "cmems-currents", "bbox": [-30, 10, 20, 45], "start": "2024-01-08", "end": "2024-01-18", "variables": ["uo", "vo"]}, ["--partition-by", "day"], True),
    ("era5-levels", {"dataset": "era5-pressure-levels"}, ["--partition-by", "month", "--compression", "snappy"], True),
    ("cams-grib-bands", {"dataset": "cams-chemistry"}, ["--lat-band", "30"], False),
    ("cmems-tiles", {"dataset": "cmems-currents", "layout": "tiles", "tile": [8, 8], "variables": ["uo"]}, ["--partition-by", "year"], False),
]


def cli_args(q):
    args = ["--dataset", q["dataset"]]
    if "bbox" in q:
        args += ["--bbox", ",".join(str(v) for v in q["bbox"])]
    for k in ("start", "end", "layout"):
        if k in q:
            args += [f"--{k}", q[k]]
    if "variables" in q:
        args += ["--variables", ",".join(q["variables"])]
    if "tile" in q:
        args += ["--tile", ",".join(str(v) for v in q["tile"])]
    return args


def flight_read(uri, q):
    c = fl.connect(uri)
    info = c.get_flight_info(fl.FlightDescriptor.for_command(json.dumps(q)))
    return pa.concat_tables([c.do_get(e.ticket).read_all() for e in info.endpoints])


def canonical(table, schema):
    """The table in the Flight schema's columns and types, rows in a fixed order, no partition keys."""
    cols = []
    for f in schema:
        col = table.column(f.name)
        if col.type != f.type:
            col = col.cast(f.type)
        cols.append(col)
    t = pa.table(cols, names=schema.names)
    keys = [n for n in ("time", "level", "level_type", "lat", "lon", "tile_y", "tile_x", "lat_min", "lon_min") if n in t.column_names]
    return t.sort_by([(k, "ascending") for k in keys]).combine_chunks()


def same_values(a, b):
    """Exact equality where NaN equals NaN (tiles pad with NaN); lists compared element by element."""
    a, b = a.combine_chunks(), b.combine_chunks()
    if a.null_count != b.null_count or not a.is_null().equals(b.is_null()):
        return False
    if pa.types.is_fixed_size_list(b.type) or pa.types.is_list(b.type):
        return same_values(pa.chunked_array([a.flatten()]), pa.chunked_array([b.flatten()]))
    if pa.types.is_floating(b.type):
        return bool(np.array_equal(a.to_numpy(zero_copy_only=False), b.to_numpy(zero_copy_only=False), equal_nan=True))
    return a.equals(b)


def assert_same_rows(got, expected):
    assert got.num_rows == expected.num_rows
    for name in expected.column_names:
        assert same_values(got.column(name), expected.column(name)), f"column {name} differs"


@pytest.fixture(scope="module")
def exports(bridge, tmp_path_factory):
    out = {}
    for name, q, extra, remote in CASES:
        d = tmp_path_factory.mktemp("export") / name
        source = ["--endpoint", bridge["grpc"]] if remote else []
        r = subprocess.run(["node", str(ROOT / "bin" / "wekeo.js"), "export", *cli_args(q), *source, "--out", str(d), *extra], cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr
        out[name] = (d, q, r.stderr, flight_read(bridge["grpc"], q))
    return out


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    s = (
        SparkSession.builder.master("local[1]")
        .appName("wekeo-export-test")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    yield s
    s.stop()


@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_layout_marker_and_metadata(exports, bridge, name):
    d, q, log, expected = exports[name]
    assert (d / "_SUCCESS").exists()
    files = sorted(p.relative_to(d).as_posix() for p in d.rglob("*") if p.is_file() and p.name != "_SUCCESS")
    assert files, "no Parquet file written"
    band = r"(/lat_band=-?\d+)?" if name.endswith("bands") else ""
    for f in files:
        assert re.fullmatch(r"time_bucket=\d{4}(-\d{2}){0,2}" + band + r"/part-\d{5}\.parquet", f), f
    if name.endswith("bands"):
        assert any("/lat_band=" in f for f in files)
    assert not [p for p in d.iterdir() if p.name.startswith(".")], "temporary folder left behind"
    schema = ds.dataset(d, format="parquet", partitioning="hive").schema
    for f in expected.schema:
        assert schema.field(f.name).metadata == f.metadata, f.name
    assert re.search(r"wrote [\d,]+ rows in \d+ files", log)


@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_pyarrow_dataset_reads_the_flight_rows(exports, bridge, name):
    d, q, _, expected = exports[name]
    got = ds.dataset(d, format="parquet", partitioning="hive").to_table()
    assert got.num_rows > 0
    assert_same_rows(canonical(got, expected.schema), canonical(expected, expected.schema))
    # The partition key is the rows' own time bucket.
    if "time_bucket" in got.column_names:
        month = pc.strftime(got.column("time"), format="%Y")
        assert pc.all(pc.starts_with(got.column("time_bucket").cast(pa.string()), "")).as_py()
        assert pc.all(pc.equal(pc.utf8_slice_codeunits(got.column("time_bucket").cast(pa.string()), 0, 4), month)).as_py()


@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_duckdb_reads_the_flight_rows(exports, bridge, name):
    d, q, _, expected = exports[name]
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    res = con.execute(f"SELECT * FROM read_parquet('{d.as_posix()}/**/*.parquet', hive_partitioning = true)").arrow()
    got = res.read_all() if isinstance(res, pa.RecordBatchReader) else res
    assert_same_rows(canonical(got, expected.schema), canonical(expected, expected.schema))


# Spark costs most per case (JVM jobs): the points layout by day and the pressure levels by month.
@pytest.mark.parametrize("name", ["cmems-day", "era5-levels"])
def test_spark_reads_the_flight_rows(exports, bridge, spark, name):
    d, q, _, expected = exports[name]
    df = spark.read.parquet(str(d))
    assert "time_bucket" in df.columns
    got = df.toArrow()
    assert_same_rows(canonical(got, expected.schema), canonical(expected, expected.schema))


@pytest.fixture(scope="module")
def secured_bridge(tmp_path_factory):
    """`wekeo serve` with a bearer token and TLS on a self-signed certificate (openssl), as in test_service_security."""
    import shutil

    from test_service_security import Bridge, run_env

    if shutil.which("openssl") is None:
        pytest.skip("openssl is missing (scripts/apt-packages.txt; ./dev installs it)")
    d = tmp_path_factory.mktemp("export-tls")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem"),
         "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    (d / "tokens.txt").write_text(f"{EXPORT_TOKEN}\n")
    b = Bridge(["--host", "127.0.0.1", "--auth-token-file", str(d / "tokens.txt"), "--tls-cert", str(d / "cert.pem"), "--tls-key", str(d / "key.pem"),
                "--target-rows", "1000", "--catalog", str(ROOT / "samples")], env=run_env())  # several endpoints, each DoGet with the token
    yield {"grpc": b.grpc, "cert": d / "cert.pem", "bridge": b}
    b.stop()


EXPORT_TOKEN = "export-token-5678abcd"
SECURE_QUERY = {"dataset": "cmems-currents", "bbox": [-30, 10, 20, 45], "start": "2024-01-08", "end": "2024-01-18", "variables": ["uo"]}


def run_export(args, env_extra=None):
    import os

    env = {k: v for k, v in os.environ.items() if k != "WEKEO_TOKEN"}
    env.update(env_extra or {})
    return subprocess.run(["node", str(ROOT / "bin" / "wekeo.js"), "export", *args], cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)


def test_export_from_a_bridge_with_token_and_tls(secured_bridge, tmp_path):
    """--endpoint grpc+tls:// with --tls-root-certs and the token from WEKEO_TOKEN or --token: the
    same rows as a pyarrow.flight read with that token; a wrong or missing token and an untrusted
    certificate fail with a message naming the bridge and the reason, without echoing the token
    and without leaving files."""
    uri = secured_bridge["grpc"]
    cert = secured_bridge["cert"]
    assert uri.startswith("grpc+tls://")
    c = fl.connect(uri, tls_root_certs=cert.read_bytes())
    opts = fl.FlightCallOptions(headers=[(b"authorization", f"Bearer {EXPORT_TOKEN}".encode())])
    info = c.get_flight_info(fl.FlightDescriptor.for_command(json.dumps(SECURE_QUERY)), opts)
    assert len(info.endpoints) > 1
    expected = pa.concat_tables([c.do_get(e.ticket, opts).read_all() for e in info.endpoints])
    c.close()

    base = cli_args(SECURE_QUERY) + ["--endpoint", uri, "--tls-root-certs", str(cert)]
    for how, extra, env in [("env", [], {"WEKEO_TOKEN": EXPORT_TOKEN}), ("flag", ["--token", EXPORT_TOKEN], None)]:
        out = tmp_path / how
        r = run_export([*base, *extra, "--out", str(out)], env)
        assert r.returncode == 0, r.stderr
        assert (out / "_SUCCESS").exists()
        got = ds.dataset(out, format="parquet", partitioning="hive").to_table()
        assert_same_rows(canonical(got, expected.schema), canonical(expected, expected.schema))

    for name, extra, env, message in [
        ("wrong", [], {"WEKEO_TOKEN": "wrong-token-0000"}, r"the bridge at grpc\+tls://\S+ answered UNAUTHENTICATED: unauthenticated: a valid bearer token is required"),
        ("none", [], None, r"answered UNAUTHENTICATED"),
    ]:
        out = tmp_path / name
        r = run_export([*base, *extra, "--out", str(out)], env)
        assert r.returncode == 1, r.stderr
        assert re.search(message, r.stderr), r.stderr
        assert "wrong-token-0000" not in r.stderr and "Error:" not in r.stderr and "    at " not in r.stderr
        assert not [p for p in out.rglob("*") if p.is_file()]

    # Without --tls-root-certs the self-signed certificate is not trusted: no connection.
    r = run_export([*cli_args(SECURE_QUERY), "--endpoint", uri, "--out", str(tmp_path / "untrusted")], {"WEKEO_TOKEN": EXPORT_TOKEN})
    assert r.returncode == 1
    assert re.search(r"no bridge answered at grpc\+tls://\S+: .*(certificate|SSL|handshake)", r.stderr, re.I), r.stderr
    # Option mistakes are named before anything is read.
    r = run_export([*cli_args(SECURE_QUERY), "--endpoint", uri.replace("grpc+tls", "grpc"), "--tls-root-certs", str(cert), "--out", str(tmp_path / "x")])
    assert r.returncode == 1 and "--tls-root-certs needs a grpc+tls:// endpoint" in r.stderr
    r = run_export([*cli_args(SECURE_QUERY), "--endpoint", uri, "--tls-root-certs", str(tmp_path / "missing.pem"), "--out", str(tmp_path / "y")])
    assert r.returncode == 1 and re.search(r"cannot read --tls-root-certs \S+missing.pem: ENOENT", r.stderr)
    r = run_export([*cli_args(SECURE_QUERY), "--token", EXPORT_TOKEN, "--out", str(tmp_path / "z")])
    assert r.returncode == 1 and "--token and --tls-root-certs apply to --endpoint" in r.stderr
