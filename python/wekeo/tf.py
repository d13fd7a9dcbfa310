"""TensorFlow input pipeline over the bridge's tiles layout.

The bridge already cuts the grid into fixed h × w chips (one row per chip per time and level,
each variable a fixed_size_list<float32> in row-major order, NaN where missing or padded:
src/bridge/tiles.ts), so a chip batch is a reshape of the Arrow buffers, not a regridding. This
module streams record batches from `Client.batches` (bounded memory, endpoints in parallel),
stacks the requested variables as channels, re-batches to `batch_size` in numpy and hands the
result to `tf.data.Dataset.from_generator`. `chip_batches` is the same without TensorFlow.
"""
from __future__ import annotations

from typing import Any, Iterator, Mapping, Sequence

import numpy as np
import pyarrow as pa

from .client import Client
from .errors import WekeoInvalidQuery

#: Per-chip coordinate columns passed through (when the dataset has them).
COORDINATES = ("time", "level", "tile_y", "tile_x", "lat_min", "lat_max", "lon_min", "lon_max")
_DTYPES = {"time": np.int64, "level": np.float64, "tile_y": np.int32, "tile_x": np.int32,
           "lat_min": np.float64, "lat_max": np.float64, "lon_min": np.float64, "lon_max": np.float64}


def tile_variables(schema: pa.Schema) -> list[str]:
    """The chip columns of a tiles-layout schema, in schema order."""
    return [f.name for f in schema if pa.types.is_fixed_size_list(f.type)]


def _chips(batch: pa.RecordBatch, variables: Sequence[str], shape: tuple[int, int], fill: float | None) -> dict[str, np.ndarray]:
    h, w = shape
    n = batch.num_rows
    channels = []
    for v in variables:
        col = batch.column(v)
        if col.type.list_size != h * w:
            raise WekeoInvalidQuery(f"column {v!r} holds chips of {col.type.list_size} cells, not {h}x{w}")
        # a fixed_size_list's values are one contiguous float32 buffer: a view (flatten honours slicing), then a reshape
        channels.append(col.flatten().to_numpy(zero_copy_only=False).reshape(n, h, w))
    x = np.stack(channels, axis=-1).astype(np.float32, copy=False)
    valid = ~np.isnan(x)
    if fill is not None:
        x = np.where(valid, x, np.float32(fill))
    out = {"x": x, "mask": valid}
    for c in COORDINATES:
        if c in batch.schema.names:
            arr = batch.column(c)
            if c == "time":
                arr = arr.cast(pa.int64())  # microseconds since the epoch, UTC
            out[c] = arr.to_numpy(zero_copy_only=False).astype(_DTYPES[c], copy=False)
    return out


def _rebatch(parts: Iterator[dict[str, np.ndarray]], batch_size: int, drop_remainder: bool) -> Iterator[dict[str, np.ndarray]]:
    pending: list[dict[str, np.ndarray]] = []
    have = 0
    for p in parts:
        pending.append(p)
        have += len(p["x"])
        while have >= batch_size:
            merged = {k: np.concatenate([q[k] for q in pending]) for k in pending[0]}
            yield {k: v[:batch_size] for k, v in merged.items()}
            rest = {k: v[batch_size:] for k, v in merged.items()}
            have -= batch_size
            pending = [rest] if have else []
    if have and not drop_remainder:
        yield {k: np.concatenate([q[k] for q in pending]) for k in pending[0]}


def _plan(client: Client, name: str, variables: Any, tile: Sequence[int], query: Mapping[str, Any]):
    info = client.plan(name, variables=variables, layout="tiles", tile=tile, **query)
    names = tile_variables(info.schema)
    if variables is not None:
        wanted = [v.strip() for v in variables.split(",")] if isinstance(variables, str) else list(variables)
        names = [v for v in wanted if v in names]
    if not names:
        raise WekeoInvalidQuery(f"dataset {name!r} has no variables to cut into chips")
    return info, names


def chip_batches(client: Client, name: str, variables: str | Sequence[str] | None = None, tile: Sequence[int] = (64, 64),
                 batch_size: int = 32, fill: float | None = None, drop_remainder: bool = False, progress: bool | None = None,
                 parallel: int | None = None, **query: Any) -> Iterator[dict[str, np.ndarray]]:
    """Numpy batches: "x" float32 [batch, h, w, n_variables] (NaN where missing unless `fill`),
    "mask" bool of the same shape (True = a real value), and per chip "time" (int64 µs UTC),
    "level" (if any), "tile_y", "tile_x", "lat_min", "lat_max", "lon_min", "lon_max".
    `query` takes the other read arguments (bbox, start, end, group, filters)."""
    if batch_size < 1:
        raise WekeoInvalidQuery(f"batch_size must be at least 1, got {batch_size}")
    info, names = _plan(client, name, variables, tile, query)
    shape = (int(tile[0]), int(tile[1]))
    stream = client.stream_plan(info, progress=progress, parallel=parallel, desc=f"wekeo {name} tiles")
    return _rebatch((_chips(b, names, shape, fill) for b in stream if b.num_rows), batch_size, drop_remainder)


def dataset(client: Client, name: str, variables: str | Sequence[str] | None = None, tile: Sequence[int] = (64, 64),
            batch_size: int = 32, fill: float | None = None, drop_remainder: bool = False, progress: bool | None = False,
            parallel: int | None = None, **query: Any):
    """A `tf.data.Dataset` of the dicts `chip_batches` yields. The query is planned now (so a
    bad one fails here); each iteration of the dataset (each epoch) streams it again, which a
    bridge with a partition cache serves without decoding twice."""
    import tensorflow as tf

    info, names = _plan(client, name, variables, tile, query)
    h, w = int(tile[0]), int(tile[1])
    batch_dim = batch_size if drop_remainder else None
    spec = {
        "x": tf.TensorSpec([batch_dim, h, w, len(names)], tf.float32),
        "mask": tf.TensorSpec([batch_dim, h, w, len(names)], tf.bool),
    }
    for c in COORDINATES:
        if c in info.schema.names:
            spec[c] = tf.TensorSpec([batch_dim], tf.as_dtype(_DTYPES[c]))

    def gen():
        yield from chip_batches(client, name, variables=names, tile=(h, w), batch_size=batch_size, fill=fill,
                                drop_remainder=drop_remainder, progress=progress, parallel=parallel, **query)

    return tf.data.Dataset.from_generator(gen, output_signature=spec)
