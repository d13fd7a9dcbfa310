"""Bridge failures as Python exceptions.

The bridge answers every failure with a gRPC status and a bounded message (src/bridge/errors.ts);
pyarrow turns those into a handful of generic Arrow/Flight exceptions whose text is wrapped in
"Flight returned ... error, with message: ..." and gRPC debug context. Callers want to catch "the
dataset does not exist" or "my query is wrong" and show the bridge's own sentence, so each status
gets one exception class here and the wrapping is stripped. This is the only place that maps them.
"""
from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.flight as fl


class WekeoError(Exception):
    """Base of every error raised for a bridge answer; `message` is the bridge's own text."""

    status = "UNKNOWN"

    def __init__(self, message: str, endpoint: str | None = None):
        super().__init__(message)
        self.message = message
        self.endpoint = endpoint


class WekeoNotFound(WekeoError, LookupError):
    """Unknown dataset, variable or group (gRPC NOT_FOUND)."""

    status = "NOT_FOUND"


class WekeoInvalidQuery(WekeoError, ValueError):
    """The query was rejected: unknown key, bad bbox/time/tile, stale ticket (INVALID_ARGUMENT)."""

    status = "INVALID_ARGUMENT"


class WekeoUnauthenticated(WekeoError, PermissionError):
    """Missing or wrong bearer token (UNAUTHENTICATED)."""

    status = "UNAUTHENTICATED"


class WekeoPermissionDenied(WekeoError, PermissionError):
    """The bridge may not read the source (PERMISSION_DENIED)."""

    status = "PERMISSION_DENIED"


class WekeoUnavailable(WekeoError, ConnectionError):
    """No bridge answered at the endpoint, or it timed out (UNAVAILABLE, DEADLINE_EXCEEDED)."""

    status = "UNAVAILABLE"


class WekeoUnsupported(WekeoError, NotImplementedError):
    """A file format or variant the bridge does not decode (UNIMPLEMENTED)."""

    status = "UNIMPLEMENTED"


class WekeoInternal(WekeoError):
    """Damaged data or an unexpected bridge failure (DATA_LOSS, INTERNAL); details are in the bridge log."""

    status = "INTERNAL"


# Most specific pyarrow classes first: Flight errors subclass ArrowException too.
_BY_TYPE = [
    (fl.FlightUnauthenticatedError, WekeoUnauthenticated),
    (fl.FlightUnauthorizedError, WekeoPermissionDenied),
    (fl.FlightUnavailableError, WekeoUnavailable),
    (fl.FlightTimedOutError, WekeoUnavailable),
    (fl.FlightInternalError, WekeoInternal),
    (fl.FlightServerError, WekeoInternal),
    (pa.ArrowKeyError, WekeoNotFound),
    (pa.ArrowInvalid, WekeoInvalidQuery),
    (pa.ArrowNotImplementedError, WekeoUnsupported),
    (fl.FlightError, WekeoError),
]

_WRAPPER = re.compile(r"^Flight returned ([a-z ]+) error, with message: ", re.S)
# pyarrow raises a plain OSError for some calls (GetSchema): its text still names the status.
_BY_WORD = {
    "unauthenticated": WekeoUnauthenticated, "unauthorized": WekeoPermissionDenied, "unavailable": WekeoUnavailable,
    "timed out": WekeoUnavailable, "internal": WekeoInternal, "invalid argument": WekeoInvalidQuery,
    "not found": WekeoNotFound, "unimplemented": WekeoUnsupported,
}
_DEBUG = re.compile(r"\. (gRPC client debug context|Detail|Client context): .*$", re.S)


def bridge_message(err: BaseException) -> str:
    """The bridge's sentence inside a pyarrow exception, without pyarrow's and gRPC's wrapping."""
    text = str(err)
    text = _WRAPPER.sub("", text)
    text = _DEBUG.sub("", text)
    return text.strip()


def translate(err: BaseException, endpoint: str | None = None) -> BaseException:
    """The WekeoError for a pyarrow Flight/Arrow exception; anything else is returned unchanged."""
    if isinstance(err, WekeoError) or not isinstance(err, (pa.ArrowException, fl.FlightError, OSError)):
        return err
    m = _WRAPPER.match(str(err))
    cls = _BY_WORD.get(m.group(1)) if m else None
    if cls is None:
        cls = next((c for pa_type, c in _BY_TYPE if isinstance(err, pa_type)), None)
    if cls is None:
        return err
    message = bridge_message(err)
    if cls is WekeoUnavailable and endpoint:
        message = f"no wekeo bridge answered at {endpoint} ({message})"
    return cls(message, endpoint)
