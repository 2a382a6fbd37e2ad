#!/usr/bin/env bash
# Runs every test: unit, integration (real PostgreSQL), smoke and end-to-end (real Kafka + PostgreSQL).
# Installs what is missing, builds, starts Kafka when none runs and stops what it started.
# Extra arguments go to Jest, e.g. `npm test -- test/e2e/registry`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

require_tools
install_node_modules
ensure_postgres
ensure_chromium
build
trap stop_kafka_if_started_here EXIT
use_test_listener
ensure_kafka

status=0
# Lint first (ESLint with type information, then prettier --check): a finding fails the run, but Jest still runs so
# one `npm test` reports both.
# SKIP_LINT=1 skips it (for quick reruns of a single test file).
lint=skipped
if [[ "${SKIP_LINT:-}" != 1 ]]; then
  say "linting (npm run lint)"
  lint=passed
  npm run -s lint || { lint=failed; status=1; }
fi

mkdir -p .local
results=.local/jest-results.json
rm -f "$results"
say "running Jest (unit, integration, smoke, e2e)"
node --experimental-vm-modules node_modules/jest/bin/jest.js --runInBand --json --outputFile="$results" "$@" || status=$?

if [[ "$lint" == failed ]]; then echo "lint failed: see the ESLint / Prettier output above (npm run lint)" >&2; fi
# One plain closing line, whatever the runner printed above it.
if [[ -f "$results" ]]; then
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
    if (r.numTotalTests === 0) { console.error("no test ran"); process.exit(1); }
  ' "$results" || status=1
fi
exit "$status"
