"""Spark 4 Python data source: `spark.read.format("wekeo")` without the JVM jar.

    from wekeo.spark import WekeoDataSource
    spark.dataSource.register(WekeoDataSource)
    spark.conf.set("spark.sql.python.filterPushdown.enabled", "true")   # Spark's switch for pushFilters
    df = spark.read.format("wekeo").option("endpoint", "grpc://127.0.0.1:8815").option("dataset", "cmems-currents").load()

Same options as the JVM shim (WekeoOptions.java). The driver plans the query once (GetFlightInfo)
and makes one Spark partition per Flight endpoint; executors read their endpoint with
pyarrow.flight and hand Spark Arrow record batches. `pushFilters` (Spark >= 4.1) turns
time/lat/lon comparisons into the bridge's time range and bbox, so partitions outside them are
never planned, and `level` (=, IN, ranges) and ensemble `number` (=, IN) predicates into the
bridge's "levels" and "numbers", which slice those axes (Spark re-checks both). What the bridge applies exactly (inclusive bounds on time and lat) is not
re-checked by Spark; strict bounds and every lon bound (the bridge reads -180..180 and 0..360
alike, so a lon range is widened, never narrowed) are pushed and re-checked. An empty range
(`lat between 50 and 40`) plans no partitions and reads nothing.
"""
from __future__ import annotations

import copy
import datetime as _dt
import json
import math
import re
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

import pyarrow as pa
import pyarrow.flight as fl
from pyspark.sql.datasource import (
    DataSource,
    DataSourceReader,
    EqualTo,
    Filter,
    GreaterThan,
    GreaterThanOrEqual,
    In,
    InputPartition,
    LessThan,
    LessThanOrEqual,
)
from pyspark.sql.pandas.types import from_arrow_type, to_arrow_schema
from pyspark.sql.types import ArrayType, FloatType, StructField, StructType

from .client import Client
from .errors import WekeoInvalidQuery
from . import query as _query

OPTIONS = ("endpoint", "dataset", "bbox", "start", "end", "variables", "layout", "tile", "filters", "token", "group", "tls_root_certs")
DEFAULT_ENDPOINT = "grpc://localhost:8815"


def _parse_options(options: dict) -> dict:
    opts = {str(k).lower(): v for k, v in options.items()}
    if "path" in opts and "dataset" not in opts:  # .load("cmems-currents")
        opts["dataset"] = opts.pop("path")
    unknown = sorted(set(opts) - set(OPTIONS))
    if unknown:
        raise WekeoInvalidQuery(f"unknown option(s) {', '.join(unknown)} for format wekeo (valid: {', '.join(OPTIONS)})")
    if not opts.get("dataset"):
        raise WekeoInvalidQuery('option "dataset" is required, e.g. .option("dataset", "cmems-currents")')
    endpoint = opts.get("endpoint") or DEFAULT_ENDPOINT
    if not endpoint.startswith(("grpc://", "grpc+tcp://", "grpc+tls://")):
        raise WekeoInvalidQuery(f"option endpoint must be grpc://host:port (or grpc+tls://), got {endpoint!r}")
    filters = None
    if opts.get("filters"):
        try:
            filters = json.loads(opts["filters"])
        except ValueError:
            filters = None
        if not isinstance(filters, dict):
            raise WekeoInvalidQuery(f'option filters must be a JSON object of HDA search keys, got {opts["filters"]!r}')
    q = _query.build(
        opts["dataset"],
        bbox=opts.get("bbox") or None,
        start=opts.get("start") or None,
        end=opts.get("end") or None,
        variables=opts.get("variables") or None,
        layout=opts.get("layout") or None,
        tile=opts.get("tile") or None,
        group=opts.get("group") or None,
        filters=filters,
    )
    return {"endpoint": endpoint, "token": opts.get("token") or None, "tls_root_certs": opts.get("tls_root_certs") or None, "query": q}


def spark_schema(schema: pa.Schema) -> StructType:
    """The Spark schema of a bridge schema: chips (fixed_size_list<float32>) become array<float>."""
    fields = []
    for f in schema:
        if pa.types.is_fixed_size_list(f.type):
            t = ArrayType(FloatType(), containsNull=True)
        else:
            t = from_arrow_type(f.type)
        fields.append(StructField(f.name, t, nullable=True))
    return StructType(fields)


class WekeoDataSource(DataSource):
    """`format("wekeo")`: datasets of a wekeo bridge, one Spark partition per Flight endpoint."""

    def __init__(self, options: dict):
        super().__init__(options)
        self.parsed = _parse_options(dict(options))

    @classmethod
    def name(cls) -> str:
        return "wekeo"

    def _client(self) -> Client:
        p = self.parsed
        return Client(p["endpoint"], token=p["token"], tls_root_certs=p["tls_root_certs"])

    def schema(self) -> StructType:
        q = dict(self.parsed["query"])
        with self._client() as c:
            return spark_schema(c.schema(q.pop("dataset"), **_build_args(q)))

    def reader(self, schema: StructType) -> "WekeoReader":
        return WekeoReader(copy.deepcopy(self.parsed), schema)  # pushFilters narrows its own copy


def _build_args(q: dict) -> dict:
    """query.build keyword arguments from a built query object (its keys, minus dataset)."""
    return {k: v for k, v in q.items() if k != "dataset"}


class WekeoPartition(InputPartition):
    """One Flight endpoint: its ticket and its locations (owner first); pickled to executors."""

    def __init__(self, ticket: bytes, locations: Sequence[str]):
        super().__init__(None)
        self.ticket = ticket
        self.locations = list(locations)


# -- filter pushdown -------------------------------------------------------------------------------

_LOWER = (GreaterThan, GreaterThanOrEqual)
_UPPER = (LessThan, LessThanOrEqual)
_EXACT = (GreaterThanOrEqual, LessThanOrEqual, EqualTo)


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        return None
    return float(v)


@dataclass
class _Range:
    lo: Any = None
    hi: Any = None

    def tighten(self, lo: Any = None, hi: Any = None) -> None:
        if lo is not None and (self.lo is None or lo > self.lo):
            self.lo = lo
        if hi is not None and (self.hi is None or hi < self.hi):
            self.hi = hi


def _bounds(f: Filter, convert) -> tuple[Any, Any] | None:
    """(lower, upper) a filter implies, or None when it cannot be pushed."""
    if isinstance(f, In):
        vals = [convert(v) for v in f.value]
        if not vals or any(v is None for v in vals):
            return None
        return min(vals), max(vals)
    v = convert(getattr(f, "value", None))
    if v is None:
        return None
    if isinstance(f, EqualTo):
        return v, v
    if isinstance(f, _LOWER):
        return v, None
    if isinstance(f, _UPPER):
        return None, v
    return None


class _Axes:
    """Pushed `level` (=, IN, ranges) and ensemble `number` (=, IN) predicates, as the bridge's
    "levels" (a list, or {min, max}) and "numbers": it slices those axes before sizing partitions."""

    def __init__(self):
        self.levels: set[float] | None = None
        self.level_range = _Range()
        self.numbers: set[int] | None = None

    def push(self, col: str, f: Filter) -> bool:
        if isinstance(f, (EqualTo, In)):
            raw = list(f.value) if isinstance(f, In) else [f.value]
            if col == "number":
                if not raw or any(isinstance(v, bool) or not isinstance(v, int) for v in raw):
                    return False
                self.numbers = set(raw) if self.numbers is None else self.numbers & set(raw)
                return True
            vals = [_number(v) for v in raw]
            if not vals or any(v is None for v in vals):
                return False
            self.levels = set(vals) if self.levels is None else self.levels & set(vals)
            return True
        if col == "level":
            b = _bounds(f, _number)
            if b is not None:
                self.level_range.tighten(*b)
                return True
        return False

    def apply(self, q: dict) -> bool:
        """Adds the axes to the query; True when no level or member can match."""
        lo, hi = self.level_range.lo, self.level_range.hi
        if self.levels is not None:
            q["levels"] = sorted(v for v in self.levels if (lo is None or v >= lo) and (hi is None or v <= hi))
        elif lo is not None or hi is not None:
            q["levels"] = {k: v for k, v in (("min", lo), ("max", hi)) if v is not None}
        if self.numbers is not None:
            q["numbers"] = sorted(self.numbers)
        return q.get("levels") == [] or q.get("numbers") == [] or (lo is not None and hi is not None and lo > hi)


class WekeoReader(DataSourceReader):
    def __init__(self, parsed: dict, schema: StructType):
        self.parsed = parsed
        self.schema = schema
        self.empty = False  # pushed filters no row can satisfy: plan nothing
        self.pushed: list[str] = []  # what pushFilters sent to the bridge (shown in errors and logs)

    def pushFilters(self, filters: list[Filter]) -> Iterator[Filter]:
        q = self.parsed["query"]
        w, s, e, n = q.get("bbox", [-180.0, -90.0, 180.0, 90.0])
        opt_start, opt_end = _iso_time(q.get("start")), _iso_end(q.get("end"))
        ranges = {"time": _Range(opt_start, opt_end), "lat": _Range(s, n), "lon": _Range()}
        axes = _Axes()
        for f in filters:
            col = f.attribute[0] if len(getattr(f, "attribute", ())) == 1 else None
            if col in ("level", "number"):
                if axes.push(col, f):
                    self.pushed.append(repr(f))
                yield f  # the bridge slices the axis with an inclusive superset; Spark re-checks
                continue
            b = _bounds(f, _filter_time if col == "time" else _number) if col in ranges else None
            if b is None:
                yield f
                continue
            ranges[col].tighten(*b)
            self.pushed.append(repr(f))
            # Inclusive time/lat bounds are exact at the bridge; strict ones, In, and lon are re-checked.
            if col == "lon" or not isinstance(f, _EXACT):
                yield f
        t, lat, lon = ranges["time"], ranges["lat"], ranges["lon"]
        # Rewritten only when a filter is tighter than the option (whose own wording keeps its meaning).
        if t.lo is not None and t.lo != opt_start:
            q["start"] = t.lo.isoformat(timespec="microseconds")
        if t.hi is not None and t.hi != opt_end:
            q["end"] = t.hi.isoformat(timespec="microseconds")
        s, n = max(lat.lo, -90.0), min(lat.hi, 90.0)
        if lon.lo is not None or lon.hi is not None:
            # A one-sided lon bound widens to the other convention's edge (see the module docblock).
            lw = -180.0 if lon.lo is None else lon.lo
            le = 360.0 if lon.hi is None else lon.hi
            if lw > le:
                self.empty = True
            elif w <= e and "bbox" in q:
                lw, le = max(lw, w), min(le, e)
            if w <= e and le - lw < 360:
                w, e = max(lw, -360.0), min(le, 360.0)
        self.empty = self.empty or s > n or (t.lo is not None and t.hi is not None and t.lo > t.hi)
        if (s, n) != (-90.0, 90.0) or "bbox" in q or (w, e) != (-180.0, 180.0):
            q["bbox"] = [w, s, e, n]
        self.empty = axes.apply(q) or self.empty

    def partitions(self) -> list[WekeoPartition]:
        if self.empty:
            return []
        p = self.parsed
        with Client(p["endpoint"], token=p["token"], tls_root_certs=p["tls_root_certs"]) as c:
            info = c.plan_query(p["query"])
        return [WekeoPartition(e.ticket.ticket, [loc.uri.decode() for loc in e.locations]) for e in info.endpoints]

    def read(self, partition: InputPartition) -> Iterator[pa.RecordBatch]:
        if not isinstance(partition, WekeoPartition):  # Spark's stand-in when there are no partitions
            return iter(())
        return self._read(partition)

    def _read(self, partition: WekeoPartition) -> Iterator[pa.RecordBatch]:
        p = self.parsed
        target = to_arrow_schema(self.schema, timezone="UTC")
        endpoint = fl.FlightEndpoint(partition.ticket, [fl.Location(u) for u in partition.locations])
        with Client(p["endpoint"], token=p["token"], tls_root_certs=p["tls_root_certs"]) as c:
            for b in c.endpoint_batches(endpoint):
                yield _conform(b, target)


def _iso_time(v: Any) -> _dt.datetime | None:
    """An ISO-8601 option as naive UTC (the bridge's convention for times without a zone);
    None when absent or unparseable (the bridge then rejects it with its own message)."""
    if not isinstance(v, str):
        return None
    try:
        t = _dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t.astimezone(_dt.timezone.utc).replace(tzinfo=None) if t.tzinfo else t


def _iso_end(v: Any) -> _dt.datetime | None:
    """An `end` option as the bridge reads it: the last microsecond of the unit it is written to
    ("2024-01-18" is that whole day, "...T04:20" that minute; with seconds, as written)."""
    t = _iso_time(v)
    if t is None:
        return None
    m = re.match(r"^\d{4}-\d{2}-\d{2}(?:[T ](\d\d)(?::(\d\d)(?::(\d\d))?)?)?", v)
    if m is None or m.group(3) is not None:
        return t
    unit = _dt.timedelta(minutes=1) if m.group(2) else _dt.timedelta(hours=1) if m.group(1) else _dt.timedelta(days=1)
    return t + unit - _dt.timedelta(microseconds=1)


def _filter_time(v: Any) -> _dt.datetime | None:
    if isinstance(v, _dt.datetime):
        # Spark hands naive datetimes in the worker's local time (datetime.fromtimestamp).
        return v.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    if isinstance(v, _dt.date):
        return _dt.datetime(v.year, v.month, v.day)
    return None


def _conform(batch: pa.RecordBatch, target: pa.Schema) -> pa.RecordBatch:
    """The batch in exactly the Arrow types Spark expects (chips as list<float>, nullable fields)."""
    cols = []
    for f in target:
        col = batch.column(f.name)
        cols.append(col if col.type == f.type else col.cast(f.type))
    return pa.RecordBatch.from_arrays(cols, schema=target)


def register(spark) -> None:
    """Registers `format("wekeo")` on a session and turns on Spark's switch for Python data source
    filter pushdown (`spark.sql.python.filterPushdown.enabled`), without which Spark refuses a
    source that implements pushFilters."""
    spark.dataSource.register(WekeoDataSource)
    spark.conf.set("spark.sql.python.filterPushdown.enabled", "true")
