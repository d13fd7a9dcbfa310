"""
The transport suite's reference: pyarrow's own C++ Flight server serving a table from memory,
split into the same endpoints as the bridge served it (row counts kept in the file's schema
metadata by flight_dump.py). Any descriptor gets the whole table; a ticket names an endpoint.

    ref_flight_server.py TABLE.arrow

Prints "listening on grpc://127.0.0.1:PORT" once serving (loopback, a free port); ends on SIGTERM.
"""
import json
import sys

import pyarrow as pa
import pyarrow.flight as fl


class TableServer(fl.FlightServerBase):
    def __init__(self, table, counts):
        super().__init__('grpc://127.0.0.1:0')
        self.parts = []
        offset = 0
        for n in counts:
            self.parts.append(table.slice(offset, n))  # zero-copy views of the loaded table
            offset += n
        self.schema = table.schema

    def get_flight_info(self, context, descriptor):
        endpoints = [fl.FlightEndpoint(str(i).encode(), []) for i in range(len(self.parts))]
        rows = sum(p.num_rows for p in self.parts)
        return fl.FlightInfo(self.schema, descriptor, endpoints, rows, -1)

    def do_get(self, context, ticket):
        return fl.RecordBatchStream(self.parts[int(ticket.ticket.decode())])


def main(path):
    # Read into ordinary memory (not a file mapping), as a server holding decoded data has it.
    with pa.OSFile(path, 'r') as src:
        table = pa.ipc.open_file(src).read_all()
    counts = json.loads(table.schema.metadata[b'wekeo_bench_endpoint_rows'])
    server = TableServer(table, counts)
    print(f'listening on grpc://127.0.0.1:{server.port}', flush=True)
    server.serve()  # until SIGTERM from the suite


if __name__ == '__main__':
    main(sys.argv[1])
