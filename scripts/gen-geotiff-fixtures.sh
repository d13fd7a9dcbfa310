#!/usr/bin/env bash
# Writes GeoTIFF fixtures for variants no corpus file has (zstd, floating-point predictor 3,
# big-endian with predictor 2 and 3) and a small complex (CInt16) one with GDAL, and their oracles with the corpus's oracle.sh.
# Needs (Debian): gdal-bin libeccodes-tools netcdf-bin python3-netcdf4 python3-gdal python3-numpy
# and ../shared/corpus. Run: scripts/gen-geotiff-fixtures.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/test/fixtures/geotiff"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/geotiff"
cp "$root/../shared/corpus/oracle.sh" "$work/"
gdal_translate -q -co COMPRESS=ZSTD -co PREDICTOR=3 -co TILED=YES -co BLOCKXSIZE=16 -co BLOCKYSIZE=16 \
  "$out/2d_test.tif" "$work/geotiff/zstd_predictor3.tif"
gdal_translate -q -srcwin 1000 1000 96 80 -co ENDIANNESS=BIG -co COMPRESS=LZW -co PREDICTOR=2 \
  "$root/../shared/corpus/geotiff/cog_int16.tif" "$work/geotiff/bigendian_int16_lzw_predictor2.tif"
gdal_translate -q -srcwin 0 0 40 30 -co COMPRESS=DEFLATE "$root/../shared/corpus/geotiff/cint16.tif" "$work/geotiff/cint16_small.tif"
# GDAL 3.6 misreads its own big-endian predictor-3 output, so this one's reference is float_nan.tif's oracle.
gdal_translate -q -co ENDIANNESS=BIG -co PREDICTOR=3 -co COMPRESS=DEFLATE "$out/float_nan.tif" "$out/bigendian_float_predictor3.tif"
(cd "$work" && ./oracle.sh geotiff/zstd_predictor3.tif geotiff/bigendian_int16_lzw_predictor2.tif geotiff/cint16_small.tif)
for f in zstd_predictor3.tif bigendian_int16_lzw_predictor2.tif cint16_small.tif; do cp "$work/geotiff/$f" "$work/geotiff/$f.oracle.json" "$out/"; done
