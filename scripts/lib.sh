#!/usr/bin/env bash
# Shared by scripts/start.sh and scripts/test.sh: install what the project needs, build it, and manage Kafka.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KAFKA_SH="$ROOT/deploy/kafka/kafka.sh"
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

require_tools() {
  local missing=()
  for tool in node npm java mvn; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  if ((${#missing[@]})); then
    echo "missing tools: ${missing[*]} (need Node.js with npm, Java 17+, Maven)" >&2
    exit 1
  fi
  ensure_node
}

# The project runs on the Node.js LTS line named in .nvmrc. When the machine's node is older, that line is installed
# from the npm registry (the `node` package, whose install fetches the platform's binary package) into .local/node,
# and its bin directory goes first on PATH for everything the scripts run afterwards (npm ci, tsc, jest, the apps).
ensure_node() {
  local want have dir="$ROOT/.local/node"
  want=$(tr -d ' \nv' <"$ROOT/.nvmrc")
  want=${want%%.*}
  have=$(node -p 'process.versions.node.split(".")[0]')
  if ((have >= want)); then return; fi
  local bin="$dir/node_modules/node/bin"
  if [[ ! -x "$bin/node" || $("$bin/node" -p 'process.versions.node.split(".")[0]' 2>/dev/null) != "$want" ]]; then
    say "Node.js $(node --version) is older than the supported line $want: installing node@$want from the npm registry into .local/node"
    mkdir -p "$dir"
    (cd "$dir" && npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "node@$want")
    if [[ ! -x "$bin/node" ]]; then
      echo "installing node@$want from the npm registry did not produce $bin/node" >&2
      exit 1
    fi
  fi
  export PATH="$bin:$PATH"
  say "using Node.js $(node --version) from .local/node"
}

# npm ci when node_modules is missing or older than the lock file.
install_node_modules() {
  if [[ ! -d "$ROOT/node_modules" || "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]]; then
    say "installing npm packages (npm ci)"
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

build() {
  # The test of scripts/start.sh runs inside `npm test`, which has just built: it sets SKIP_BUILD=1.
  if [[ "${SKIP_BUILD:-}" == 1 ]]; then return; fi
  say "building (tsc)"
  (cd "$ROOT" && npx tsc -p tsconfig.build.json)
}

# The tests, the fault suite and the benchmarks use the broker's loopback plaintext listener: their Kafka clients
# connect without TLS (docs/security.md, "What npm test runs"). npm start and start:cluster keep TLS (the default).
use_test_listener() { export KAFKA_TLS=false; }

# npm start and start:cluster: TLS to the brokers unless KAFKA_TLS=false; the apps trust the development CA that
# kafka.sh generates (KAFKA_CA_FILE, default deploy/kafka/.cache/tls/ca.crt, or KAFKA_TLS_DIR's).
use_kafka_tls() {
  export KAFKA_TLS="${KAFKA_TLS:-true}"
  if [[ "$KAFKA_TLS" == true ]]; then
    export KAFKA_CA_FILE="${KAFKA_CA_FILE:-${KAFKA_TLS_DIR:-$ROOT/deploy/kafka/.cache/tls}/ca.crt}"
  elif [[ "$KAFKA_TLS" != false ]]; then
    echo "KAFKA_TLS must be true or false, not '$KAFKA_TLS'" >&2
    exit 1
  fi
}
kafka_link_description() {
  if [[ "${KAFKA_TLS:-true}" == true ]]; then echo "SASL_SSL + SCRAM-SHA-512, CA $KAFKA_CA_FILE"; else echo "SASL_PLAINTEXT + SCRAM-SHA-512, loopback"; fi
}

# Starts the local broker unless one answers already (in the mode KAFKA_TLS asks, default TLS). Sets
# KAFKA_STARTED_HERE=1 when we started it.
KAFKA_STARTED_HERE=0
ensure_kafka() {
  if bash "$KAFKA_SH" answers >/dev/null 2>&1; then
    say "a Kafka broker already answers on 127.0.0.1:${KAFKA_PORT:-9092} ($([[ "${KAFKA_TLS:-true}" == true ]] && echo TLS || echo plaintext)); using it"
  else
    say "starting Kafka (deploy/kafka/kafka.sh start)"
    bash "$KAFKA_SH" start
    KAFKA_STARTED_HERE=1
  fi
}

stop_kafka_if_started_here() {
  if [[ "$KAFKA_STARTED_HERE" == 1 ]]; then
    say "stopping the Kafka broker we started"
    bash "$KAFKA_SH" stop || true
  fi
}

postgres_answers() {
  (cd "$ROOT" && node -e "
    const pg = require('pg');
    const c = new pg.Client({ connectionString: process.env.DATABASE_ADMIN_URL || 'postgres://postgres@127.0.0.1:5432/postgres', connectionTimeoutMillis: 5000 });
    c.connect().then(() => c.end()).catch(() => process.exit(1));") 2>/dev/null
}

# Waits up to a minute for PostgreSQL (it may still be starting on a fresh machine); as root, starts the local
# cluster once if it is installed but down.
ensure_postgres() {
  local tried_start=0
  for _ in $(seq 1 60); do
    postgres_answers && return 0
    if [[ $tried_start == 0 && $(id -u) == 0 ]] && command -v pg_ctlcluster >/dev/null && [[ -d /etc/postgresql ]]; then
      tried_start=1
      local version
      version=$(ls /etc/postgresql | sort -n | tail -1)
      say "PostgreSQL does not answer; starting cluster $version/main"
      pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
    fi
    sleep 1
  done
  echo "PostgreSQL is not reachable on 127.0.0.1:5432 (user postgres). Start it, e.g.:" >&2
  echo "  pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start" >&2
  exit 1
}

# The officers' page is tested in Debian's Chromium (playwright-core drives it; no browser download).
ensure_chromium() {
  if [[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]]; then return; fi
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    say "installing Chromium and a CJK font from Debian's packages (browser test)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-wqy-zenhei >/dev/null
  else
    echo "Chromium is missing: install Debian's chromium package (or set CHROMIUM_PATH) for the browser test" >&2
    exit 1
  fi
}

# The apps a start script runs (start.sh, start-cluster.sh): start_app adds each, stop_apps ends them all.
APP_PIDS=()

# start_app NAME LOG PORT VAR=VALUE... : runs dist/apps/NAME/src/main.js on PORT with its own environment, its output
# in LOG. The variables are exported in a subshell, so no secret appears on a command line (ps shows only node and
# its script).
start_app() {
  local name=$1 log=$2 port=$3
  shift 3
  (
    export PORT="$port"
    for assignment in "$@"; do export "${assignment?}"; done
    exec node "dist/apps/$name/src/main.js"
  ) >"$log" 2>&1 &
  APP_PIDS+=($!)
}

# wait_ready NAME PORT LOG [SECONDS]: waits until the app answers /health/ready with 200 (90 s unless told); if it
# does not, prints its last log lines and exits 1.
wait_ready() {
  local name=$1 port=$2 log=$3 deadline=$((SECONDS + ${4:-90}))
  until node -e "fetch('http://127.0.0.1:$port/health/ready').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; do
    if ((SECONDS > deadline)); then
      echo "$name did not become ready on port $port; last log lines:" >&2
      tail -n 20 "$log" >&2
      exit 1
    fi
    sleep 0.5
  done
}

# stop_apps: SIGTERM to every app start_app started, and waits for each to finish its graceful shutdown.
stop_apps() {
  local pid
  for pid in "${APP_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${APP_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}

# watch_apps LOGDIR: stays in the foreground until Ctrl-C (the caller's trap) or until an app dies (exit 1).
watch_apps() {
  local pid
  while true; do
    for pid in "${APP_PIDS[@]}"; do
      if ! kill -0 "$pid" 2>/dev/null; then
        echo "an app exited unexpectedly; see $1" >&2
        exit 1
      fi
    done
    sleep 1
  done
}
