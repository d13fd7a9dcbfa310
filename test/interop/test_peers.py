"""Scale-out with pyarrow.flight against two real `wekeo serve --peers` processes on loopback.

Both bridges share the embedded catalog and the ticket secret: they plan the same endpoints with
the same locations (owner first), a ticket planned on one is served by the other, and once one is
stopped it goes last in every plan while a client that falls back still reads every endpoint.
"""
import json
import socket
import time

import pyarrow as pa
import pyarrow.flight as fl
import pytest

from conftest import _serve


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cmd(**q):
    return fl.FlightDescriptor.for_command(json.dumps(q))


def locations(info):
    return [[loc.uri.decode() if isinstance(loc.uri, bytes) else loc.uri for loc in e.locations] for e in info.endpoints]


def read_with_fallback(endpoint):
    """What a client does with scale-out: try the endpoint's locations in order."""
    last = None
    for loc in endpoint.locations:
        try:
            return fl.connect(loc).do_get(endpoint.ticket).read_all()
        except fl.FlightUnavailableError as e:
            last = e
    raise last


@pytest.fixture(scope="module")
def pair():
    ports = [free_port(), free_port()]
    uris = [f"grpc://127.0.0.1:{p}" for p in ports]
    gens = [_serve(["--port", str(p), "--peers", ",".join(uris), "--secret", "interop-peers", "--target-rows", "200", "--workers", "1"]) for p in ports]
    bridges = [next(g) for g in gens]
    assert [b["grpc"] for b in bridges] == uris
    try:
        # A bridge that started before its peer saw it down; the next health check (2 s) sees it up.
        probe = cmd(dataset="ncep-air", bbox=[200, 20, 260, 60])
        deadline = time.time() + 20
        while locations(fl.connect(uris[0]).get_flight_info(probe)) != locations(fl.connect(uris[1]).get_flight_info(probe)):
            assert time.time() < deadline, "the two bridges never agreed on the plan"
            time.sleep(0.5)
        yield uris, gens
    finally:
        for g in gens:
            g.close()


def test_same_plan_everywhere_owners_spread_and_cross_serving(pair):
    uris, _ = pair
    a, b = fl.connect(uris[0]), fl.connect(uris[1])
    query = cmd(dataset="cmems-currents")
    # Equal plans once each sees the other up (a health check that timed out under load hides a peer for 2 s).
    deadline = time.time() + 20
    while True:
        ia, ib = a.get_flight_info(query), b.get_flight_info(query)
        assert [e.ticket.ticket for e in ia.endpoints] == [e.ticket.ticket for e in ib.endpoints]
        if locations(ia) == locations(ib):
            break
        assert time.time() < deadline, "the two bridges never agreed on the locations"
        time.sleep(0.5)
    n = len(ia.endpoints)
    assert n > 1000
    for u in uris:
        owned = sum(1 for locs in locations(ia) if locs[0] == u)
        assert abs(owned - n / 2) < 0.2 * n / 2
    # A ticket owned by A, served by B (same secret): equal to what A serves.
    e = next(e for e, locs in zip(ia.endpoints, locations(ia)) if locs[0] == uris[0])
    assert b.do_get(e.ticket).read_all().equals(a.do_get(e.ticket).read_all())


def test_stopped_bridge_goes_last_and_clients_fall_back(pair):
    uris, gens = pair
    a = fl.connect(uris[0])
    query = cmd(dataset="ncep-air", bbox=[200, 20, 260, 60])
    # B owns some endpoints while it is up (a health check that timed out under load may hide it for 2 s).
    deadline = time.time() + 20
    while True:
        planned = a.get_flight_info(query)
        if any(locs[0] == uris[1] for locs in locations(planned)):
            break
        assert time.time() < deadline, "bridge B never owned an endpoint of A's plan"
        time.sleep(0.5)
    gens[1].close()  # stops bridge B
    deadline = time.time() + 20
    while True:
        replanned = a.get_flight_info(query)
        if all(locs == [uris[0], uris[1]] for locs in locations(replanned)):
            break
        assert time.time() < deadline, "the stopped bridge was not moved to the end of the locations"
        time.sleep(0.5)
    # The plan made while B was up still names B first for some endpoints: the client falls back.
    table = pa.concat_tables(read_with_fallback(e) for e in planned.endpoints)
    assert table.num_rows == planned.total_records
