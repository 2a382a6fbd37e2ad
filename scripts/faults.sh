#!/usr/bin/env bash
# npm run test:faults [-- --quick] [--only name,…] [--seed N] [--no-record]: the fault suite on the real broker and
# database (see test/faults/run.ts); prints the table and appends it to docs/reliability.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
require_tools
install_node_modules
ensure_postgres
build
trap stop_kafka_if_started_here EXIT
use_test_listener
ensure_kafka
node dist/test/faults/run.js "$@"
