#!/usr/bin/env bash
# `npm test`: everything the suite needs from a fresh clone (Debian packages, node modules,
# a type-checked build), then the whole suite against real servers. The last line is
# "tests: N passed, N failed", counted from tap's own summary.
set -uo pipefail
cd "$(dirname "$0")/.."

bash test/harness/install-packages.sh || exit 1
if [ ! -x node_modules/.bin/tap ]; then
  npm ci --no-audit --no-fund || exit 1
fi
npm run --silent build || { echo "tests: 0 passed, 1 failed (the TypeScript build failed)"; exit 1; }

log=$(mktemp)
trap 'rm -f "$log"' EXIT
npx tap "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

summary=$(grep -a -E '^# \{ total: [0-9]+' "$log" | tail -n 1)
count() { echo "$summary" | grep -oE "$1: [0-9]+" | grep -oE '[0-9]+' || echo 0; }
passed=$(count pass)
failed=$(count fail)
if [ -z "$summary" ]; then
  failed=1
  echo "tap printed no summary" >&2
fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "tap exited $status with no failed test: coverage below the thresholds in package.json (see the table above)" >&2
fi
echo "tests: $passed passed, $failed failed"
exit "$status"
