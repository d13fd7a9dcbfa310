#!/usr/bin/env bash
# npm run bench [-- SUITE [CASE...]] [--rounds N] [--max-gb N]
# Installs what the suites need (npm packages, the reference tools' venv .venv-bench), then runs them.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

log() { printf '[bench] %s\n' "$*" >&2; }

if [ ! -d node_modules ] || [ ! -x node_modules/.bin/tsx ]; then
  log "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

VENV=.venv-bench
REQ=benchmarks/requirements.txt
STAMP="$VENV/.bench-requirements.sha256"
want="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null || true)" != "$want" ]; then
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating the reference tools' venv ($VENV)"
    python3 -m venv "$VENV" >&2
  fi
  log "installing $REQ into $VENV (ecCodes, netCDF4, rasterio, xarray, cfgrib, pyarrow, ...)"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQ" >&2
  echo "$want" > "$STAMP"
fi

# Our side runs compiled, like `wekeo serve` (see BUILD in benchmarks/lib/paths.ts).
log "compiling the work tree for the measured processes (benchmarks/data/build)"
rm -rf benchmarks/data/build
npx tsc -p benchmarks/tsconfig.build.json >&2
mkdir -p benchmarks/data/build && ln -sfn ../../../proto benchmarks/data/build/proto && ln -sfn ../../../package.json benchmarks/data/build/package.json

exec node --import tsx benchmarks/lib/main.ts "$@"
