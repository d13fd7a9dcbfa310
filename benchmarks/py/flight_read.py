"""
A pyarrow Flight client as a benchmark worker (see worker.py): reads a whole dataset, timed
in-process. Works against the bridge and against the pyarrow reference server alike.

    flight_read.py URI DATASET MODE [STREAMS]

MODE
  table       the README's snippet: get_flight_info, then one DoGet per endpoint, concatenated
              into one pyarrow Table (STREAMS > 1: endpoints read by a thread pool, then concatenated)
  stream      every endpoint's batches are counted and dropped (inputs larger than memory)
STREAMS  concurrent DoGet streams (default 1: endpoints one after another)
"""
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from worker import serve  # noqa: E402


def setup(uri, dataset, mode, streams):
    import pyarrow as pa
    import pyarrow.flight as fl

    client = fl.connect(uri)
    descriptor = fl.FlightDescriptor.for_command(json.dumps({'dataset': dataset}))

    def read_table(endpoint):
        return client.do_get(endpoint.ticket).read_all()

    def drain(endpoint):
        rows = nbytes = 0
        for chunk in client.do_get(endpoint.ticket):
            rows += chunk.data.num_rows
            nbytes += chunk.data.nbytes
        return rows, nbytes

    def run():
        t0 = time.perf_counter()
        info = client.get_flight_info(descriptor)
        endpoints = list(info.endpoints)
        if mode == 'table':
            if streams == 1:
                table = pa.concat_tables(client.do_get(e.ticket).read_all() for e in endpoints)
            else:
                with ThreadPoolExecutor(streams) as ex:
                    table = pa.concat_tables(list(ex.map(read_table, endpoints)))
            rows, nbytes = table.num_rows, table.nbytes
            del table
        else:
            if streams == 1:
                parts = [drain(e) for e in endpoints]
            else:
                with ThreadPoolExecutor(streams) as ex:
                    parts = list(ex.map(drain, endpoints))
            rows, nbytes = sum(p[0] for p in parts), sum(p[1] for p in parts)
        return {'seconds': time.perf_counter() - t0, 'rows': rows, 'bytes': nbytes, 'endpoints': len(endpoints)}

    return {'pyarrow': pa.__version__}, run


if __name__ == '__main__':
    uri, dataset, mode = sys.argv[1:4]
    streams = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    serve(lambda: setup(uri, dataset, mode, streams))
