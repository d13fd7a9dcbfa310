"""Operations endpoints of a real `wekeo serve` (HTTP port), read with a real pyarrow.flight client:
/healthz, /metrics (parsed; counters move after a Flight read), one JSON log line per request on
stderr (never the token from a URL).
"""
import json
import re
import time
import urllib.error
import urllib.request

import pyarrow as pa
import pyarrow.flight as fl
import pytest

from conftest import _serve


@pytest.fixture(scope="module")
def ops():
    """A bridge with JSON request logs; its stderr lines are collected."""
    yield from _serve(["--log-format", "json"])


def get(url):
    """(status, headers, body bytes) of a GET, error statuses included."""
    try:
        with urllib.request.urlopen(url, timeout=60) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')


def scrape(ops):
    """/metrics parsed into {(name, frozenset(labels)): value}, and the declared types."""
    status, headers, body = get(ops["http"] + "/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    values, types = {}, {}
    for line in body.decode().splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            types[name] = kind
        elif line and not line.startswith("#"):
            m = SAMPLE.match(line)
            assert m, f"not a Prometheus sample line: {line!r}"
            labels = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
            values[(m.group(1), labels)] = float(m.group(3))
    return values, types


def value(values, name, **labels):
    return values.get((name, frozenset(labels.items())), 0.0)


def wait_healthy(ops):
    deadline = time.time() + 120  # worker start-up loads h5wasm and codecs; slow on a loaded machine
    while True:
        status, _, body = get(ops["http"] + "/healthz")
        if status == 200 or time.time() > deadline:
            return status, json.loads(body)
        time.sleep(0.1)


def test_healthz_is_200_when_serving(ops):
    status, body = wait_healthy(ops)
    assert status == 200 and body["status"] == "ok"


def test_metrics_declare_every_family(ops):
    _, types = scrape(ops)
    expected = {
        "wekeo_requests_total": "counter", "wekeo_rows_sent_total": "counter", "wekeo_bytes_sent_total": "counter",
        "wekeo_decode_seconds": "histogram", "wekeo_streams_in_flight": "gauge", "wekeo_decode_queue_depth": "gauge",
        "wekeo_cache_hits_total": "counter", "wekeo_cache_misses_total": "counter", "wekeo_hda_requests_total": "counter",
        "wekeo_hda_retries_total": "counter", "wekeo_hda_bytes_downloaded_total": "counter",
        "wekeo_cache_bytes": "gauge", "wekeo_cache_budget_bytes": "gauge", "wekeo_cache_entries": "gauge", "wekeo_cache_evictions_total": "counter",
    }
    assert {k: types.get(k) for k in expected} == expected


def test_counters_move_after_a_flight_read(ops):
    before, _ = scrape(ops)
    c = fl.connect(ops["grpc"])
    q = {"dataset": "ncep-air", "start": "2014-10-01", "end": "2014-10-01T18:00"}
    info = c.get_flight_info(fl.FlightDescriptor.for_command(json.dumps(q)))
    table = pa.concat_tables(c.do_get(e.ticket).read_all() for e in info.endpoints)
    table2 = pa.concat_tables(c.do_get(e.ticket).read_all() for e in info.endpoints)  # second read: from the cache
    with pytest.raises(pa.ArrowInvalid, match="unknown query key"):
        c.get_flight_info(fl.FlightDescriptor.for_command(json.dumps({"dataset": "ncep-air", "bogus": 1})))
    c.close()
    after, _ = scrape(ops)
    n = len(info.endpoints)
    assert table.num_rows > 0 and table2.num_rows == table.num_rows
    assert value(after, "wekeo_requests_total", rpc="GetFlightInfo", status="OK") - value(before, "wekeo_requests_total", rpc="GetFlightInfo", status="OK") == 1
    assert value(after, "wekeo_requests_total", rpc="GetFlightInfo", status="INVALID_ARGUMENT") - value(before, "wekeo_requests_total", rpc="GetFlightInfo", status="INVALID_ARGUMENT") == 1
    assert value(after, "wekeo_requests_total", rpc="DoGet", status="OK") - value(before, "wekeo_requests_total", rpc="DoGet", status="OK") == 2 * n
    assert value(after, "wekeo_rows_sent_total", dataset="ncep-air") - value(before, "wekeo_rows_sent_total", dataset="ncep-air") == 2 * table.num_rows
    sent = value(after, "wekeo_bytes_sent_total", dataset="ncep-air") - value(before, "wekeo_bytes_sent_total", dataset="ncep-air")
    assert sent >= 2 * table.nbytes  # FlightData framing on top of the Arrow buffers
    assert value(after, "wekeo_cache_misses_total") - value(before, "wekeo_cache_misses_total") == n
    assert value(after, "wekeo_cache_hits_total") - value(before, "wekeo_cache_hits_total") == n
    assert value(after, "wekeo_decode_seconds_count") - value(before, "wekeo_decode_seconds_count") == n
    assert value(after, "wekeo_decode_seconds_sum") > value(before, "wekeo_decode_seconds_sum")
    assert value(after, "wekeo_streams_in_flight") == 0
    # the previous scrape is itself counted
    assert value(after, "wekeo_requests_total", rpc="GET /metrics", status="200") >= 1


def test_http_stream_is_counted_and_logged_without_the_token(ops):
    before, _ = scrape(ops)
    status, _, body = get(ops["http"] + "/stream?dataset=ncep-air&start=2014-10-01&end=2014-10-01&token=SECRET-TOKEN-123")
    assert status == 200
    rows = pa.ipc.open_stream(body).read_all().num_rows
    after, _ = scrape(ops)
    assert value(after, "wekeo_requests_total", rpc="GET /stream", status="200") - value(before, "wekeo_requests_total", rpc="GET /stream", status="200") == 1
    assert value(after, "wekeo_rows_sent_total", dataset="ncep-air") - value(before, "wekeo_rows_sent_total", dataset="ncep-air") == rows
    assert value(after, "wekeo_bytes_sent_total", dataset="ncep-air") - value(before, "wekeo_bytes_sent_total", dataset="ncep-air") == len(body)
    time.sleep(0.2)
    logged = [json.loads(l) for l in ops["stderr"] if l.startswith("{")]
    line = [l for l in logged if l["method"] == "GET /stream" and l["status"] == "200"][-1]
    assert {k: line[k] for k in ("dataset", "rows", "bytes")} == {"dataset": "ncep-air", "rows": rows, "bytes": len(body)}
    assert isinstance(line["ms"], int)
    assert not any("SECRET-TOKEN-123" in l for l in ops["stderr"])


def test_one_json_log_line_per_flight_request(ops):
    c = fl.connect(ops["grpc"])
    start = len(ops["stderr"])
    info = c.get_flight_info(fl.FlightDescriptor.for_command(json.dumps({"dataset": "era5-pressure-levels", "variables": ["t"]})))
    rows = sum(c.do_get(e.ticket).read_all().num_rows for e in info.endpoints)
    c.close()
    time.sleep(0.2)
    logged = [json.loads(l) for l in ops["stderr"][start:] if l.startswith("{")]
    assert [l["method"] for l in logged] == ["GetFlightInfo"] + ["DoGet"] * len(info.endpoints)
    assert all(set(l) >= {"method", "dataset", "rows", "bytes", "ms", "status"} for l in logged)
    assert all(l["dataset"] == "era5-pressure-levels" and l["status"] == "OK" for l in logged)
    assert sum(l["rows"] for l in logged if l["method"] == "DoGet") == rows


def test_dataset_summary_matches_the_data(ops):
    status, _, body = get(ops["http"] + "/datasets/ncep-air")
    assert status == 200
    s = json.loads(body)
    assert s["source"] == "local" and s["files"] == 1
    [g] = s["groups"]
    assert g["default"] and g["variables"] == [{"name": "air", "type": "float64", "units": "degK", "long_name": "4xDaily Air temperature at sigma level 995"}]
    c = fl.connect(ops["grpc"])
    info = c.get_flight_info(fl.FlightDescriptor.for_command(json.dumps({"dataset": "ncep-air"})))
    table = pa.concat_tables(c.do_get(e.ticket).read_all() for e in info.endpoints)
    c.close()
    assert s["rows"] == g["rows"] == info.total_records == table.num_rows
    times = table.column("time").to_pylist()
    iso = lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert s["time"] == {"start": iso(min(times)), "end": iso(max(times))}
    assert g["time"]["steps"] == len(set(times))
    lat, lon = table.column("lat").to_pylist(), table.column("lon").to_pylist()
    assert s["bbox"] == [min(lon), min(lat), max(lon), max(lat)]


def test_dataset_summary_of_a_leveled_dataset(ops):
    s = json.loads(get(ops["http"] + "/datasets/era5-pressure-levels")[2])
    [g] = s["groups"]
    assert [(v["name"], v["units"]) for v in g["variables"]] == [("t", "K"), ("z", "m**2 s**-2")]
    assert g["levels"] == {"count": 2, "min": 500, "max": 850, "units": "millibars"}


@pytest.mark.parametrize("params,query", [
    ("", {}),
    ("?variables=uo", {"variables": ["uo"]}),
    ("?layout=tiles&tile=8,16&variables=vo", {"layout": "tiles", "tile": [8, 16], "variables": ["vo"]}),
])
def test_http_schema_equals_flight_get_schema(ops, params, query):
    status, headers, body = get(ops["http"] + "/datasets/cmems-currents/schema" + params)
    assert status == 200 and headers["Content-Type"] == "application/vnd.apache.arrow.stream"
    c = fl.connect(ops["grpc"])
    flight = c.get_schema(fl.FlightDescriptor.for_command(json.dumps({"dataset": "cmems-currents", **query}))).schema
    c.close()
    http = pa.ipc.open_stream(body).schema
    assert http.equals(flight, check_metadata=True)
    assert pa.ipc.read_schema(pa.py_buffer(body)).equals(flight)


# The same bad query over Flight (CMD JSON) and HTTP (/plan parameters): same status, same message.
BAD = [
    ({"dataset": "ncep-air", "layout": "grid"}, "dataset=ncep-air&layout=grid"),
    ({"dataset": "ncep-air", "tile": [8, 8]}, "dataset=ncep-air&tile=8,8"),
    ({"dataset": "ncep-air", "layout": "tiles", "tile": [0, 8]}, "dataset=ncep-air&layout=tiles&tile=0,8"),
    ({"dataset": "ncep-air", "layout": "tiles", "tile": [8]}, "dataset=ncep-air&layout=tiles&tile=8"),
    ({"dataset": "ncep-air", "filters": "x"}, "dataset=ncep-air&filters=x"),
    ({"dataset": "ncep-air", "bbox": [0, 10, 20]}, "dataset=ncep-air&bbox=0,10,20"),
    ({"dataset": "ncep-air", "start": "yesterday"}, "dataset=ncep-air&start=yesterday"),
    ({"dataset": "ncep-air", "varibles": ["air"]}, "dataset=ncep-air&varibles=air"),
    ({"dataset": "ncep-air", "variables": ["nope"]}, "dataset=ncep-air&variables=nope"),
    ({"dataset": "no-such-dataset"}, "dataset=no-such-dataset"),
]


EMPTY = [
    ({"dataset": "ncep-air", "start": "2014-10-05", "end": "2014-10-01"}, "dataset=ncep-air&start=2014-10-05&end=2014-10-01"),
    ({"dataset": "ncep-air", "bbox": [0, 50, 20, 10]}, "dataset=ncep-air&bbox=0,50,20,10"),
]


@pytest.mark.parametrize("flight_query,http_query", EMPTY)
def test_empty_ranges_plan_nothing_over_flight_and_http(ops, flight_query, http_query):
    # Start after end or south above north select nothing (Spark's "lat between 50 and 40"): no partitions, no error.
    c = fl.connect(ops["grpc"])
    assert len(c.get_flight_info(fl.FlightDescriptor.for_command(json.dumps(flight_query))).endpoints) == 0
    c.close()
    status, _, body = get(ops["http"] + "/plan?" + http_query)
    assert status == 200 and json.loads(body)["tickets"] == []


@pytest.mark.parametrize("flight_query,http_query", BAD)
def test_flight_and_http_give_the_same_error(ops, flight_query, http_query):
    c = fl.connect(ops["grpc"])
    with pytest.raises(pa.ArrowException) as e:
        c.get_flight_info(fl.FlightDescriptor.for_command(json.dumps(flight_query)))
    c.close()
    status, _, body = get(ops["http"] + "/plan?" + http_query)
    err = json.loads(body)
    # pyarrow maps gRPC INVALID_ARGUMENT to ArrowInvalid and NOT_FOUND to ArrowKeyError.
    assert (status, type(e.value)) in [(400, pa.ArrowInvalid), (404, pa.ArrowKeyError)]
    assert err["status"] == {400: "INVALID_ARGUMENT", 404: "NOT_FOUND"}[status]
    assert f"message: {err['error']}" in str(e.value)


def test_bad_dataset_pages_are_client_errors(ops):
    status, _, body = get(ops["http"] + "/datasets/%E0%A4%A")
    assert status == 400 and "malformed %-escape" in json.loads(body)["error"]
    status, _, body = get(ops["http"] + "/datasets/ncep-air/quicklook.png?variable=nope")
    assert status == 400 and json.loads(body)["error"] == 'variable "nope" is not in dataset "ncep-air"'
    status, _, body = get(ops["http"] + "/datasets/ncep-air/quicklook.png?variable=air&time=2014-10-01T06:00&level=x")
    assert status == 400 and json.loads(body)["error"] == '"level" must be a number, got "x"'
    status, headers, body = get(ops["http"] + "/datasets/ncep-air/quicklook.png?variable=air&time=2014-10-01T06:00")
    assert status == 200 and headers["Content-Type"] == "image/png" and body[:8] == b"\x89PNG\r\n\x1a\n"
