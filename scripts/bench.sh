#!/usr/bin/env bash
# npm run bench [-- --quick] [--events N]: the benchmark on the real broker and database (see bench/run.ts).
# npm run bench:lookup [-- --quick] [--recordations N]: lookup latency on 1 000 000 recordations (bench/lookup-scale.ts).
# npm run bench:replay [-- --quick] [--events N]: replay of 1 000 000 events with the digest check (bench/replay-scale.ts).
# npm run bench:trail [-- --events N] [--seconds S]: lookup throughput with the access trail on vs off (bench/access-trail.ts).
# npm run bench:kafka-clients [-- --messages N]: raw produce/consume, kafkajs against @platformatic/kafka (bench/kafka-clients.ts).
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
if [[ "${1:-}" == --kafka-clients ]]; then
  shift
  node dist/bench/kafka-clients.js "$@"
elif [[ "${1:-}" == --replay-scale ]]; then
  shift
  # A million signed events, an in-memory fold of them, and the replay's own in-memory registry; the young
  # generation npm run replay gives the replay (scripts/registry-cli.sh).
  node --max-old-space-size=14336 --max-semi-space-size=64 dist/bench/replay-scale.js "$@"
elif [[ "${1:-}" == --trail ]]; then
  shift
  node dist/bench/access-trail.js "$@"
elif [[ "${1:-}" == --lookup-scale ]]; then
  shift
  # A million recordations are folded in memory before they are copied.
  node --max-old-space-size=12288 dist/bench/lookup-scale.js "$@"
else
  # --events 1000000 keeps a million signed events in memory for every contestant; the replay step runs in this
  # process, with the young generation npm run replay gives it.
  node --max-old-space-size=12288 --max-semi-space-size=64 dist/bench/run.js "$@"
fi
