"""The bridge client: plan a query (GetFlightInfo), then read its endpoints in parallel.

A query's endpoints are independent partitions, each readable from any of its locations, so a
read fans out over a thread pool (pyarrow releases the GIL while it receives and decodes IPC) and
reassembles them in plan order. `batches` does the same with a bounded queue per endpoint so a
large read streams without ever holding the whole table. Every call carries the bearer token as
an `authorization` header, and every pyarrow error leaves here as a WekeoError (errors.py).
"""
from __future__ import annotations

import os
import pathlib
import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterator, Mapping, Sequence

import pyarrow as pa
import pyarrow.flight as fl

from . import query as _query
from .errors import WekeoUnavailable, translate
from .progress import Progress

#: Endpoints read at once by default: enough to keep a bridge's decode workers busy.
DEFAULT_PARALLEL = max(2, min(8, 2 * (os.cpu_count() or 1)))
#: Record batches buffered per endpoint by `batches` (about one 2 MiB Flight message each).
PREFETCH_BATCHES = 4
#: Locations that mean "the connection this plan came from" (Arrow Flight spec).
_REUSE = ("", "arrow-flight-reuse-connection://?")


def connect(uri: str = "grpc://127.0.0.1:8815", token: str | None = None, tls_root_certs: bytes | str | os.PathLike | None = None, parallel: int | None = None) -> "Client":
    """A client for the bridge at `uri` (`grpc://host:port`, or `grpc+tls://` with `tls_root_certs`:
    PEM bytes or a PEM file). `token` is sent as `authorization: Bearer <token>` on every call."""
    return Client(uri, token=token, tls_root_certs=tls_root_certs, parallel=parallel)


def _pem(value: bytes | str | os.PathLike | None) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    text = os.fspath(value)
    if "-----BEGIN" in text:
        return text.encode()
    return pathlib.Path(text).read_bytes()


class Client:
    def __init__(self, uri: str, token: str | None = None, tls_root_certs: Any = None, parallel: int | None = None):
        self.uri = uri
        self.parallel = parallel or DEFAULT_PARALLEL
        self._tls = _pem(tls_root_certs)
        headers = [(b"authorization", f"Bearer {token}".encode())] if token else []
        self._options = fl.FlightCallOptions(headers=headers)
        self._clients: dict[str, fl.FlightClient] = {}
        self._lock = threading.Lock()
        self._flight(uri)  # a malformed URI fails here, not at the first read

    # -- connections -------------------------------------------------------------------------

    def _flight(self, uri: str) -> fl.FlightClient:
        with self._lock:
            c = self._clients.get(uri)
            if c is None:
                kwargs = {"tls_root_certs": self._tls} if self._tls else {}
                try:
                    c = fl.connect(uri, **kwargs)
                except Exception as e:
                    raise translate(e, uri) from None
                self._clients[uri] = c
            return c

    def close(self) -> None:
        with self._lock:
            for c in self._clients.values():
                c.close()
            self._clients.clear()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _call(self, fn, *args):
        try:
            return fn(*args, options=self._options)
        except Exception as e:
            raise translate(e, self.uri) from None

    # -- metadata ------------------------------------------------------------------------------

    def datasets(self) -> list[str]:
        """Names of the datasets the bridge serves (its ListFlights), sorted."""
        flights = self._call(lambda options: list(self._flight(self.uri).list_flights(options=options)))
        return sorted({f.descriptor.path[0].decode() for f in flights if f.descriptor.path})

    def schema(self, name: str, **query: Any) -> pa.Schema:
        """The Arrow schema a read of `name` with these query arguments returns (GetSchema)."""
        d = _query.descriptor(_query.build(name, **query))
        return self._call(self._flight(self.uri).get_schema, d).schema

    def plan(self, name: str, **query: Any) -> fl.FlightInfo:
        """The bridge's plan (GetFlightInfo): schema, one endpoint per partition, row count."""
        return self.plan_query(_query.build(name, **query))

    def plan_query(self, q: Mapping[str, Any]) -> fl.FlightInfo:
        return self._call(self._flight(self.uri).get_flight_info, _query.descriptor(q))

    # -- one endpoint ----------------------------------------------------------------------------

    def endpoint_batches(self, endpoint: fl.FlightEndpoint, on_reader=None) -> Iterator[pa.RecordBatch]:
        """The record batches of one endpoint, trying its locations in order (owner first) while
        they are UNAVAILABLE. `on_reader` receives each stream reader (so it can be cancelled)."""
        uris = [loc.uri.decode() for loc in endpoint.locations if loc.uri.decode() not in _REUSE] or [self.uri]
        for i, uri in enumerate(uris):
            started = False
            try:
                reader = self._flight(uri).do_get(endpoint.ticket, options=self._options)
                if on_reader:
                    on_reader(reader)
                for chunk in reader:
                    started = True
                    yield chunk.data
                return
            except Exception as e:
                err = translate(e, uri)
                # A stream that already yielded rows cannot fall back without duplicating them.
                if isinstance(err, WekeoUnavailable) and not started and i + 1 < len(uris):
                    continue
                raise err from None

    def read_endpoint(self, endpoint: fl.FlightEndpoint, schema: pa.Schema | None = None) -> pa.Table:
        batches = list(self.endpoint_batches(endpoint))
        return pa.Table.from_batches(batches, schema=schema if not batches else None)

    # -- whole queries ----------------------------------------------------------------------------

    def read(self, name: str, bbox: Sequence[float] | None = None, start: Any = None, end: Any = None, variables: Any = None,
             layout: str | None = None, tile: Sequence[int] | None = None, group: str | None = None, filters: Mapping[str, Any] | None = None,
             progress: bool | None = None, parallel: int | None = None) -> pa.Table:
        """The whole result as one table, its endpoints read in parallel and kept in plan order.
        `progress`: True/False, or None for a bar on large reads in a terminal or notebook."""
        info = self.plan(name, bbox=bbox, start=start, end=end, variables=variables, layout=layout, tile=tile, group=group, filters=filters)
        endpoints = list(info.endpoints)
        if not endpoints:
            return info.schema.empty_table()
        with Progress(info.total_records, f"wekeo {name}", progress) as bar:
            def one(ep: fl.FlightEndpoint) -> list[pa.RecordBatch]:
                out = []
                for b in self.endpoint_batches(ep):
                    out.append(b)
                    bar.update(b.num_rows)
                return out

            workers = min(parallel or self.parallel, len(endpoints))
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="wekeo-read") as pool:
                parts = list(pool.map(one, endpoints))
        batches = [b for part in parts for b in part]
        return pa.Table.from_batches(batches) if batches else info.schema.empty_table()

    def batches(self, name: str, bbox: Sequence[float] | None = None, start: Any = None, end: Any = None, variables: Any = None,
                layout: str | None = None, tile: Sequence[int] | None = None, group: str | None = None, filters: Mapping[str, Any] | None = None,
                progress: bool | None = None, parallel: int | None = None) -> Iterator[pa.RecordBatch]:
        """Record batches in plan order, `parallel` endpoints fetched ahead with at most
        PREFETCH_BATCHES buffered each: memory stays bounded whatever the result's size.
        Closing the iterator early cancels the streams still open."""
        info = self.plan(name, bbox=bbox, start=start, end=end, variables=variables, layout=layout, tile=tile, group=group, filters=filters)
        return self.stream_plan(info, progress=progress, parallel=parallel, desc=f"wekeo {name}")

    def stream_plan(self, info: fl.FlightInfo, progress: bool | None = None, parallel: int | None = None, desc: str = "wekeo") -> Iterator[pa.RecordBatch]:
        endpoints = list(info.endpoints)
        if not endpoints:
            return iter(())
        return _ordered_stream(self, endpoints, min(parallel or self.parallel, len(endpoints)), Progress(info.total_records, desc, progress))

    def to_pandas(self, name: str, **kwargs: Any):
        """`read(...)` as a pandas DataFrame (needs pandas)."""
        return self.read(name, **kwargs).to_pandas()


_DONE = object()


class _Failed:
    def __init__(self, err: BaseException):
        self.err = err


def _ordered_stream(client: Client, endpoints: list, parallel: int, bar: Progress) -> Iterator[pa.RecordBatch]:
    """At most `parallel` endpoints are open (started and not yet consumed), each with at most
    PREFETCH_BATCHES waiting: the consumer starts endpoint i + parallel only once it has taken
    the last batch of endpoint i, so a slow consumer bounds memory whatever the plan's size."""
    queues = [queue.Queue(maxsize=PREFETCH_BATCHES) for _ in endpoints]
    stop = threading.Event()
    readers: list = []

    def put(q: queue.Queue, item) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                pass
        return False

    def produce(i: int) -> None:
        try:
            for b in client.endpoint_batches(endpoints[i], on_reader=readers.append):
                if not put(queues[i], b):
                    return
            put(queues[i], _DONE)
        except BaseException as e:  # handed to the consumer, raised there
            put(queues[i], _Failed(e))

    def start(i: int) -> None:
        if i < len(endpoints):
            threading.Thread(target=produce, args=(i,), name=f"wekeo-stream-{i}", daemon=True).start()

    try:
        for i in range(parallel):
            start(i)
        for i, q in enumerate(queues):
            while True:
                item = q.get()
                if item is _DONE:
                    break
                if isinstance(item, _Failed):
                    raise item.err
                bar.update(item.num_rows)
                yield item
            start(i + parallel)
    finally:
        stop.set()
        for r in list(readers):
            try:
                r.cancel()
            except Exception:
                pass
        bar.close()
