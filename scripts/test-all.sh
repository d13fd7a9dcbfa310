#!/usr/bin/env bash
# Runs every suite (vitest, pytest interop, Maven/JUnit Spark) and prints one summary line
# "N passed, N failed" summed over all of them. Called by ./dev test after installs.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
OUT=test-results
rm -rf "$OUT" && mkdir -p "$OUT"
status=0

echo "== vitest (TypeScript unit, decoder, bridge tests)"
# A crashed test file (an unhandled error) can leave every test "passed" or pending: the exit code is recorded too.
npx vitest run --reporter=default --reporter=json --outputFile.json="$OUT/vitest.json" || { status=1; touch "$OUT/vitest.failed"; }

echo "== pytest (pyarrow.flight interop)"
.venv/bin/python -m pytest -q test/interop --junitxml="$OUT/pytest.xml"
rc=$?; if [ $rc -ne 0 ] && [ $rc -ne 5 ]; then status=1; fi

if [ -f jvm-shim/pom.xml ]; then
  # One jar per Spark line (jvm-shim/target/wekeo-spark_<line>_<scala>-<version>.jar), each JUnit-tested.
  rm -rf jvm-shim/target/surefire-reports
  echo "== maven (Spark shim, JUnit): Spark 4 line"
  mvn -B -q -f jvm-shim/pom.xml verify || { status=1; touch "$OUT/maven.failed"; }
  echo "== maven (Spark shim, JUnit): Spark 3.5 line"
  mvn -B -q -f jvm-shim/pom.xml -Pspark35 verify || { status=1; touch "$OUT/maven.failed"; }
fi

node scripts/summarize-tests.mjs "$OUT" jvm-shim/target/surefire-reports || status=1
exit $status
