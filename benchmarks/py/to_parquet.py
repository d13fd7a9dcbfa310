"""
The rows of a dataset, read once from the bridge through Flight, written as Parquet (pyarrow,
snappy, one file per endpoint) for the spark suite's `spark.read.parquet` side. Rewritten only
when the directory is missing or its stamp (the source file's size and mtime) differs.

    to_parquet.py URI DATASET SOURCE_FILE OUT_DIR
"""
import json
import os
import shutil
import sys

import pyarrow.flight as fl
import pyarrow.parquet as pq


def main(uri, dataset, source, out):
    st = os.stat(source)
    stamp = {'source': source, 'size': st.st_size, 'mtime': st.st_mtime}
    stamp_path = os.path.join(out, '_bench_stamp.json')
    if os.path.exists(stamp_path):
        with open(stamp_path) as f:
            if json.load(f) == stamp:
                print(json.dumps({'reused': True}))
                return
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    client = fl.connect(uri)
    info = client.get_flight_info(fl.FlightDescriptor.for_command(json.dumps({'dataset': dataset})))
    rows = 0
    for i, e in enumerate(info.endpoints):
        t = client.do_get(e.ticket).read_all()
        rows += t.num_rows
        pq.write_table(t, os.path.join(out, f'part-{i:05d}.parquet'), compression='snappy')
    # Spark skips files starting with "_" when listing a Parquet directory.
    with open(stamp_path, 'w') as f:
        json.dump(stamp, f)
    print(json.dumps({'reused': False, 'rows': rows, 'files': len(info.endpoints)}))


if __name__ == '__main__':
    main(*sys.argv[1:5])
