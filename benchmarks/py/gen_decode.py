"""
Input files of the decode suite, written by the reference tools themselves: ecCodes for GRIB,
netCDF4-python (netCDF-C/HDF5) for NetCDF, rasterio (GDAL) for GeoTIFF.

    gen_decode.py OUT_DIR [--only NAME ...]

A file is rewritten only when it is missing or when this script changed (the sha256 of this
file is kept next to each output as NAME.stamp). Prints one JSON manifest on stdout:
{"files": [{"name", "path", "kind", "bytes", "note"}], "skipped": [{"name", "reason"}]}.
Progress goes to stderr.
"""
import argparse
import hashlib
import json
import math
import os
import sys
import time

try:
    import numpy as np
except ImportError:  # existing inputs are still listed; writing new ones fails per file with this error
    np = None

HERE = os.path.dirname(os.path.abspath(__file__))
STAMP = hashlib.sha256(open(__file__, 'rb').read()).hexdigest()
MIN_BYTES = 32_000_000  # every input is at least ~30 MB

# GRIB grid: global 0.25 degree, 1440 x 721 = 1,038,240 points per message (ERA5's grid).
NI, NJ = 1440, 721


def log(msg):
    print(f'[gen-decode] {msg}', file=sys.stderr, flush=True)


def field(ny, nx, k, rng, noise=0.4, base=270.0, amp=25.0):
    """Smooth large-scale pattern (shifted by k) plus Gaussian noise, float64."""
    y = np.linspace(-1.0, 1.0, ny)[:, None]
    x = np.linspace(0.0, 2.0 * math.pi, nx, endpoint=False)[None, :]
    smooth = base + amp * np.cos(1.5 * y) * np.sin(2.0 * x + 0.3 * k) + 8.0 * np.sin(5.0 * y + 3.0 * x - 0.2 * k)
    return smooth + rng.normal(0.0, noise, (ny, nx))


# ---------------------------------------------------------------- GRIB (ecCodes)

GRIB_CASES = {
    # name: (sample, packingType, bitsPerValue)
    'grib2-simple': ('regular_ll_sfc_grib2', 'grid_simple', 16),
    'grib2-complex': ('regular_ll_sfc_grib2', 'grid_complex', 16),
    'grib2-complex-sd': ('regular_ll_sfc_grib2', 'grid_complex_spatial_differencing', 16),
    'grib2-ieee': ('regular_ll_sfc_grib2', 'grid_ieee', 32),
    'grib2-ccsds': ('regular_ll_sfc_grib2', 'grid_ccsds', 16),
    'grib2-png': ('regular_ll_sfc_grib2', 'grid_png', 16),
    'grib2-jpeg': ('regular_ll_sfc_grib2', 'grid_jpeg', 16),
    'grib1-simple': ('regular_ll_sfc_grib1', 'grid_simple', 16),
    'grib1-second-order': ('regular_ll_sfc_grib1', 'grid_second_order', 16),
}


def grib_message(eccodes, sample, packing, bits, values, k):
    h = eccodes.codes_grib_new_from_samples(sample)
    try:
        for key, val in (
            ('packingType', packing),  # first, while the sample's own 496 values fit its grid
            ('Ni', NI), ('Nj', NJ),
            ('latitudeOfFirstGridPointInDegrees', 90.0), ('latitudeOfLastGridPointInDegrees', -90.0),
            ('longitudeOfFirstGridPointInDegrees', 0.0), ('longitudeOfLastGridPointInDegrees', 359.75),
            ('iDirectionIncrementInDegrees', 0.25), ('jDirectionIncrementInDegrees', 0.25),
            ('dataDate', 20240101 + k // 4), ('dataTime', (k % 4) * 600),
            ('bitsPerValue', bits),
        ):
            eccodes.codes_set(h, key, val)
        eccodes.codes_set_values(h, values)
        if eccodes.codes_get(h, 'packingType') != packing:
            # GRIB1 second-order is only taken over values that need it: repack once they are set.
            eccodes.codes_set(h, 'packingType', packing)
        if eccodes.codes_get(h, 'packingType') != packing:
            raise RuntimeError(f'ecCodes wrote packingType={eccodes.codes_get(h, "packingType")}')
        return eccodes.codes_get_message(h)
    finally:
        eccodes.codes_release(h)


def gen_grib(name, path):
    import eccodes
    sample, packing, bits = GRIB_CASES[name]
    rng = np.random.default_rng(1234)
    first = grib_message(eccodes, sample, packing, bits, field(NJ, NI, 0, rng).ravel(), 0)
    count = max(4, math.ceil(MIN_BYTES / len(first)))
    with open(path + '.tmp', 'wb') as f:
        f.write(first)
        for k in range(1, count):
            f.write(grib_message(eccodes, sample, packing, bits, field(NJ, NI, k, rng).ravel(), k))
    os.replace(path + '.tmp', path)
    return f'{count} messages of {NI}x{NJ}, packingType={packing}, bitsPerValue={bits}, ecCodes {eccodes.codes_get_api_version()}'


# ---------------------------------------------------------------- NetCDF (netCDF4-python)

NC_T, NC_LAT, NC_LON = 8, 721, 1440  # 8.3 M points per variable


def nc_common(ds):
    import netCDF4
    ds.createDimension('time', None)
    ds.createDimension('lat', NC_LAT)
    ds.createDimension('lon', NC_LON)
    t = ds.createVariable('time', 'f8', ('time',))
    t.units = 'hours since 2024-01-01 00:00:00'
    t.calendar = 'standard'
    t.standard_name = 'time'
    lat = ds.createVariable('lat', 'f8', ('lat',))
    lat.units = 'degrees_north'
    lat.standard_name = 'latitude'
    lon = ds.createVariable('lon', 'f8', ('lon',))
    lon.units = 'degrees_east'
    lon.standard_name = 'longitude'
    lat[:] = np.linspace(90.0, -90.0, NC_LAT)
    lon[:] = np.arange(NC_LON) * 0.25
    ds.Conventions = 'CF-1.8'
    ds.source = f'wekeo-bridge benchmarks/py/gen_decode.py, netCDF-C {netCDF4.__netcdf4libversion__}'
    return t


def gen_netcdf3(name, path):
    import netCDF4
    rng = np.random.default_rng(3)
    with netCDF4.Dataset(path + '.tmp', 'w', format='NETCDF3_CLASSIC') as ds:
        t = nc_common(ds)
        t2m = ds.createVariable('t2m', 'f4', ('time', 'lat', 'lon'))
        t2m.units = 'K'
        t2m.long_name = '2 metre temperature'
        sp = ds.createVariable('sp', 'i2', ('time', 'lat', 'lon'), fill_value=np.int16(-32767))
        sp.units = 'Pa'
        sp.long_name = 'surface pressure'
        sp.scale_factor = 0.5
        sp.add_offset = 90000.0
        for k in range(NC_T):
            t[k] = 6.0 * k
            t2m[k] = field(NC_LAT, NC_LON, k, rng).astype(np.float32)
            sp[k] = field(NC_LAT, NC_LON, k, rng, noise=20.0, base=98000.0, amp=3000.0)
    os.replace(path + '.tmp', path)
    return f'NETCDF3_CLASSIC, time={NC_T} (unlimited) x lat={NC_LAT} x lon={NC_LON}: t2m float32, sp int16 packed (scale_factor/add_offset/_FillValue)'


def gen_netcdf4(name, path):
    import netCDF4
    rng = np.random.default_rng(4)
    chunks = (1, 361, 720)
    with netCDF4.Dataset(path + '.tmp', 'w', format='NETCDF4') as ds:
        t = nc_common(ds)
        out = []
        for vname, units, long_name in (('t2m', 'K', '2 metre temperature'), ('sp', 'Pa', 'surface pressure')):
            v = ds.createVariable(vname, 'f4', ('time', 'lat', 'lon'), zlib=True, complevel=4, shuffle=True, chunksizes=chunks)
            v.units = units
            v.long_name = long_name
            out.append(v)
        for k in range(NC_T):
            t[k] = 6.0 * k
            # t2m at full float32 precision, sp rounded to 0.1 Pa (archived fields often carry fewer digits).
            out[0][k] = field(NC_LAT, NC_LON, k, rng).astype(np.float32)
            out[1][k] = np.round(field(NC_LAT, NC_LON, k, rng, noise=20.0, base=98000.0, amp=3000.0), 1).astype(np.float32)
    os.replace(path + '.tmp', path)
    return f'NETCDF4 (HDF5), time={NC_T} x lat={NC_LAT} x lon={NC_LON}: t2m, sp float32, zlib level 4 + shuffle, chunks {chunks}'


# ---------------------------------------------------------------- GeoTIFF (rasterio / GDAL)

TIFF_CASES = {
    # name: (dtype, size, noise sigma, creation options); sizes give files of >= 30 MB
    'geotiff-deflate': ('float32', 4000, 2.0, dict(compress='deflate')),
    'geotiff-lzw-pred2': ('int16', 7168, 4.0, dict(compress='lzw', predictor=2)),
    'geotiff-zstd-pred3': ('float32', 4000, 2.0, dict(compress='zstd', predictor=3)),
    'geotiff-uncompressed': ('float32', 4000, 2.0, dict(compress='none')),
}


def gen_geotiff(name, path):
    import rasterio
    from rasterio.transform import from_origin
    dtype, size, sigma, opts = TIFF_CASES[name]
    rng = np.random.default_rng(5)
    profile = dict(driver='GTiff', width=size, height=size, count=1, dtype=dtype, crs='EPSG:4326',
                   transform=from_origin(-180.0, 90.0, 360.0 / size, 180.0 / size),
                   tiled=True, blockxsize=256, blockysize=256, **opts)
    with rasterio.open(path + '.tmp', 'w', **profile) as dst:
        band = 512  # rows at a time, a multiple of the tile height
        for y0 in range(0, size, band):
            h = min(band, size - y0)
            y = np.linspace(-1.0, 1.0, size)[y0:y0 + h, None]
            x = np.linspace(0.0, 2.0 * math.pi, size, endpoint=False)[None, :]
            v = 500.0 + 400.0 * np.cos(1.5 * y) * np.sin(2.0 * x) + 60.0 * np.sin(9.0 * y + 5.0 * x) + rng.normal(0.0, sigma, (h, size))
            v = np.round(v).astype(dtype) if dtype.startswith('int') else np.round(v, 2).astype(dtype)
            dst.write(v, 1, window=rasterio.windows.Window(0, y0, size, h))
    os.replace(path + '.tmp', path)
    desc = ', '.join(f'{k}={v}' for k, v in opts.items())
    return f'{size}x{size} {dtype}, tiled 256x256, {desc}, GDAL {rasterio.__gdal_version__}'


FILES = [(n, 'grib', '.grib', gen_grib) for n in GRIB_CASES] + [
    ('netcdf3', 'netcdf', '.nc', gen_netcdf3),
    ('netcdf4-zlib', 'netcdf', '.nc', gen_netcdf4),
] + [(n, 'geotiff', '.tif', gen_geotiff) for n in TIFF_CASES]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('out')
    ap.add_argument('--only', nargs='*')
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    files, skipped = [], []
    for name, kind, ext, gen in FILES:
        if a.only and name not in a.only:
            continue
        path = os.path.join(a.out, name + ext)
        stamp = path + '.stamp'
        note = None
        if os.path.exists(path) and os.path.exists(stamp):
            with open(stamp) as f:
                st = json.load(f)
            if st.get('sha256') == STAMP:
                note = st.get('note')
        if note is None:
            log(f'writing {name} ...')
            t0 = time.time()
            try:
                note = gen(name, path)
            except Exception as e:  # a packing this wheel cannot write: recorded, not fatal
                skipped.append({'name': name, 'reason': f'{type(e).__name__}: {e}'})
                log(f'  {name}: cannot be written here ({e}); skipped')
                for p in (path + '.tmp', stamp):
                    if os.path.exists(p):
                        os.remove(p)
                continue
            with open(stamp, 'w') as f:
                json.dump({'sha256': STAMP, 'note': note}, f)
            log(f'  {name}: {os.path.getsize(path) / 1e6:.1f} MB in {time.time() - t0:.1f} s ({note})')
        files.append({'name': name, 'path': path, 'kind': kind, 'bytes': os.path.getsize(path), 'note': note})
    json.dump({'files': files, 'skipped': skipped}, sys.stdout)
    print()


if __name__ == '__main__':
    main()
