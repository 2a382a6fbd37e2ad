#!/usr/bin/env bash
# npm run bench [-- --quick] [--events N]: the benchmark on the real broker and database (see bench/run.ts).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
require_tools
install_node_modules
ensure_postgres
build
trap stop_kafka_if_started_here EXIT
ensure_kafka
node dist/bench/run.js "$@"
