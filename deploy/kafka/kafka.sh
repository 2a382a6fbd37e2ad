#!/usr/bin/env bash
# Local Apache Kafka 4.1 broker (KRaft, single node, SASL/SCRAM-SHA-512, ACLs) for development and tests.
#
#   kafka.sh fetch    resolve the broker jars from Maven Central into .cache/libs (only when missing)
#   kafka.sh start    fetch if needed, format storage on first run, start in the background, wait until it answers
#   kafka.sh stop     SIGTERM, wait, SIGKILL after a timeout
#   kafka.sh status   exit 0 when running and answering, 1 otherwise
#   kafka.sh answers  exit 0 when any broker (ours or not) answers on the client port
#   kafka.sh reset    stop and delete the data dir (topics, SCRAM users, ACLs are gone; next start re-formats)
#   kafka.sh acls ... run the Kafka ACL tool (org.apache.kafka.tools.AclCommand) as admin, e.g. `kafka.sh acls --list`
#
# Environment (all optional):
#   KAFKA_PORT (9092)  KAFKA_CONTROLLER_PORT (9093)  KAFKA_DATA_DIR (<this dir>/.data)
#   KAFKA_START_TIMEOUT (90 seconds)  KAFKA_STOP_TIMEOUT (30 seconds)  KAFKA_HEAP_OPTS (-Xmx512m -Xms256m)
#   KAFKA_PASSWORD_ADMIN, KAFKA_PASSWORD_CN, KAFKA_PASSWORD_HK, KAFKA_PASSWORD_MO, KAFKA_PASSWORD_REGISTRY
#     SCRAM passwords; they are written into the cluster when the storage is formatted (first start after a
#     reset). Changing them later needs `kafka.sh reset` (or kafka-configs --alter). Allowed characters:
#     letters, digits and . _ ~ ! @ # % ^ * + : / -
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LIBS_DIR="$SCRIPT_DIR/.cache/libs"
DATA_DIR="${KAFKA_DATA_DIR:-$SCRIPT_DIR/.data}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m}"

PASSWORD_ADMIN="${KAFKA_PASSWORD_ADMIN:-admin-dev-secret}"
PASSWORD_CN="${KAFKA_PASSWORD_CN:-cn-dev-secret}"
PASSWORD_HK="${KAFKA_PASSWORD_HK:-hk-dev-secret}"
PASSWORD_MO="${KAFKA_PASSWORD_MO:-mo-dev-secret}"
PASSWORD_REGISTRY="${KAFKA_PASSWORD_REGISTRY:-registry-dev-secret}"

PID_FILE="$DATA_DIR/kafka.pid"
CONFIG_FILE="$DATA_DIR/server.properties"
ADMIN_CLIENT_CONFIG="$DATA_DIR/admin-client.properties"
KRAFT_DIR="$DATA_DIR/kraft"
LOG_DIR="$DATA_DIR/logs"

MAIN_BROKER="kafka.Kafka"
MAIN_STORAGE="kafka.tools.StorageTool"
MAIN_ACLS="org.apache.kafka.tools.AclCommand"

log() { printf 'kafka.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------------------------------------------
# fetch
# The jars are current when .cache/libs holds the marker written after the last successful fetch and the
# marker matches pom.xml (so a changed pom, e.g. another Kafka version, triggers a clean re-fetch).
pom_hash() { sha256sum "$SCRIPT_DIR/pom.xml" | cut -d' ' -f1; }
libs_present() {
  [[ -f "$LIBS_DIR/.fetched" && "$(<"$LIBS_DIR/.fetched")" == "$(pom_hash)" ]] && compgen -G "$LIBS_DIR/kafka_2.13-*.jar" >/dev/null
}

fetch() {
  if libs_present; then return 0; fi
  if running_pid >/dev/null; then die "the broker is running on the jars in $LIBS_DIR; run 'kafka.sh stop' before fetching"; fi
  command -v mvn >/dev/null || die "mvn not found: Maven is needed once to fetch the Kafka jars"
  log "fetching Kafka jars from Maven Central into $LIBS_DIR"
  mkdir -p "$SCRIPT_DIR/.cache"
  rm -rf -- "$LIBS_DIR" # no stale jars from an older pom on the classpath
  local mvn_log="$SCRIPT_DIR/.cache/mvn-fetch.log"
  if ! mvn -B -q -Dstyle.color=never -f "$SCRIPT_DIR/pom.xml" dependency:copy-dependencies >"$mvn_log" 2>&1; then
    sed 's/\x1b\[[0-9;]*m//g' "$mvn_log" | tail -n 30 >&2
    die "mvn dependency:copy-dependencies failed (full output: $mvn_log)"
  fi
  compgen -G "$LIBS_DIR/kafka_2.13-*.jar" >/dev/null || die "Kafka jars still missing after mvn fetch"
  pom_hash >"$LIBS_DIR/.fetched"
}

java_tool() { # java_tool <main class> args...  (short-lived tools: small heap, quiet logging)
  local main="$1"; shift
  java -Xmx256m -Dlog4j2.configurationFile="$SCRIPT_DIR/log4j2.yaml" -Dkafka.logs.dir="$LOG_DIR/tools" \
    -cp "$LIBS_DIR/*" "$main" "$@"
}

# ---------------------------------------------------------------------------------------------------
# configuration
check_password() { # name value
  [[ -n "$2" && "$2" =~ ^[A-Za-z0-9._~!@#%^*+:/-]+$ ]] || die "$1 is empty or has characters outside [A-Za-z0-9._~!@#%^*+:/-]"
}

render_config() {
  check_password KAFKA_PASSWORD_ADMIN "$PASSWORD_ADMIN"
  [[ "$KAFKA_PORT" =~ ^[0-9]+$ && "$CONTROLLER_PORT" =~ ^[0-9]+$ ]] || die "KAFKA_PORT / KAFKA_CONTROLLER_PORT must be numbers"
  [[ "$KAFKA_PORT" != "$CONTROLLER_PORT" ]] || die "KAFKA_PORT and KAFKA_CONTROLLER_PORT must differ"
  mkdir -p "$DATA_DIR" "$LOG_DIR"
  local text
  text="$(<"$SCRIPT_DIR/server.properties.template")"
  shopt -u patsub_replacement 2>/dev/null || true # bash 5.2: '&' in a replacement must stay literal
  text="${text//@KAFKA_PORT@/$KAFKA_PORT}"
  text="${text//@CONTROLLER_PORT@/$CONTROLLER_PORT}"
  text="${text//@KAFKA_DATA_DIR@/$DATA_DIR}"
  text="${text//@ADMIN_PASSWORD@/$PASSWORD_ADMIN}"
  (umask 077 && printf '%s\n' "$text" >"$CONFIG_FILE.tmp" && mv -f "$CONFIG_FILE.tmp" "$CONFIG_FILE")
  (umask 077 && cat >"$ADMIN_CLIENT_CONFIG" <<EOF
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$PASSWORD_ADMIN";
EOF
  )
}

format_storage() {
  if [[ -f "$KRAFT_DIR/meta.properties" ]]; then return 0; fi
  local name pw
  for name in CN HK MO REGISTRY; do
    pw="PASSWORD_$name"; check_password "KAFKA_PASSWORD_$name" "${!pw}"
  done
  local cluster_id
  cluster_id="$(java_tool "$MAIN_STORAGE" random-uuid 2>>"$LOG_DIR/format.log")" || die "could not generate a cluster id"
  log "formatting storage in $KRAFT_DIR (cluster id $cluster_id)"
  java_tool "$MAIN_STORAGE" format --ignore-formatted -t "$cluster_id" -c "$CONFIG_FILE" \
    --add-scram "SCRAM-SHA-512=[name=admin,password=$PASSWORD_ADMIN]" \
    --add-scram "SCRAM-SHA-512=[name=authority-cn,password=$PASSWORD_CN]" \
    --add-scram "SCRAM-SHA-512=[name=authority-hk,password=$PASSWORD_HK]" \
    --add-scram "SCRAM-SHA-512=[name=authority-mo,password=$PASSWORD_MO]" \
    --add-scram "SCRAM-SHA-512=[name=registry,password=$PASSWORD_REGISTRY]" \
    >>"$LOG_DIR/format.log" 2>&1 || { tail -n 20 "$LOG_DIR/format.log" >&2; die "kafka storage format failed"; }
}

# ---------------------------------------------------------------------------------------------------
# process state
running_pid() { # prints the broker pid when the pid file points at a live broker of ours
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(<"$PID_FILE")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$MAIN_BROKER" || return 1
  printf '%s' "$pid"
}

# Kafka protocol probe: send an ApiVersions v0 request (allowed before SASL authentication) and expect a
# response. The broker only processes requests once it has caught up with the metadata log and its
# authorizer is ready, so an answer means clients can use it.
probe() {
  local reply
  reply="$(
    exec 2>/dev/null
    exec 3<>"/dev/tcp/127.0.0.1/$KAFKA_PORT" || exit 1
    # size=15 | api_key=18 | api_version=0 | correlation_id=1 | client_id="probe"
    printf '\x00\x00\x00\x0f\x00\x12\x00\x00\x00\x00\x00\x01\x00\x05probe' >&3
    timeout 3 head -c 8 <&3 | od -An -tx1 | tr -d ' \n'
  )" || return 1
  # response: 4-byte size, then correlation id 1
  [[ "${#reply}" -eq 16 && "${reply:8:8}" == "00000001" ]]
}

# ---------------------------------------------------------------------------------------------------
# commands
start() {
  local pid
  if pid="$(running_pid)"; then
    if probe; then log "already running (pid $pid) on 127.0.0.1:$KAFKA_PORT"; return 0; fi
    log "already running (pid $pid), waiting for it to answer"
  else
    rm -f "$PID_FILE"
    if probe; then die "something else already answers on 127.0.0.1:$KAFKA_PORT"; fi
    command -v java >/dev/null || die "java not found (Java 17+ is needed)"
    fetch
    render_config
    format_storage
    log "starting broker on 127.0.0.1:$KAFKA_PORT (controller 127.0.0.1:$CONTROLLER_PORT, data $DATA_DIR)"
    # setsid: the broker must outlive the shell (and process group) that started it.
    # shellcheck disable=SC2086
    setsid java $HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
      -Dlog4j2.configurationFile="$SCRIPT_DIR/log4j2.yaml" -Dkafka.logs.dir="$LOG_DIR" \
      -cp "$LIBS_DIR/*" "$MAIN_BROKER" "$CONFIG_FILE" \
      </dev/null >>"$LOG_DIR/kafka.out" 2>&1 &
    pid=$!
    printf '%s\n' "$pid" >"$PID_FILE"
  fi

  local deadline=$((SECONDS + START_TIMEOUT))
  until probe; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE"
      tail -n 30 "$LOG_DIR/kafka.out" >&2 || true
      die "broker exited during start-up; see $LOG_DIR/server.log and $LOG_DIR/kafka.out"
    fi
    if ((SECONDS >= deadline)); then
      die "broker (pid $pid) did not answer on 127.0.0.1:$KAFKA_PORT within ${START_TIMEOUT}s; see $LOG_DIR/server.log (still running: use 'kafka.sh stop')"
    fi
    sleep 0.5
  done
  log "broker ready (pid $pid) on 127.0.0.1:$KAFKA_PORT"
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$PID_FILE"
    log "not running"
    return 0
  fi
  log "stopping broker (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      log "broker did not stop within ${STOP_TIMEOUT}s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  rm -f "$PID_FILE"
  log "stopped"
}

status() {
  local pid
  if pid="$(running_pid)"; then
    if probe; then log "running (pid $pid) on 127.0.0.1:$KAFKA_PORT"; return 0; fi
    log "process $pid is alive but does not answer on 127.0.0.1:$KAFKA_PORT"
    return 1
  fi
  log "not running"
  return 3
}

reset() {
  stop
  if [[ -d "$DATA_DIR" ]]; then
    log "deleting $DATA_DIR"
    rm -rf -- "$DATA_DIR"
  fi
}

acls() {
  running_pid >/dev/null || die "broker is not running"
  render_config
  java_tool "$MAIN_ACLS" --bootstrap-server "127.0.0.1:$KAFKA_PORT" --command-config "$ADMIN_CLIENT_CONFIG" "$@"
}

usage() {
  sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

cmd="${1:-}"
[[ $# -gt 0 ]] && shift
case "$cmd" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  answers) probe ;;
  reset) reset ;;
  acls) acls "$@" ;;
  *) usage ;;
esac
