"""The `wekeo` Python package (python/) against a real `wekeo serve`: reads equal a plain
pyarrow.flight read, endpoints are fetched in parallel, streams stay bounded and cancel, bridge
errors arrive as typed exceptions, the bearer token is on every call, and tiles become chips."""
import json
import pathlib
import sys
import threading
import time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.flight as fl
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python"))  # this tree's package, whatever the venv holds

import wekeo  # noqa: E402
from wekeo.tf import chip_batches  # noqa: E402  (numpy only; TensorFlow not needed)


def direct(uri, **q):
    """The reference: pyarrow.flight by hand, endpoint after endpoint."""
    c = fl.connect(uri)
    info = c.get_flight_info(fl.FlightDescriptor.for_command(json.dumps(q)))
    tables = [c.do_get(e.ticket).read_all() for e in info.endpoints]
    c.close()
    return pa.concat_tables(tables) if tables else info.schema.empty_table()


@pytest.fixture(scope="module")
def client(bridge):
    with wekeo.connect(bridge["grpc"]) as c:
        yield c


def test_datasets_and_schema(client):
    assert client.datasets() == ["cams-chemistry", "cmems-currents", "era5-ensemble", "era5-pressure-levels", "ncep-air"]
    s = client.schema("cmems-currents", variables="vo")
    assert s.names == ["time", "lat", "lon", "vo"]
    assert s.field("time").type == pa.timestamp("us", tz="UTC")


def test_read_equals_direct_flight_read(client, bridge):
    q = dict(bbox=[-30, 10, 20, 45], start="2024-01-08", end="2024-01-18", variables=["uo"])
    table = client.read("cmems-currents", **q)
    ref = direct(bridge["grpc"], dataset="cmems-currents", **q)
    assert table.num_rows == ref.num_rows > 0
    assert table.equals(ref)  # same rows in the same (plan) order
    # datetimes and tuples are accepted and mean the same query
    from datetime import datetime, timezone
    again = client.read("cmems-currents", bbox=(-30, 10, 20, 45), start=datetime(2024, 1, 8, tzinfo=timezone.utc), end=datetime(2024, 1, 18), variables="uo")
    assert again.equals(ref)


def test_read_fetches_endpoints_in_parallel(client, monkeypatch):
    """Every endpoint of cmems-currents (12 with --target-rows 50000) is read; with parallel=4
    at least two streams are open at the same moment, and the result keeps plan order."""
    open_now, most = 0, 0
    lock = threading.Lock()
    original = wekeo.Client.endpoint_batches

    def counting(self, endpoint, on_reader=None):
        nonlocal open_now, most
        with lock:
            open_now += 1
            most = max(most, open_now)
        try:
            for b in original(self, endpoint, on_reader):
                time.sleep(0.02)  # hold the stream open a little, as a slow consumer would
                yield b
        finally:
            with lock:
                open_now -= 1

    monkeypatch.setattr(wekeo.Client, "endpoint_batches", counting)
    parallel = client.read("cmems-currents", parallel=4)
    monkeypatch.undo()
    assert most >= 2
    serial = client.read("cmems-currents", parallel=1)
    assert parallel.num_rows == 6 * 171 * 360
    assert parallel.equals(serial)


def test_batches_stream_in_order_with_bounded_buffering(client, monkeypatch):
    """A slow consumer of `batches` never has more than PREFETCH_BATCHES (+ the one being handed
    over) received but unconsumed per open endpoint: the 12 endpoints are not all pulled in."""
    from wekeo import client as client_module

    full = client.read("cmems-currents")
    received = 0
    original = wekeo.Client.endpoint_batches

    def counting(self, endpoint, on_reader=None):
        nonlocal received
        for b in original(self, endpoint, on_reader):
            received += 1
            yield b

    monkeypatch.setattr(wekeo.Client, "endpoint_batches", counting)
    consumed, outstanding, rows, tables = 0, 0, 0, []
    for b in client.batches("cmems-currents", parallel=1):
        time.sleep(0.05)  # slower than the bridge: the producer runs ahead as far as it may
        consumed += 1
        outstanding = max(outstanding, received - consumed)
        rows += b.num_rows
        tables.append(b)
    assert consumed >= 12 and rows == full.num_rows
    assert outstanding <= client_module.PREFETCH_BATCHES + 1, (outstanding, consumed)
    assert pa.Table.from_batches(tables).equals(full)


def test_closing_a_stream_early_cancels_it(client):
    it = client.batches("cmems-currents", parallel=2)
    first = next(it)
    assert first.num_rows > 0
    t0 = time.monotonic()
    it.close()
    assert time.monotonic() - t0 < 5
    # the client is still usable afterwards
    assert client.read("ncep-air").num_rows == 28644


def test_to_pandas(client):
    df = client.to_pandas("ncep-air", start="2014-10-02", end="2014-10-02T18:00")
    assert len(df) == 4 * 231  # four 6-hourly steps of the 11 x 21 grid
    assert list(df.columns) == ["time", "lat", "lon", "air"]
    assert df["time"].min().isoformat() == "2014-10-02T00:00:00+00:00"


def test_empty_time_range_gives_an_empty_table(client):
    t = client.read("ncep-air", start="2030-01-01")
    assert t.num_rows == 0 and t.schema.names == ["time", "lat", "lon", "air"]
    assert list(client.batches("ncep-air", start="2030-01-01")) == []
    # South above north selects nothing: an empty table with the schema, not an error.
    assert client.read("cmems-currents", bbox=[0, 50, 10, 40]).num_rows == 0


@pytest.mark.parametrize(
    "kwargs, error, text",
    [
        ({"name": "no-such-dataset"}, wekeo.WekeoNotFound, 'unknown dataset "no-such-dataset"'),
        ({"name": "cmems-currents", "bbox": [0, -100, 10, 40]}, wekeo.WekeoInvalidQuery, "latitudes must lie within"),
        ({"name": "cmems-currents", "bbox": "a,b,c,d"}, wekeo.WekeoInvalidQuery, '"bbox" must be [west, south, east, north]'),
        ({"name": "cmems-currents", "start": "yesterday-ish"}, wekeo.WekeoInvalidQuery, '"start" is not an ISO-8601'),
        ({"name": "cmems-currents", "variables": ["nope"]}, wekeo.WekeoInvalidQuery, '"nope"'),
        ({"name": "cmems-currents", "tile": [0, 4]}, wekeo.WekeoInvalidQuery, '"tile" must be [height, width]'),
    ],
)
def test_bridge_errors_are_typed_with_the_bridge_message(client, kwargs, error, text):
    with pytest.raises(error) as e:
        client.read(**kwargs)
    assert text in str(e.value)
    assert "Flight returned" not in str(e.value) and "gRPC" not in str(e.value)
    assert isinstance(e.value, wekeo.WekeoError)


def test_no_bridge_names_the_endpoint():
    for call in (lambda c: c.datasets(), lambda c: c.schema("ncep-air"), lambda c: c.read("ncep-air")):
        with pytest.raises(wekeo.WekeoUnavailable) as e:
            call(wekeo.connect("grpc://127.0.0.1:9"))  # GetSchema fails as a plain OSError in pyarrow
        assert "no wekeo bridge answered at grpc://127.0.0.1:9" in str(e.value)
        assert isinstance(e.value, ConnectionError) and "Detail" not in str(e.value)


class _Seen(fl.ServerMiddleware):
    def __init__(self, header):
        self.header = header


class _Recorder(fl.ServerMiddlewareFactory):
    def __init__(self):
        self.seen = []

    def start_call(self, info, headers):
        self.seen.append((info.method, headers.get("authorization")))
        return _Seen(headers.get("authorization"))


class _RejectingServer(fl.FlightServerBase):
    """A real Flight server that checks the header as the bridge's auth does (issue 9)."""

    def list_flights(self, context, criteria):
        self._check(context)
        return iter(())

    def get_flight_info(self, context, descriptor):
        self._check(context)
        raise fl.FlightServerError("unreachable")

    def _check(self, context):
        if context.get_middleware("rec").header != ["Bearer s3cret"]:
            raise fl.FlightUnauthenticatedError("missing or wrong bearer token")


def test_token_is_sent_as_bearer_header_on_every_call():
    rec = _Recorder()
    server = _RejectingServer("grpc://127.0.0.1:0", middleware={"rec": rec})
    try:
        uri = f"grpc://127.0.0.1:{server.port}"
        assert wekeo.connect(uri, token="s3cret").datasets() == []
        with pytest.raises(wekeo.WekeoInternal):
            wekeo.connect(uri, token="s3cret").read("x")
        with pytest.raises(wekeo.WekeoUnauthenticated) as e:
            wekeo.connect(uri, token="wrong").datasets()
        assert "missing or wrong bearer token" in str(e.value)
        with pytest.raises(wekeo.WekeoUnauthenticated):
            wekeo.connect(uri).read("x")
        methods = {m: h for m, h in rec.seen}
        assert rec.seen[0][1] == ["Bearer s3cret"] and rec.seen[1][1] == ["Bearer s3cret"]
        assert fl.FlightMethod.GET_FLIGHT_INFO in methods and fl.FlightMethod.LIST_FLIGHTS in methods
    finally:
        server.shutdown()


@pytest.mark.parametrize("with_tqdm", [True, False])
def test_progress_line_on_request(client, capsys, monkeypatch, with_tqdm):
    if not with_tqdm:
        monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import fails: the plain stderr line
    else:
        pytest.importorskip("tqdm")
    client.read("ncep-air", progress=True)
    err = capsys.readouterr().err
    assert "wekeo ncep-air" in err
    if not with_tqdm:
        assert "28,644 rows 100.0%" in err
    client.read("ncep-air")  # small read, not a terminal: silent
    assert capsys.readouterr().err == ""


def test_chips_hold_the_grid_cells_of_the_points_layout(client):
    """Tiles of 8 x 8 on ncep-air (11 x 21 grid, one time step): each chip's cells are the
    points-layout values at (tile_y + i, tile_x + j) in grid order, NaN (and mask False) in the
    padding past the grid edge."""
    points = client.read("ncep-air", start="2014-10-01T00:00", end="2014-10-01T00:00")
    ny, nx = len(pc.unique(points.column("lat"))), len(pc.unique(points.column("lon")))
    assert (ny, nx) == (11, 21) and points.num_rows == ny * nx
    grid = points.column("air").to_numpy().reshape(ny, nx)  # rows come in grid (C) order
    batches = list(chip_batches(client, "ncep-air", tile=(8, 8), batch_size=4, start="2014-10-01T00:00", end="2014-10-01T00:00"))
    assert [len(b["x"]) for b in batches] == [4, 2]  # 2 x 3 chips, re-batched to 4
    x = np.concatenate([b["x"] for b in batches])
    mask = np.concatenate([b["mask"] for b in batches])
    ty = np.concatenate([b["tile_y"] for b in batches])
    tx = np.concatenate([b["tile_x"] for b in batches])
    assert x.shape == (6, 8, 8, 1) and x.dtype == np.float32
    assert set(batches[0]) >= {"x", "mask", "time", "tile_y", "tile_x", "lat_min", "lat_max", "lon_min", "lon_max"}
    assert sorted(zip(ty.tolist(), tx.tolist())) == [(0, 0), (0, 8), (0, 16), (8, 0), (8, 8), (8, 16)]
    for k in range(6):
        want = np.full((8, 8), np.nan, np.float32)
        part = grid[ty[k]:ty[k] + 8, tx[k]:tx[k] + 8]
        want[: part.shape[0], : part.shape[1]] = part
        np.testing.assert_array_equal(x[k, :, :, 0], want)
        np.testing.assert_array_equal(mask[k, :, :, 0], ~np.isnan(want))
    assert (~mask).sum() == 6 * 64 - ny * nx  # only the padding is missing in this file
    filled = list(chip_batches(client, "ncep-air", tile=(8, 8), batch_size=8, fill=0.0, start="2014-10-01T00:00", end="2014-10-01T00:00"))[0]
    assert not np.isnan(filled["x"]).any() and (filled["x"][~filled["mask"]] == 0).all()


@pytest.fixture(scope="module")
def secure_bridge(tmp_path_factory):
    """`wekeo serve` with a bearer token and TLS (a certificate made here by openssl)."""
    import shutil
    import subprocess

    from test_service_security import Bridge, run_env  # its bridge starter reads the grpc+tls:// banner

    if shutil.which("openssl") is None:
        pytest.skip("openssl is missing (scripts/apt-packages.txt; ./dev installs it)")
    d = tmp_path_factory.mktemp("py-tls")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem"),
         "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    (d / "tokens.txt").write_text("py-client-token-1234\n")
    b = Bridge(["--host", "127.0.0.1", "--auth-token-file", str(d / "tokens.txt"), "--tls-cert", str(d / "cert.pem"), "--tls-key", str(d / "key.pem"),
                "--target-rows", "10000", "--catalog", str(ROOT / "samples")], env=run_env())
    yield {"grpc": b.grpc, "cert": d / "cert.pem"}
    b.stop()


def test_token_and_tls_against_a_secured_bridge(secure_bridge):
    uri = secure_bridge["grpc"]
    assert uri.startswith("grpc+tls://")
    with wekeo.connect(uri, token="py-client-token-1234", tls_root_certs=secure_bridge["cert"]) as c:
        assert "ncep-air" in c.datasets()
        assert c.schema("ncep-air").names == ["time", "lat", "lon", "air"]
        assert c.read("ncep-air", parallel=2).num_rows == 28644  # GetFlightInfo and every DoGet carry the token
        assert sum(b.num_rows for b in c.batches("ncep-air")) == 28644
    for token in (None, "wrong-token"):
        with wekeo.connect(uri, token=token, tls_root_certs=secure_bridge["cert"].read_bytes()) as c:
            with pytest.raises(wekeo.WekeoUnauthenticated) as e:
                c.read("ncep-air")
            assert "bearer token" in str(e.value) and "wrong-token" not in str(e.value)


def test_group_is_passed_to_the_bridge(client):
    """`group=` names a variable group (the schema metadata's wekeo.group): the default group read
    by name equals the default read; an unknown group is the bridge's typed error."""
    group = client.schema("era5-pressure-levels").metadata[b"wekeo.group"].decode()
    assert client.read("era5-pressure-levels", group=group).equals(client.read("era5-pressure-levels"))
    with pytest.raises(wekeo.WekeoError) as e:
        client.read("era5-pressure-levels", group="no-such-group")
    assert "no-such-group" in str(e.value)
