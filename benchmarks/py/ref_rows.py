"""
Reference for the rows suite, as a benchmark worker (see worker.py): a whole file into a pandas
DataFrame the way a Python user would without the bridge, timed in-process.

    ref_rows.py netcdf4|cfgrib PATH

netcdf4  xarray.open_dataset(PATH, engine='netcdf4').to_dataframe()
cfgrib   xarray.open_dataset(PATH, engine='cfgrib').to_dataframe() (no .idx file is written,
         so every pass indexes the file as a first open would)
"""
import os
import sys
import time

os.environ.setdefault('OMP_NUM_THREADS', '1')
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from worker import serve  # noqa: E402


def setup(engine, path):
    import xarray as xr

    versions = {'xarray': xr.__version__}
    kwargs = {}
    if engine == 'cfgrib':
        import cfgrib
        versions['cfgrib'] = cfgrib.__version__
        kwargs['backend_kwargs'] = {'indexpath': ''}
    else:
        import netCDF4
        versions['netCDF4'] = netCDF4.__version__

    def run():
        t0 = time.perf_counter()
        with xr.open_dataset(path, engine=engine, **kwargs) as ds:
            df = ds.to_dataframe()
        rows = len(df)
        cols = len(df.columns) + df.index.nlevels
        del df
        return {'seconds': time.perf_counter() - t0, 'rows': rows, 'columns': cols}

    return versions, run


if __name__ == '__main__':
    serve(lambda: setup(sys.argv[1], sys.argv[2]))
