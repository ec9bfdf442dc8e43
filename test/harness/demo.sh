#!/usr/bin/env bash
# `npm run demo`: a real local Icinga2, the relay with its embedded default config (console
# backend), and a short scripted scenario. Installs what it needs on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash test/harness/install-packages.sh
[ -x node_modules/.bin/tsc ] || npm ci --no-audit --no-fund
npm run --silent build
exec node dist/test/harness/demo.js "$@"
