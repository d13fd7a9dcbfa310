"""
The spark suite's sides, as benchmark workers (see worker.py): one local SparkSession each
(local[2], loopback only), and per pass a count and a grouped average over the same rows.

    spark_job.py wekeo JAR URI DATASET        spark.read.format("wekeo") through the bridge
    spark_job.py binaryfile PATH              binaryFile + mapInPandas decoding with xarray
    spark_job.py parquet PARQUET_DIR          spark.read.parquet of the same rows, written beforehand

Each pass reports {"seconds": total, "count_seconds", "avg_seconds", "rows", "groups"}.
The grouped average is avg(VAR) by time, VAR given with --var (default t2m).
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from worker import serve  # noqa: E402


def session(jar=None):
    from pyspark.sql import SparkSession
    # Spark's Python workers (mapInPandas) must run this venv's interpreter, not the first python3 on PATH.
    os.environ['PYSPARK_PYTHON'] = sys.executable
    os.environ['PYSPARK_DRIVER_PYTHON'] = sys.executable
    b = (SparkSession.builder.master('local[2]').appName('wekeo-bench')
         .config('spark.ui.enabled', 'false')
         .config('spark.ui.showConsoleProgress', 'false')
         .config('spark.driver.host', '127.0.0.1')
         .config('spark.driver.bindAddress', '127.0.0.1')
         .config('spark.driver.memory', '3g')
         .config('spark.sql.shuffle.partitions', '4')
         .config('spark.sql.execution.arrow.maxRecordsPerBatch', '131072'))
    if jar:
        b = b.config('spark.jars', jar)
    spark = b.getOrCreate()
    spark.sparkContext.setLogLevel('ERROR')
    return spark


def xarray_frames(batches):
    """mapInPandas body: each binaryFile row is a whole file; decode it with xarray, emit its rows."""
    import tempfile
    import xarray as xr
    for pdf in batches:
        for content in pdf['content']:
            with tempfile.NamedTemporaryFile(suffix='.nc') as tmp:
                tmp.write(content)
                tmp.flush()
                with xr.open_dataset(tmp.name, engine='netcdf4') as ds:
                    df = ds.to_dataframe().reset_index()
            step = 1 << 20
            for i in range(0, len(df), step):
                yield df.iloc[i:i + step]


def setup(mode, args, var):
    import pyspark
    from pyspark.sql import functions as F

    if mode == 'wekeo':
        jar, uri, dataset = args
        spark = session(jar)

        def frame():
            return spark.read.format('wekeo').option('endpoint', uri).option('dataset', dataset).load()
    elif mode == 'binaryfile':
        (path,) = args
        spark = session()
        # The rows' schema as xarray produces it: read once from the file itself.
        import xarray as xr
        with xr.open_dataset(path, engine='netcdf4') as ds:
            sample = ds.isel({d: slice(0, 1) for d in ds.dims}).to_dataframe().reset_index()
        schema = spark.createDataFrame(sample).schema

        def frame():
            return spark.read.format('binaryFile').load(path).mapInPandas(xarray_frames, schema)
    elif mode == 'parquet':
        (pdir,) = args
        spark = session()

        def frame():
            return spark.read.parquet(pdir)
    else:
        raise ValueError(f'unknown mode {mode}')

    def run():
        t0 = time.perf_counter()
        rows = frame().count()
        t1 = time.perf_counter()
        groups = len(frame().groupBy('time').agg(F.avg(var)).collect())
        t2 = time.perf_counter()
        return {'seconds': t2 - t0, 'count_seconds': t1 - t0, 'avg_seconds': t2 - t1, 'rows': rows, 'groups': groups}

    return {'pyspark': pyspark.__version__}, run


if __name__ == '__main__':
    argv = sys.argv[1:]
    var = 't2m'
    if '--var' in argv:
        i = argv.index('--var')
        var = argv[i + 1]
        del argv[i:i + 2]
    serve(lambda: setup(argv[0], argv[1:], var))
