"""wekeo: read wekeo-bridge datasets from Python.

    import wekeo
    c = wekeo.connect("grpc://127.0.0.1:8815")
    table = c.read("cmems-currents", bbox=[-30, 10, 20, 45], start="2024-01-08", variables=["uo"])

`wekeo.tf` (TensorFlow tiles pipeline) and `wekeo.spark` (Spark 4 Python data source) are
imported on demand so that neither TensorFlow nor pyspark is needed for plain reads.
"""
from .client import Client, connect
from .errors import (
    WekeoError,
    WekeoInternal,
    WekeoInvalidQuery,
    WekeoNotFound,
    WekeoPermissionDenied,
    WekeoUnauthenticated,
    WekeoUnavailable,
    WekeoUnsupported,
)

__all__ = [
    "Client", "connect", "WekeoError", "WekeoInternal", "WekeoInvalidQuery", "WekeoNotFound",
    "WekeoPermissionDenied", "WekeoUnauthenticated", "WekeoUnavailable", "WekeoUnsupported",
]
__version__ = "0.1.0"
