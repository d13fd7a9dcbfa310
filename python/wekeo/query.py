"""Python arguments to the bridge's JSON query (README "Query model").

The bridge is the one parser and validator of queries (src/bridge/query.ts): this module only
turns Python values into JSON (datetimes to ISO-8601, tuples to lists, a comma string of
variables to a list) and leaves out what was not given, so the bridge's defaults and its
error messages apply unchanged.
"""
from __future__ import annotations

import datetime as _dt
import json
from typing import Any, Mapping, Sequence

import pyarrow.flight as fl

from .errors import WekeoInvalidQuery


def _time(value: Any) -> str:
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
        return value.isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if hasattr(value, "isoformat"):  # pandas / numpy-like timestamps
        return _time(value.to_pydatetime()) if hasattr(value, "to_pydatetime") else value.isoformat()
    return str(value)


def _names(value: str | Sequence[str]) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return list(value)


def _numbers(value: Any, key: str, form: str, kind: type) -> list:
    """A list of numbers from a sequence or "a,b,c" string; a value that is no number is named."""
    parts = value.split(",") if isinstance(value, str) else value
    try:
        return [kind(x) for x in parts]
    except (TypeError, ValueError):
        raise WekeoInvalidQuery(f'"{key}" must be {form}, got {value!r}') from None


def build(
    dataset: str,
    bbox: Sequence[float] | None = None,
    start: Any = None,
    end: Any = None,
    variables: str | Sequence[str] | None = None,
    layout: str | None = None,
    tile: Sequence[int] | None = None,
    group: str | None = None,
    filters: Mapping[str, Any] | None = None,
) -> dict:
    """The query object; `tile` alone implies the tiles layout."""
    q: dict[str, Any] = {"dataset": dataset}
    if bbox is not None:
        q["bbox"] = _numbers(bbox, "bbox", "[west, south, east, north] in degrees", float)
    if start is not None:
        q["start"] = _time(start)
    if end is not None:
        q["end"] = _time(end)
    if variables is not None:
        q["variables"] = _names(variables)
    if tile is not None:
        q["tile"] = _numbers(tile, "tile", "[height, width] in grid cells", int)
        layout = layout or "tiles"
    if layout is not None:
        q["layout"] = layout
    if group is not None:
        q["group"] = group
    if filters:
        q["filters"] = {str(k): str(v) for k, v in filters.items()}
    return q


def descriptor(query: Mapping[str, Any]) -> fl.FlightDescriptor:
    return fl.FlightDescriptor.for_command(json.dumps(query))
