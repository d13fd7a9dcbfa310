#!/usr/bin/env bash
# Writes GRIB1 second-order ("grid_second_order", general extended) fixtures by repacking real
# GRIB1 files with ecCodes, and their oracles with the corpus's oracle.sh (ecCodes values).
# No corpus file uses GRIB1 second-order packing, which ERA5 and other ECMWF archives do.
#
# Needs (Debian): libeccodes-tools gdal-bin netcdf-bin python3-netcdf4 python3-gdal python3-numpy
# and ../shared/corpus/oracle.sh. Run: scripts/gen-grib1-second-order-fixtures.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/test/fixtures/grib"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/grib"
cp "$root/../shared/corpus/oracle.sh" "$work/"

era5="$root/samples/era5-ensemble/era5-levels-members.grib"
grib_copy -w count=1/2/3 "$era5" "$work/era5_3.grib"
grib_copy -w count=4 "$era5" "$work/era5_4.grib"

# Spatial differencing of order 2 (the default), then no / first / third order, then boustrophedonic.
grib_set -r -s packingType=grid_second_order "$work/era5_3.grib" "$work/a.grib"
for spd in grid_second_order_no_SPD grid_second_order_SPD1 grid_second_order_SPD3; do
  grib_set -r -s packingType=$spd "$work/era5_4.grib" "$work/$spd.grib"
done
grib_set -r -s packingType=grid_second_order,boustrophedonicOrdering=1 "$work/era5_4.grib" "$work/bous.grib"
cat "$work/a.grib" "$work"/grid_second_order_*.grib "$work/bous.grib" > "$work/grib/era5_second_order.grib"

# A bitmap (missing values), also boustrophedonic, and a reduced Gaussian grid (ecCodes 2.28 crashes
# writing a boustrophedonic reduced grid).
grib_set -r -s packingType=grid_second_order "$root/test/fixtures/grib/fields_with_missing_values.grib" "$work/m.grib"
grib_set -r -s packingType=grid_second_order,boustrophedonicOrdering=1 "$root/test/fixtures/grib/fields_with_missing_values.grib" "$work/mb.grib"
grib_set -r -s packingType=grid_second_order "$root/test/fixtures/grib/reduced_gg.grib" "$work/r.grib"
cat "$work/m.grib" "$work/mb.grib" "$work/r.grib" > "$work/grib/second_order_bitmap_reduced.grib"

(cd "$work" && ./oracle.sh grib/era5_second_order.grib grib/second_order_bitmap_reduced.grib)
for f in era5_second_order.grib second_order_bitmap_reduced.grib; do
  cp "$work/grib/$f" "$work/grib/$f.oracle.json" "$out/"
done
grib_ls -p packingType,extendedFlag,numberOfValues "$out/era5_second_order.grib" "$out/second_order_bitmap_reduced.grib"
