"""Security and service edges of a real `wekeo serve`, seen from a real pyarrow.flight client.

Bearer tokens (file and WEKEO_AUTH_TOKENS), pyarrow's Basic-token handshake, TLS with a
certificate generated here (openssl), HTTPS, refusal to bind a public address without tokens,
and the exact statuses of hostile or stale requests, with bounded messages without server paths.
"""
import base64
import hashlib
import hmac
import json
import pathlib
import re
import shutil
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.flight as fl
import pytest

from conftest import ROOT

FILE_TOKENS = ["file-token-AAAA1111", "file-token-BBBB2222"]
ENV_TOKENS = ["env-token-CCCC3333", "env-token-DDDD4444"]
WRONG = "wrong-token-ZZZZ9999"
REFUSED = "unauthenticated: a valid bearer token is required"
SECRET = "security-test-secret"


class Bridge:
    """A `wekeo serve` child whose stdout and stderr are kept (to check what it logs)."""

    def __init__(self, args, env=None):
        cli = ROOT / "bin" / "wekeo.js"
        if not (ROOT / "dist" / "cli" / "main.js").exists():
            pytest.fail("dist/ is missing: build with `npm run build` (./dev test does it)")
        self.proc = subprocess.Popen(
            ["node", str(cli), "serve", "--port", "0", "--http-port", "0", "--workers", "1", *args],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        self.out, self.err = [], []
        first = self.proc.stdout.readline()
        self.out.append(first)
        m = re.match(r"wekeo-bridge listening on (grpc(?:\+tls)?://\S+)", first)
        if not m:
            self.proc.kill()
            raise RuntimeError(f"bridge did not start: {first!r} {self.proc.stderr.read()}")
        self.grpc = m.group(1)
        second = self.proc.stdout.readline()
        self.out.append(second)
        self.http = re.match(r"wekeo-bridge http on (https?://\S+)", second).group(1)
        threading.Thread(target=lambda: self.out.extend(self.proc.stdout), daemon=True).start()
        threading.Thread(target=lambda: self.err.extend(self.proc.stderr), daemon=True).start()

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def run_env(**extra):
    import os

    env = {k: v for k, v in os.environ.items() if k != "WEKEO_AUTH_TOKENS"}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is missing (scripts/apt-packages.txt; ./dev installs it)")
    d = tmp_path_factory.mktemp("tls")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem"),
         "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    return d


@pytest.fixture(scope="module")
def secure(certs, tmp_path_factory):
    tokens = tmp_path_factory.mktemp("tokens") / "tokens.txt"
    tokens.write_text("# one token per line\n\n" + "\n".join(FILE_TOKENS) + "\n")
    b = Bridge(
        ["--host", "127.0.0.1", "--auth-token-file", str(tokens), "--tls-cert", str(certs / "cert.pem"), "--tls-key", str(certs / "key.pem"),
         "--catalog", str(ROOT / "samples")],
        env=run_env(WEKEO_AUTH_TOKENS=" , ".join(ENV_TOKENS)),
    )
    yield b
    b.stop()


@pytest.fixture(scope="module")
def tls_client(secure, certs):
    c = fl.connect(secure.grpc, tls_root_certs=(certs / "cert.pem").read_bytes())
    yield c
    c.close()


def bearer(token):
    return fl.FlightCallOptions(headers=[(b"authorization", f"Bearer {token}".encode())])


def cmd(**q):
    return fl.FlightDescriptor.for_command(json.dumps(q))


def test_basic_token_handshake_then_tls_round_trip(secure, tls_client):
    assert secure.grpc.startswith("grpc+tls://")
    header = tls_client.authenticate_basic_token("alice", FILE_TOKENS[1])
    assert header == (b"authorization", f"Bearer {FILE_TOKENS[1]}".encode())
    opts = fl.FlightCallOptions(headers=[header])
    info = tls_client.get_flight_info(cmd(dataset="ncep-air"), opts)
    assert all(loc.uri.decode() == secure.grpc for e in info.endpoints for loc in e.locations)
    table = pa.concat_tables(tls_client.do_get(e.ticket, opts).read_all() for e in info.endpoints)
    assert table.num_rows == info.total_records > 0


def test_env_tokens_work_and_comment_lines_are_not_tokens(tls_client):
    for t in ENV_TOKENS:
        assert len({f.descriptor.path[0] for f in tls_client.list_flights(options=bearer(t))}) == 5
    for t in ["# one token per line", "", "Bearer"]:
        with pytest.raises(fl.FlightUnauthenticatedError):
            list(tls_client.list_flights(options=bearer(t)))


def test_every_rpc_without_or_with_a_wrong_token_is_unauthenticated(tls_client):
    info = tls_client.get_flight_info(cmd(dataset="ncep-air"), bearer(ENV_TOKENS[0]))
    ticket = info.endpoints[0].ticket
    calls = {
        "ListFlights": lambda o: list(tls_client.list_flights(options=o)),
        "GetFlightInfo": lambda o: tls_client.get_flight_info(cmd(dataset="ncep-air"), o),
        "GetSchema": lambda o: tls_client.get_schema(cmd(dataset="ncep-air"), o),
        "DoGet": lambda o: tls_client.do_get(ticket, o).read_all(),
        "ListActions": lambda o: list(tls_client.list_actions(options=o)),
        "DoAction": lambda o: list(tls_client.do_action(fl.Action("health", b""), options=o)),
    }
    for name, call in calls.items():
        for o in [fl.FlightCallOptions(), bearer(WRONG)]:
            # pyarrow's get_schema raises a plain OSError for every status; the others FlightUnauthenticatedError.
            with pytest.raises(OSError if name == "GetSchema" else fl.FlightUnauthenticatedError) as e:
                call(o)
            assert f"Flight returned unauthenticated error, with message: {REFUSED}" in str(e.value), name
            assert WRONG not in str(e.value)
    with pytest.raises(fl.FlightUnauthenticatedError):
        tls_client.authenticate_basic_token("alice", WRONG)


def https_get(secure, certs, path, headers=None):
    ctx = ssl.create_default_context(cafile=str(certs / "cert.pem"))
    req = urllib.request.Request(secure.http + path, headers=headers or {})
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_https_takes_the_bearer_header_or_a_token_parameter(secure, certs):
    assert secure.http.startswith("https://")
    status, body = https_get(secure, certs, "/datasets", {"Authorization": f"Bearer {FILE_TOKENS[0]}"})
    assert status == 200 and len(json.loads(body)) == 5
    status, body = https_get(secure, certs, f"/stream?dataset=ncep-air&token={ENV_TOKENS[1]}")
    assert status == 200
    assert pa.ipc.open_stream(body).read_all().num_rows > 0
    status, body = https_get(secure, certs, "/healthz")  # probes carry no token
    assert status in (200, 503) and json.loads(body)["status"] in ("ok", "starting")
    for path, headers in [("/metrics", None), ("/datasets", None), (f"/datasets?token={WRONG}", None), ("/datasets", {"Authorization": f"Bearer {WRONG}"})]:
        status, body = https_get(secure, certs, path, headers)
        assert status == 401
        assert json.loads(body) == {"error": REFUSED, "status": "UNAUTHENTICATED"}


def test_catalog_page_opened_with_a_token_loads_its_quicklooks_by_cookie(secure, certs):
    # A browser opens /?token=...; its <img> requests carry no token, only the cookie that set.
    ctx = ssl.create_default_context(cafile=str(certs / "cert.pem"))
    with urllib.request.urlopen(f"{secure.http}/?token={FILE_TOKENS[0]}", context=ctx, timeout=60) as r:
        assert r.status == 200
        cookie = r.headers["set-cookie"]
        page = r.read().decode()
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" in cookie
    src = re.search(r'<img src="([^"]+quicklook[^"]+)"', page).group(1).replace("&amp;", "&")
    assert "token" not in src
    jar = cookie.split(";")[0]
    status, body = https_get(secure, certs, src, {"Cookie": jar})
    assert status == 200 and body[:8] == b"\x89PNG\r\n\x1a\n"
    for bad in ("wekeo_token=" + WRONG, "other=1"):
        status, body = https_get(secure, certs, src, {"Cookie": bad})
        assert status == 401 and json.loads(body)["status"] == "UNAUTHENTICATED"


def test_no_token_appears_in_the_bridge_output(secure, tls_client, certs):
    # Failures of every kind were caused above; make one more unexpected error with a token in the query.
    https_get(secure, certs, f"/plan?dataset=nope&token={FILE_TOKENS[0]}")
    with pytest.raises(pa.ArrowKeyError):
        tls_client.get_flight_info(cmd(dataset="nope"), bearer(FILE_TOKENS[0]))
    text = "".join(secure.out + secure.err)
    for t in FILE_TOKENS + ENV_TOKENS + [WRONG]:
        assert t not in text
    assert "bearer tokens required (4 configured), TLS" in text
    assert "tls_root_certs=open(" in text


def test_public_address_without_tokens_is_refused_unless_anonymous_is_allowed():
    cli = ROOT / "bin" / "wekeo.js"
    r = subprocess.run(["node", str(cli), "serve", "--host", "0.0.0.0", "--port", "0"], cwd=ROOT, capture_output=True, text=True, timeout=60, env=run_env())
    assert r.returncode == 2
    assert "without authentication" in r.stderr and "--allow-anonymous" in r.stderr and "--auth-token-file" in r.stderr
    assert "listening" not in r.stdout
    b = Bridge(["--host", "0.0.0.0", "--allow-anonymous"], env=run_env())
    try:
        c = fl.connect(b.grpc)
        assert len({f.descriptor.path[0] for f in c.list_flights()}) == 5
    finally:
        b.stop()


def test_an_empty_token_file_is_refused(tmp_path):
    (tmp_path / "t.txt").write_text("# nothing\n\n")
    cli = ROOT / "bin" / "wekeo.js"
    r = subprocess.run(["node", str(cli), "serve", "--auth-token-file", str(tmp_path / "t.txt"), "--port", "0"], cwd=ROOT, capture_output=True, text=True, timeout=60, env=run_env())
    assert r.returncode == 2 and "holds no tokens" in r.stderr


# ---- exact statuses of hostile or stale requests (no auth, plaintext) ----


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    d = tmp_path_factory.mktemp("errors-catalog")
    for ds in ["air", "other"]:
        (d / ds).mkdir()
        shutil.copy(ROOT / "samples" / "era5-pressure-levels" / "test4.nc", d / ds / "test4.nc")
    (d / "ncep").mkdir()
    (d / "ncep" / "air.nc").symlink_to(ROOT / "samples" / "ncep-air" / "air.nc")
    return d


@pytest.fixture(scope="module")
def plain(catalog):
    b = Bridge(["--host", "127.0.0.1", "--catalog", str(catalog), "--secret", SECRET, "--target-bytes", "256KiB"], env=run_env())
    yield b
    b.stop()


@pytest.fixture(scope="module")
def client(plain):
    c = fl.connect(plain.grpc)
    yield c
    c.close()


def sign(body):
    payload = base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode()).rstrip(b"=").decode()
    mac = base64.urlsafe_b64encode(hmac.new(SECRET.encode(), payload.encode(), hashlib.sha256).digest()).rstrip(b"=").decode()
    return f"wkb1.{payload}.{mac}".encode()


def planned_body(client):
    t = client.get_flight_info(cmd(dataset="air")).endpoints[0].ticket.ticket.decode()
    return json.loads(base64.urlsafe_b64decode(t.split(".")[1] + "=="))


def do_get_error(client, body, exc):
    with pytest.raises(exc) as e:
        client.do_get(fl.Ticket(sign(body))).read_all()
    return str(e.value)


def assert_clean(message, catalog):
    # pyarrow repeats the status message in its debug context: bounded means a few KiB, not 10 MiB.
    assert len(message) < 5000
    assert str(catalog) not in message and "/tmp" not in message and str(ROOT) not in message


def http_get(plain, path):
    try:
        with urllib.request.urlopen(plain.http + path, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


# pyarrow's exception per gRPC status: PERMISSION_DENIED -> FlightUnauthorizedError,
# NOT_FOUND -> ArrowKeyError, INVALID_ARGUMENT -> ArrowInvalid.


def test_signed_ticket_escaping_its_dataset_is_permission_denied(client, plain, catalog):
    body = planned_body(client)
    assert sign(body) == client.get_flight_info(cmd(dataset="air")).endpoints[0].ticket.ticket  # the test signs like the bridge
    for key in ["../../etc/passwd", "/etc/passwd", "../other/test4.nc"]:
        msg = do_get_error(client, {**body, "fileKey": key}, fl.FlightUnauthorizedError)
        assert "escapes dataset air" in msg
        assert_clean(msg, catalog)
        status, answer = http_get(plain, "/ticket/" + base64.urlsafe_b64encode(sign({**body, "fileKey": key})).rstrip(b"=").decode())
        assert status == 403 and answer["status"] == "PERMISSION_DENIED"
        assert_clean(answer["error"], catalog)


def test_file_removed_after_planning_is_not_found_naming_dataset_and_file(client, catalog):
    body = planned_body(client)
    f = catalog / "air" / "test4.nc"
    kept = catalog / "kept.nc"
    shutil.copy(f, kept)
    f.unlink()
    try:
        msg = do_get_error(client, body, pa.ArrowKeyError)
        assert "air/test4.nc" in msg and "plan the query again" in msg
        assert_clean(msg, catalog)
    finally:
        shutil.copy(kept, f)


def test_null_variables_in_a_ticket_is_invalid_argument(client, catalog):
    msg = do_get_error(client, {**planned_body(client), "variables": None}, pa.ArrowInvalid)
    assert 'ticket field "variables"' in msg
    assert_clean(msg, catalog)


def test_ten_mib_names_are_quoted_bounded(client, catalog):
    huge = "x" * (10 << 20)
    for q, exc in [({"dataset": huge}, pa.ArrowKeyError), ({"dataset": "air", huge: 1}, pa.ArrowInvalid), ({"dataset": "air", "variables": [huge]}, pa.ArrowInvalid)]:
        with pytest.raises(exc) as e:
            client.get_flight_info(fl.FlightDescriptor.for_command(json.dumps(q)))
        assert "10485760 characters" in str(e.value)
        assert_clean(str(e.value), catalog)


def test_out_of_range_window_is_invalid_argument_without_server_path(client, catalog):
    msg = do_get_error(client, {**planned_body(client), "time": [0, 99999]}, pa.ArrowInvalid)
    assert "air/test4.nc" in msg
    assert_clean(msg, catalog)


def test_total_bytes_and_endpoint_metadata_describe_what_doget_returns(client):
    info = client.get_flight_info(cmd(dataset="ncep", bbox=[250, 55, 280, 70]))
    # 124 steps of 7 x 13 cells of 32.5 B (time, lat, lon, air + validity bits): 366 KiB in 256 KiB partitions.
    assert len(info.endpoints) == 2
    metas = [json.loads(e.app_metadata) for e in info.endpoints]
    assert info.total_bytes == sum(m["bytes"] for m in metas) > 0
    assert info.total_records == sum(m["rows"] for m in metas)
    for e, m in zip(info.endpoints, metas):
        assert set(m) >= {"rows", "bytes", "start", "end", "bbox"}
        assert m["bytes"] <= 256 * 1024
        t = client.do_get(e.ticket).read_all()
        assert t.num_rows == m["rows"]
        assert abs(t.nbytes - m["bytes"]) <= 0.05 * m["bytes"], (t.nbytes, m["bytes"])
        times = t.column("time")
        assert pc.min(times).as_py() == datetime.fromisoformat(m["start"])
        assert pc.max(times).as_py() == datetime.fromisoformat(m["end"])
        w, s_, e_, n = m["bbox"]
        lat, lon = pc.min_max(t.column("lat")).as_py(), pc.min_max(t.column("lon")).as_py()
        assert s_ <= lat["min"] and n >= lat["max"] and n - s_ <= lat["max"] - lat["min"] + 2.5
        assert w <= lon["min"] and e_ >= lon["max"] and e_ - w <= lon["max"] - lon["min"] + 2.5


# ---- actions ----


def action_json(client, name):
    results = list(client.do_action(fl.Action(name, b"")))
    assert len(results) == 1
    return json.loads(results[0].body.to_pybytes())


def test_list_actions_describes_each_action(client):
    actions = {a.type: a.description for a in client.list_actions()}
    assert set(actions) == {"health", "cache-stats", "count", "refresh-catalog", "CancelFlightInfo"}
    assert all(len(d) > 20 for d in actions.values())


def test_health_and_unknown_action(client):
    h = action_json(client, "health")
    assert h["status"] in ("starting", "ok")
    deadline = time.monotonic() + 60
    while h["status"] == "starting" and time.monotonic() < deadline:  # the decode worker loads h5wasm
        time.sleep(0.2)
        h = action_json(client, "health")
    assert h["status"] == "ok" and h["workers"] == 1 and isinstance(h["uptime"], int) and h["version"] == json.loads((ROOT / "package.json").read_text())["version"]
    with pytest.raises(pa.ArrowInvalid) as e:
        list(client.do_action(fl.Action("x" * 100_000, b"")))
    assert "actions: health, cache-stats, count, refresh-catalog, CancelFlightInfo" in str(e.value)
    assert_clean(str(e.value), "/nonexistent")


def test_cache_stats_count_a_repeated_read(client):
    info = client.get_flight_info(cmd(dataset="ncep", bbox=[250, 55, 260, 60]))
    before = action_json(client, "cache-stats")
    for _ in range(2):
        client.do_get(info.endpoints[0].ticket).read_all()
    after = action_json(client, "cache-stats")
    assert after["misses"] == before["misses"] + 1 and after["hits"] == before["hits"] + 1
    assert after["entries"] >= 1 and after["bytes"] > 0


def test_refresh_catalog_sees_added_and_removed_datasets(client, catalog):
    action_json(client, "refresh-catalog")
    (catalog / "fresh").mkdir()
    shutil.copy(ROOT / "samples" / "era5-pressure-levels" / "test4.nc", catalog / "fresh" / "test4.nc")
    try:
        r = action_json(client, "refresh-catalog")
        assert r["added"] == ["fresh"] and r["removed"] == [] and "fresh" in r["datasets"]
        assert "fresh" in [f.descriptor.path[0].decode() for f in client.list_flights()]
        assert client.get_flight_info(cmd(dataset="fresh")).total_records > 0
    finally:
        shutil.rmtree(catalog / "fresh")
    r = action_json(client, "refresh-catalog")
    assert r["removed"] == ["fresh"] and "fresh" not in r["datasets"]
    with pytest.raises(pa.ArrowKeyError):
        client.get_flight_info(cmd(dataset="fresh"))


def varint(n):
    out = b""
    while True:
        b, n = n & 0x7F, n >> 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def test_cancel_flight_info_answers_cancelled_and_refuses_its_endpoints(client):
    info = client.get_flight_info(cmd(dataset="ncep", bbox=[250, 55, 280, 70]))
    other = client.get_flight_info(cmd(dataset="ncep", bbox=[250, 55, 270, 70]))
    serialized = info.serialize()
    # CancelFlightInfoRequest { FlightInfo info = 1; } as the C++ client sends it.
    request = b"\x0a" + varint(len(serialized)) + serialized
    results = list(client.do_action(fl.Action("CancelFlightInfo", request)))
    assert [r.body.to_pybytes() for r in results] == [b"\x08\x01"]  # CancelFlightInfoResult { status: CANCELLED }
    for e in info.endpoints:
        with pytest.raises(fl.FlightCancelledError) as err:
            client.do_get(e.ticket).read_all()
        assert "plan the query again" in str(err.value)
    assert client.do_get(other.endpoints[0].ticket).read_all().num_rows > 0  # another FlightInfo is untouched
    # As the message says: planning the query again makes its (same, deterministic) tickets readable.
    again = client.get_flight_info(cmd(dataset="ncep", bbox=[250, 55, 280, 70]))
    assert [e.ticket for e in again.endpoints] == [e.ticket for e in info.endpoints]
    assert sum(client.do_get(e.ticket).read_all().num_rows for e in again.endpoints) == info.total_records
    with pytest.raises(pa.ArrowInvalid):
        list(client.do_action(fl.Action("CancelFlightInfo", b"\x0a\x03abc")))


def test_a_malformed_request_target_is_400_and_the_bridge_lives_on(plain):
    import socket
    from urllib.parse import urlparse

    u = urlparse(plain.http)
    with socket.create_connection((u.hostname, u.port), timeout=30) as s:
        s.sendall(b"GET http://[ HTTP/1.1\r\nHost: a\r\n\r\n")
        assert s.recv(100).startswith(b"HTTP/1.1 400")
    status, body = http_get(plain, "/datasets")
    assert status == 200 and plain.proc.poll() is None
