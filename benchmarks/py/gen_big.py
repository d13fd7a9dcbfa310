"""
Large NetCDF-3 inputs for the scaling and memory suites, written by netCDF4-python (netCDF-C):
64-bit-offset format, time x lat 721 x lon 1440 with 8 float32 variables (33 MB per time step),
uncompressed, so the file size is the data size. Rewritten only when missing or when this
script changed (sha256 in NAME.stamp).

    gen_big.py OUT_DIR GB [GB ...]

Prints {"files": [{"name", "path", "gb", "bytes", "rows", "note"}]} on stdout; progress on stderr.
"""
import hashlib
import json
import math
import os
import sys
import time

import numpy as np

STAMP = hashlib.sha256(open(__file__, 'rb').read()).hexdigest()
NLAT, NLON = 721, 1440
VARS = ['v%d' % i for i in range(8)]
STEP_BYTES = NLAT * NLON * 4 * len(VARS)


def log(msg):
    print(f'[gen-big] {msg}', file=sys.stderr, flush=True)


def write(path, steps):
    import netCDF4
    rng = np.random.default_rng(8)
    y = np.linspace(-1.0, 1.0, NLAT)[:, None]
    x = np.linspace(0.0, 2.0 * math.pi, NLON, endpoint=False)[None, :]
    with netCDF4.Dataset(path + '.tmp', 'w', format='NETCDF3_64BIT_OFFSET') as ds:
        ds.createDimension('time', steps)
        ds.createDimension('lat', NLAT)
        ds.createDimension('lon', NLON)
        t = ds.createVariable('time', 'f8', ('time',))
        t.units = 'hours since 2020-01-01 00:00:00'
        t.calendar = 'standard'
        lat = ds.createVariable('lat', 'f8', ('lat',))
        lat.units = 'degrees_north'
        lon = ds.createVariable('lon', 'f8', ('lon',))
        lon.units = 'degrees_east'
        lat[:] = np.linspace(90.0, -90.0, NLAT)
        lon[:] = np.arange(NLON) * 0.25
        t[:] = np.arange(steps) * 1.0
        vs = []
        for name in VARS:
            v = ds.createVariable(name, 'f4', ('time', 'lat', 'lon'))
            v.units = '1'
            vs.append(v)
        for k in range(steps):
            base = (20.0 * np.cos(1.5 * y) * np.sin(2.0 * x + 0.05 * k) + rng.normal(0.0, 0.5, (NLAT, NLON))).astype(np.float32)
            for i, v in enumerate(vs):
                v[k] = base + np.float32(10 * i)
            if k % 50 == 0:
                log(f'  {os.path.basename(path)}: step {k}/{steps}')
    os.replace(path + '.tmp', path)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    files = []
    for g in sys.argv[2:]:
        gb = float(g)
        steps = max(1, round(gb * 1e9 / STEP_BYTES))
        name = f'nc3-{g}gb'
        path = os.path.join(out, name + '.nc')
        stamp = path + '.stamp'
        ok = False
        if os.path.exists(path) and os.path.exists(stamp):
            with open(stamp) as f:
                ok = json.load(f).get('sha256') == STAMP
        note = f'NETCDF3_64BIT_OFFSET, time={steps} x lat={NLAT} x lon={NLON}, {len(VARS)} float32 variables'
        if not ok:
            log(f'writing {name} ({steps} steps) ...')
            t0 = time.time()
            write(path, steps)
            with open(stamp, 'w') as f:
                json.dump({'sha256': STAMP}, f)
            log(f'  {name}: {os.path.getsize(path) / 1e9:.2f} GB in {time.time() - t0:.0f} s')
        files.append({'name': name, 'path': path, 'gb': gb, 'bytes': os.path.getsize(path), 'rows': steps * NLAT * NLON, 'note': note})
    json.dump({'files': files}, sys.stdout)
    print()


if __name__ == '__main__':
    main()
