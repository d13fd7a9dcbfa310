"""
Reference decode of one file, timed in-process (single-threaded), as a benchmark worker
(see worker.py):

  grib     ecCodes: codes_grib_new_from_file + codes_get_values for every message
  netcdf   netCDF4-python (netCDF-C): var[:] of every data variable, default mask-and-scale
  geotiff  rasterio (GDAL RasterIO): dataset.read() of all bands

    ref_decode.py KIND PATH
"""
import os
import sys
import time

# Single-threaded references: no GDAL worker threads, no BLAS/OpenMP pools.
os.environ.setdefault('GDAL_NUM_THREADS', '1')
for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(var, '1')

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from worker import serve  # noqa: E402


def grib(path):
    import eccodes

    def run():
        t0 = time.perf_counter()
        n = 0
        fields = 0
        with open(path, 'rb') as f:
            while True:
                h = eccodes.codes_grib_new_from_file(f)
                if h is None:
                    break
                n += eccodes.codes_get_values(h).size
                eccodes.codes_release(h)
                fields += 1
        return {'seconds': time.perf_counter() - t0, 'values': n, 'fields': fields}

    return {'eccodes': eccodes.codes_get_api_version()}, run


def netcdf(path):
    import netCDF4

    def run():
        t0 = time.perf_counter()
        n = 0
        fields = 0
        with netCDF4.Dataset(path) as ds:
            for name, v in ds.variables.items():
                if name in ds.dimensions:  # coordinate variables are not data variables
                    continue
                n += v[:].size
                fields += 1
        return {'seconds': time.perf_counter() - t0, 'values': n, 'fields': fields}

    return {'netCDF4': netCDF4.__version__, 'netcdf-c': netCDF4.__netcdf4libversion__, 'hdf5': netCDF4.__hdf5libversion__}, run


def geotiff(path):
    import rasterio

    def run():
        t0 = time.perf_counter()
        with rasterio.open(path) as ds:
            a = ds.read()
        return {'seconds': time.perf_counter() - t0, 'values': int(a.size), 'fields': int(a.shape[0])}

    return {'rasterio': rasterio.__version__, 'gdal': rasterio.__gdal_version__}, run


if __name__ == '__main__':
    kind, path = sys.argv[1], sys.argv[2]
    serve(lambda: {'grib': grib, 'netcdf': netcdf, 'geotiff': geotiff}[kind](path))
