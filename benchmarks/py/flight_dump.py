"""
Reads a whole dataset from the bridge once and writes it as an Arrow IPC file, with the row count
of each endpoint in the schema metadata, so the reference server can serve the same table in the
same endpoints. Prints {"rows", "bytes", "endpoints", "seconds"}.

    flight_dump.py URI DATASET OUT.arrow
"""
import json
import os
import sys
import time

import pyarrow as pa
import pyarrow.flight as fl


def main(uri, dataset, out):
    t0 = time.perf_counter()
    client = fl.connect(uri)
    info = client.get_flight_info(fl.FlightDescriptor.for_command(json.dumps({'dataset': dataset})))
    tables = [client.do_get(e.ticket).read_all() for e in info.endpoints]
    counts = [t.num_rows for t in tables]
    table = pa.concat_tables(tables)
    meta = dict(table.schema.metadata or {})
    meta[b'wekeo_bench_endpoint_rows'] = json.dumps(counts).encode()
    table = table.replace_schema_metadata(meta)
    with pa.OSFile(out + '.tmp', 'w') as sink, pa.ipc.new_file(sink, table.schema) as w:
        w.write_table(table)
    os.replace(out + '.tmp', out)
    print(json.dumps({'rows': table.num_rows, 'bytes': table.nbytes, 'endpoints': len(counts), 'seconds': time.perf_counter() - t0}))


if __name__ == '__main__':
    main(*sys.argv[1:4])
