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
#     No password is ever on a command line (the storage format reads them from a 0600 Java argument file that is
#     deleted at once); the files that hold one (server.properties, admin-client.properties) are 0600 in a 0700 dir.
#   KAFKA_TLS (true)  the client listener is SASL_SSL: a development CA (KAFKA_TLS_DIR, default <this dir>/.cache/tls;
#     its ca.crt is what clients trust: KAFKA_CA_FILE) signs each broker's certificate (<data dir>/tls, SAN localhost,
#     127.0.0.1 and KAFKA_TLS_HOSTS); both are generated with openssl when missing, expiring or not matching, mode 0600
#     in 0700 dirs. KAFKA_TLS=false: SASL_PLAINTEXT on 127.0.0.1 only, what `npm test` uses (docs/security.md).
#   KAFKA_TLS_HOSTS   extra host names / IPs for the broker certificates, comma-separated (e.g. a container's name)
#
# Three-broker mode (the cross-border cluster): add `--brokers 3` to start, stop, status, answers, reset and acls.
# Three combined broker+controller processes (3-voter KRaft quorum), one per jurisdiction: node 1 rack CN, node 2
# rack HK, node 3 rack MO; default.replication.factor=3, min.insync.replicas=2, unclean leader election off,
# follower fetching (RackAwareReplicaSelector); same SCRAM users and ACL model as the single broker.
#   --node N          start/stop/status only node N (1-3), e.g. to take one jurisdiction's broker down
#   kafka.sh pid --brokers 3 --node N   print node N's pid (fault tests signal it)
# Environment (all optional): KAFKA_CLUSTER_PORTS (19092,19093,19094)  KAFKA_CLUSTER_CONTROLLER_PORTS
#   (19192,19193,19194)  KAFKA_CLUSTER_RACKS (CN,HK,MO)  KAFKA_CLUSTER_DATA_DIR (<this dir>/.data-cluster)
#   KAFKA_CLUSTER_HEAP_OPTS (-Xmx384m -Xms192m per broker)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LIBS_DIR="$SCRIPT_DIR/.cache/libs"
DATA_DIR="${KAFKA_DATA_DIR:-$SCRIPT_DIR/.data}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m}"

TLS="${KAFKA_TLS:-true}"
TLS_DIR="${KAFKA_TLS_DIR:-$SCRIPT_DIR/.cache/tls}"
TLS_HOSTS="${KAFKA_TLS_HOSTS:-}"
CA_CERT="$TLS_DIR/ca.crt"
CA_KEY="$TLS_DIR/ca.key"

PASSWORD_ADMIN="${KAFKA_PASSWORD_ADMIN:-admin-dev-secret}"
PASSWORD_CN="${KAFKA_PASSWORD_CN:-cn-dev-secret}"
PASSWORD_HK="${KAFKA_PASSWORD_HK:-hk-dev-secret}"
PASSWORD_MO="${KAFKA_PASSWORD_MO:-mo-dev-secret}"
PASSWORD_REGISTRY="${KAFKA_PASSWORD_REGISTRY:-registry-dev-secret}"

# Per-node settings: the single broker's, or (3-broker mode) those of the node chosen by use_node.
NODE_ID=1
RACK=""
REPLICATION_FACTOR=1
MIN_ISR=1
QUORUM_VOTERS="1@127.0.0.1:$CONTROLLER_PORT"
CLUSTER_ID_FILE=""
set_paths() {
  PID_FILE="$DATA_DIR/kafka.pid"
  CONFIG_FILE="$DATA_DIR/server.properties"
  ADMIN_CLIENT_CONFIG="$DATA_DIR/admin-client.properties"
  KRAFT_DIR="$DATA_DIR/kraft"
  LOG_DIR="$DATA_DIR/logs"
  MODE_FILE="$DATA_DIR/listener.mode"
  BROKER_TLS_DIR="$DATA_DIR/tls"
}
set_paths

BROKERS=1
ONLY_NODE=""
CLUSTER_DIR="${KAFKA_CLUSTER_DATA_DIR:-$SCRIPT_DIR/.data-cluster}"
IFS=',' read -r -a CLUSTER_PORTS <<<"${KAFKA_CLUSTER_PORTS:-19092,19093,19094}"
IFS=',' read -r -a CLUSTER_CONTROLLER_PORTS <<<"${KAFKA_CLUSTER_CONTROLLER_PORTS:-19192,19193,19194}"
IFS=',' read -r -a CLUSTER_RACKS <<<"${KAFKA_CLUSTER_RACKS:-CN,HK,MO}"

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

# A directory only we can enter (secrets below it: SCRAM passwords, private keys).
private_dir() { mkdir -p "$1" && chmod 700 "$1"; }

tls_wanted() {
  [[ "$TLS" == true || "$TLS" == false ]] || die "KAFKA_TLS must be true or false, not '$TLS'"
  [[ "$TLS" == true ]]
}

# The development CA: generated when missing or expiring within 30 days (under a lock: brokers may start at once).
ensure_ca() {
  command -v openssl >/dev/null || die "openssl not found (needed for the development CA; or KAFKA_TLS=false)"
  private_dir "$TLS_DIR"
  (
    flock 9
    if [[ -s "$CA_KEY" && -s "$CA_CERT" ]] && openssl x509 -checkend $((30 * 86400)) -noout -in "$CA_CERT" >/dev/null 2>&1; then exit 0; fi
    log "generating the development Kafka CA in $TLS_DIR (valid 365 days)"
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 365 -keyout "$CA_KEY.tmp" -out "$CA_CERT.tmp" \
      -subj "/O=Recordation Exchange development/CN=Recordation Exchange development Kafka CA" \
      -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      >>"$TLS_DIR/openssl.log" 2>&1 || { tail -n 5 "$TLS_DIR/openssl.log" >&2; exit 1; }
    mv -f "$CA_KEY.tmp" "$CA_KEY" && mv -f "$CA_CERT.tmp" "$CA_CERT"
  ) 9>"$TLS_DIR/.lock" || die "could not generate the development CA in $TLS_DIR"
}

# This broker's certificate and key (one PEM keystore file), signed by the CA; SAN: the names clients connect to.
# Regenerated when missing, expiring within 7 days, not signed by the current CA, or made for other names.
ensure_broker_cert() {
  local san="DNS:localhost,IP:127.0.0.1" host
  local hosts=()
  IFS=',' read -r -a hosts <<<"$TLS_HOSTS"
  for host in "${hosts[@]}"; do
    host="${host// /}"
    [[ -z "$host" ]] && continue
    if [[ "$host" =~ ^[0-9.]+$ || "$host" == *:* ]]; then
      san+=",IP:$host"
    elif [[ "$host" =~ ^[A-Za-z0-9.-]+$ ]]; then
      san+=",DNS:$host"
    else
      die "KAFKA_TLS_HOSTS: '$host' is not a host name or IP address"
    fi
  done
  private_dir "$BROKER_TLS_DIR"
  local keystore="$BROKER_TLS_DIR/broker.pem" cert="$BROKER_TLS_DIR/broker.crt"
  if [[ -s "$keystore" && -s "$cert" && "$(cat "$BROKER_TLS_DIR/san" 2>/dev/null)" == "$san" ]] &&
    openssl x509 -checkend $((7 * 86400)) -noout -in "$cert" >/dev/null 2>&1 &&
    openssl verify -CAfile "$CA_CERT" "$cert" >/dev/null 2>&1; then
    return 0
  fi
  log "generating broker ${NODE_ID}'s certificate (SAN $san) in $BROKER_TLS_DIR (valid 90 days)"
  (
    umask 077
    cd "$BROKER_TLS_DIR"
    openssl req -new -newkey rsa:2048 -nodes -sha256 -keyout broker.key -out broker.csr \
      -subj "/O=Recordation Exchange development/CN=kafka-broker-$NODE_ID" >>openssl.log 2>&1 &&
      printf 'subjectAltName=%s\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n' "$san" >broker.ext &&
      openssl x509 -req -sha256 -days 90 -in broker.csr -CA "$CA_CERT" -CAkey "$CA_KEY" -set_serial "0x$(openssl rand -hex 16)" \
        -extfile broker.ext -out broker.crt.tmp >>openssl.log 2>&1 &&
      cat broker.key broker.crt.tmp "$CA_CERT" >broker.pem.tmp && mv -f broker.crt.tmp broker.crt && mv -f broker.pem.tmp broker.pem &&
      rm -f broker.csr broker.ext && printf '%s\n' "$san" >san
  ) || { tail -n 5 "$BROKER_TLS_DIR/openssl.log" >&2; die "could not generate the broker certificate in $BROKER_TLS_DIR"; }
}

render_config() {
  check_password KAFKA_PASSWORD_ADMIN "$PASSWORD_ADMIN"
  [[ "$KAFKA_PORT" =~ ^[0-9]+$ && "$CONTROLLER_PORT" =~ ^[0-9]+$ ]] || die "KAFKA_PORT / KAFKA_CONTROLLER_PORT must be numbers"
  [[ "$KAFKA_PORT" != "$CONTROLLER_PORT" ]] || die "KAFKA_PORT and KAFKA_CONTROLLER_PORT must differ"
  private_dir "$DATA_DIR"
  mkdir -p "$LOG_DIR"
  local protocol=SASL_PLAINTEXT
  if tls_wanted; then
    protocol=SASL_SSL
    ensure_ca
    ensure_broker_cert
  fi
  local text
  text="$(<"$SCRIPT_DIR/server.properties.template")"
  shopt -u patsub_replacement 2>/dev/null || true # bash 5.2: '&' in a replacement must stay literal
  text="${text//@KAFKA_PORT@/$KAFKA_PORT}"
  text="${text//@CONTROLLER_PORT@/$CONTROLLER_PORT}"
  text="${text//@NODE_ID@/$NODE_ID}"
  text="${text//@QUORUM_VOTERS@/$QUORUM_VOTERS}"
  text="${text//@REPLICATION_FACTOR@/$REPLICATION_FACTOR}"
  text="${text//@MIN_ISR@/$MIN_ISR}"
  text="${text//@CLIENT_PROTOCOL@/$protocol}"
  if [[ "$protocol" == SASL_SSL ]]; then
    text+=$'\n\n# --- TLS on the client listener (KAFKA_TLS=true): development CA, host names verified ---\n'
    text+="ssl.keystore.type=PEM"$'\n'
    text+="ssl.keystore.location=$BROKER_TLS_DIR/broker.pem"$'\n'
    text+="ssl.truststore.type=PEM"$'\n'
    text+="ssl.truststore.location=$CA_CERT"$'\n'
    text+="ssl.endpoint.identification.algorithm=https"$'\n'
    text+="ssl.enabled.protocols=TLSv1.3,TLSv1.2"$'\n'
    # A client certificate is checked when one is presented (mutual TLS); SASL names the principal either way.
    text+="ssl.client.auth=requested"$'\n'
  fi
  if [[ -n "$RACK" ]]; then
    text+=$'\n\n# --- Cross-border cluster (kafka.sh --brokers 3): this broker\'s jurisdiction, follower fetching (KIP-392) ---\n'
    text+="broker.rack=$RACK"$'\n'
    text+="replica.selector.class=org.apache.kafka.common.replica.RackAwareReplicaSelector"$'\n'
    # Three JVMs starting at once on a small, busy machine: give the first registration time (default 60 s).
    text+="initial.broker.registration.timeout.ms=180000"$'\n'
  fi
  text="${text//@KAFKA_DATA_DIR@/$DATA_DIR}"
  text="${text//@ADMIN_PASSWORD@/$PASSWORD_ADMIN}"
  (umask 077 && printf '%s\n' "$text" >"$CONFIG_FILE.tmp" && mv -f "$CONFIG_FILE.tmp" "$CONFIG_FILE")
  (umask 077 && cat >"$ADMIN_CLIENT_CONFIG" <<EOF
security.protocol=$protocol
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$PASSWORD_ADMIN";
EOF
  )
  if [[ "$protocol" == SASL_SSL ]]; then
    printf 'ssl.truststore.type=PEM\nssl.truststore.location=%s\n' "$CA_CERT" >>"$ADMIN_CLIENT_CONFIG"
  fi
}

format_storage() {
  if [[ -f "$KRAFT_DIR/meta.properties" ]]; then return 0; fi
  local name pw
  for name in CN HK MO REGISTRY; do
    pw="PASSWORD_$name"; check_password "KAFKA_PASSWORD_$name" "${!pw}"
  done
  local cluster_id
  if [[ -n "$CLUSTER_ID_FILE" && -s "$CLUSTER_ID_FILE" ]]; then
    cluster_id="$(<"$CLUSTER_ID_FILE")" # every node of the 3-broker cluster is formatted with the same id
  else
    cluster_id="$(java_tool "$MAIN_STORAGE" random-uuid 2>>"$LOG_DIR/format.log")" || die "could not generate a cluster id"
    if [[ -n "$CLUSTER_ID_FILE" ]]; then printf '%s\n' "$cluster_id" >"$CLUSTER_ID_FILE"; fi
  fi
  log "formatting storage in $KRAFT_DIR (cluster id $cluster_id)"
  # The SCRAM passwords go in a Java argument file (mode 0600 in the 0700 data dir, removed at once), never on the
  # command line where `ps` shows them to every user. Each line one argument, quoted per the java launcher's syntax.
  local argfile="$DATA_DIR/format.args" user variable
  (
    umask 077
    {
      printf '%s\n' "$MAIN_STORAGE" format --ignore-formatted -t "$cluster_id" -c "\"$CONFIG_FILE\""
      for user in admin:PASSWORD_ADMIN authority-cn:PASSWORD_CN authority-hk:PASSWORD_HK authority-mo:PASSWORD_MO registry:PASSWORD_REGISTRY; do
        variable="${user#*:}"
        printf -- '--add-scram\n"SCRAM-SHA-512=[name=%s,password=%s]"\n' "${user%%:*}" "${!variable}"
      done
    } >"$argfile"
  )
  # The main class is in the argument file too: the launcher expands @files only before it.
  java -Xmx256m -Dlog4j2.configurationFile="$SCRIPT_DIR/log4j2.yaml" -Dkafka.logs.dir="$LOG_DIR/tools" -cp "$LIBS_DIR/*" "@$argfile" \
    >>"$LOG_DIR/format.log" 2>&1 || { rm -f "$argfile"; tail -n 20 "$LOG_DIR/format.log" >&2; die "kafka storage format failed"; }
  rm -f "$argfile"
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
# authorizer is ready, so an answer means clients can use it. With KAFKA_TLS=true the request goes through
# `openssl s_client` verifying the broker's certificate against our CA and 127.0.0.1; a second, malformed request
# (not allowed before authentication) makes the broker close the connection, so s_client ends once it has answered.
probe() { # [port]
  local reply port="${1:-$KAFKA_PORT}"
  # size=15 | api_key=18 | api_version=0 | correlation_id=1 | client_id="probe"
  local request='\x00\x00\x00\x0f\x00\x12\x00\x00\x00\x00\x00\x01\x00\x05probe'
  if tls_wanted; then
    [[ -s "$CA_CERT" ]] || return 1
    reply="$(
      # ...then size=8 | api_key=0x7fff | api_version=0 | correlation_id=2: refused, the broker disconnects.
      printf "$request"'\x00\x00\x00\x08\x7f\xff\x00\x00\x00\x00\x00\x02' |
        timeout 5 openssl s_client -quiet -ign_eof -connect "127.0.0.1:$port" -CAfile "$CA_CERT" -verify_return_error \
          -verify_ip 127.0.0.1 2>/dev/null | head -c 8 | od -An -tx1 | tr -d ' \n'
    )" || true
  else
    reply="$(
      exec 2>/dev/null
      exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
      printf "$request" >&3
      timeout 3 head -c 8 <&3 | od -An -tx1 | tr -d ' \n'
    )" || return 1
  fi
  # response: 4-byte size, then correlation id 1
  [[ "${#reply}" -eq 16 && "${reply:8:8}" == "00000001" ]]
}

# The listener mode a running broker was started with (KAFKA_TLS); starting it again in the other mode is refused.
check_mode() {
  local running want=plaintext
  if tls_wanted; then want=tls; fi
  running="$(cat "$MODE_FILE" 2>/dev/null || echo plaintext)"
  [[ "$running" == "$want" ]] || die "broker ${NODE_ID} on 127.0.0.1:$KAFKA_PORT runs with KAFKA_TLS=$([[ $running == tls ]] && echo true || echo false); stop it first ('kafka.sh stop') or use KAFKA_TLS=$([[ $running == tls ]] && echo true || echo false)"
}

# ---------------------------------------------------------------------------------------------------
# commands
# launch: start the broker process unless ours runs already (does not wait); sets LAUNCHED_PID.
launch() {
  local pid
  if pid="$(running_pid)"; then
    check_mode
    LAUNCHED_PID="$pid"
    return 0
  fi
  rm -f "$PID_FILE"
  if probe; then die "something else already answers on 127.0.0.1:$KAFKA_PORT"; fi
  command -v java >/dev/null || die "java not found (Java 17+ is needed)"
  fetch
  render_config
  format_storage
  log "starting broker ${NODE_ID}${RACK:+ (rack $RACK)} on 127.0.0.1:$KAFKA_PORT (controller 127.0.0.1:$CONTROLLER_PORT, data $DATA_DIR)"
  # setsid: the broker must outlive the shell (and process group) that started it.
  # shellcheck disable=SC2086
  setsid java $HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$SCRIPT_DIR/log4j2.yaml" -Dkafka.logs.dir="$LOG_DIR" \
    -cp "$LIBS_DIR/*" "$MAIN_BROKER" "$CONFIG_FILE" \
    </dev/null >>"$LOG_DIR/kafka.out" 2>&1 &
  LAUNCHED_PID=$!
  printf '%s\n' "$LAUNCHED_PID" >"$PID_FILE"
  if tls_wanted; then echo tls >"$MODE_FILE"; else echo plaintext >"$MODE_FILE"; fi
}

# wait_answering PID: until the broker answers on its client port (dies when it exits or the timeout passes).
wait_answering() {
  local pid=$1 deadline=$((SECONDS + START_TIMEOUT))
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
  log "broker ready (pid $pid) on 127.0.0.1:$KAFKA_PORT ($(tls_wanted && echo "SASL_SSL, CA $CA_CERT" || echo SASL_PLAINTEXT))"
}

start() {
  local pid
  if pid="$(running_pid)"; then check_mode; fi
  if pid="$(running_pid)" && probe; then log "already running (pid $pid) on 127.0.0.1:$KAFKA_PORT"; return 0; fi
  launch
  wait_answering "$LAUNCHED_PID"
}

# signal_stop: SIGTERM to our broker; prints its pid (nothing when it is not running).
signal_stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$PID_FILE"
    return 0
  fi
  log "stopping broker ${NODE_ID} (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  printf '%s' "$pid"
}

# wait_stopped PID: SIGKILL after STOP_TIMEOUT.
wait_stopped() {
  local pid=$1 deadline=$((SECONDS + STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      log "broker (pid $pid) did not stop within ${STOP_TIMEOUT}s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  rm -f "$PID_FILE"
}

stop() {
  local pid
  pid="$(signal_stop)"
  if [[ -z "$pid" ]]; then log "not running"; return 0; fi
  wait_stopped "$pid"
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

# ---------------------------------------------------------------------------------------------------
# 3-broker mode
check_cluster_settings() {
  local name list
  for name in KAFKA_CLUSTER_PORTS:CLUSTER_PORTS KAFKA_CLUSTER_CONTROLLER_PORTS:CLUSTER_CONTROLLER_PORTS KAFKA_CLUSTER_RACKS:CLUSTER_RACKS; do
    list="${name#*:}[@]"
    local values=("${!list}")
    ((${#values[@]} == 3)) || die "${name%%:*} must list 3 values (one per broker), got ${#values[@]}"
  done
  local all=("${CLUSTER_PORTS[@]}" "${CLUSTER_CONTROLLER_PORTS[@]}") port
  for port in "${all[@]}"; do
    [[ "$port" =~ ^[0-9]{1,5}$ ]] && ((port > 0 && port < 65536)) || die "KAFKA_CLUSTER_PORTS / KAFKA_CLUSTER_CONTROLLER_PORTS: '$port' is not a port number"
  done
  [[ "$(printf '%s\n' "${all[@]}" | sort -u | wc -l)" == 6 ]] || die "KAFKA_CLUSTER_PORTS and KAFKA_CLUSTER_CONTROLLER_PORTS must be six different ports"
  local rack
  for rack in "${CLUSTER_RACKS[@]}"; do
    [[ "$rack" =~ ^[A-Za-z0-9_-]{1,32}$ ]] || die "KAFKA_CLUSTER_RACKS: '$rack' is not a rack name (letters, digits, _ or -)"
  done
  [[ "$(printf '%s\n' "${CLUSTER_RACKS[@]}" | sort -u | wc -l)" == 3 ]] || die "KAFKA_CLUSTER_RACKS must name three different racks"
}

use_node() { # use_node N (1-3): the per-node variables of node N of the cluster
  local idx=$(($1 - 1))
  NODE_ID=$1
  KAFKA_PORT="${CLUSTER_PORTS[$idx]}"
  CONTROLLER_PORT="${CLUSTER_CONTROLLER_PORTS[$idx]}"
  RACK="${CLUSTER_RACKS[$idx]}"
  REPLICATION_FACTOR=3
  MIN_ISR=2
  QUORUM_VOTERS="1@127.0.0.1:${CLUSTER_CONTROLLER_PORTS[0]},2@127.0.0.1:${CLUSTER_CONTROLLER_PORTS[1]},3@127.0.0.1:${CLUSTER_CONTROLLER_PORTS[2]}"
  HEAP_OPTS="${KAFKA_CLUSTER_HEAP_OPTS:--Xmx384m -Xms192m}"
  DATA_DIR="$CLUSTER_DIR/node-$1"
  CLUSTER_ID_FILE="$CLUSTER_DIR/cluster.id"
  mkdir -p "$CLUSTER_DIR"
  set_paths
}

cluster_nodes() { if [[ -n "$ONLY_NODE" ]]; then echo "$ONLY_NODE"; else echo 1 2 3; fi; }

cluster_start() {
  local node pids=()
  # All processes first: a node answers only once the quorum (2 of 3 controllers) has formed.
  for node in $(cluster_nodes); do use_node "$node"; launch; pids[node]=$LAUNCHED_PID; done
  local failed=0
  for node in $(cluster_nodes); do use_node "$node"; (wait_answering "${pids[node]}") || { failed=1; break; }; done
  if [[ "$failed" == 1 ]]; then
    # Leave nothing half-started behind (a lone node would wait for a quorum for ever).
    [[ -n "$ONLY_NODE" ]] || cluster_stop
    die "the cluster did not start (broker $node); see $CLUSTER_DIR/node-$node/logs/server.log"
  fi
  [[ -n "$ONLY_NODE" ]] || log "cluster ready: 127.0.0.1:${CLUSTER_PORTS[0]},127.0.0.1:${CLUSTER_PORTS[1]},127.0.0.1:${CLUSTER_PORTS[2]} (racks ${CLUSTER_RACKS[*]})"
}

cluster_stop() {
  local node pid pids=()
  # TERM to every node at once: a broker stopping alone after the others would wait for a controller quorum.
  for node in $(cluster_nodes); do use_node "$node"; pid="$(signal_stop)"; pids[node]="$pid"; done
  for node in $(cluster_nodes); do
    use_node "$node"
    if [[ -n "${pids[node]}" ]]; then wait_stopped "${pids[node]}"; log "broker $node stopped"; else log "broker $node not running"; fi
  done
}

cluster_status() {
  local node rc=0
  for node in $(cluster_nodes); do use_node "$node"; status || rc=1; done
  return "$rc"
}

cluster_answers() {
  local node
  for node in $(cluster_nodes); do use_node "$node"; probe || return 1; done
}

cluster_pid() {
  [[ -n "$ONLY_NODE" ]] || die "pid needs --node N"
  use_node "$ONLY_NODE"
  running_pid || exit 1
  echo
}

cluster_reset() {
  ONLY_NODE=""
  cluster_stop
  if [[ -d "$CLUSTER_DIR" ]]; then
    log "deleting $CLUSTER_DIR"
    rm -rf -- "$CLUSTER_DIR"
  fi
}

cluster_acls() {
  use_node 1
  running_pid >/dev/null || die "broker 1 is not running"
  render_config
  java_tool "$MAIN_ACLS" --bootstrap-server "127.0.0.1:${CLUSTER_PORTS[0]},127.0.0.1:${CLUSTER_PORTS[1]},127.0.0.1:${CLUSTER_PORTS[2]}" --command-config "$ADMIN_CLIENT_CONFIG" "$@"
}

usage() {
  sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

cmd="${1:-}"
[[ $# -gt 0 ]] && shift
REST=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --brokers) BROKERS="${2:-}"; shift 2 || die "--brokers needs a value" ;;
    --brokers=*) BROKERS="${1#*=}"; shift ;;
    --node) ONLY_NODE="${2:-}"; shift 2 || die "--node needs a value" ;;
    --node=*) ONLY_NODE="${1#*=}"; shift ;;
    *) REST+=("$1"); shift ;;
  esac
done
[[ "$BROKERS" == 1 || "$BROKERS" == 3 ]] || die "--brokers must be 1 (the default single broker) or 3 (the cross-border cluster), not '$BROKERS'"
[[ -z "$ONLY_NODE" || ( "$BROKERS" == 3 && "$ONLY_NODE" =~ ^[123]$ ) ]] || die "--node must be 1, 2 or 3, with --brokers 3 (got '$ONLY_NODE')"

if [[ "$BROKERS" == 3 ]]; then
  check_cluster_settings
  case "$cmd" in
    fetch) fetch ;;
    start) cluster_start ;;
    stop) cluster_stop ;;
    status) cluster_status ;;
    answers) cluster_answers ;;
    pid) cluster_pid ;;
    reset) cluster_reset ;;
    acls) cluster_acls "${REST[@]}" ;;
    *) usage ;;
  esac
  exit 0
fi

case "$cmd" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  answers) probe ;;
  reset) reset ;;
  acls) acls "${REST[@]}" ;;
  *) usage ;;
esac
