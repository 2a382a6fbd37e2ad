#!/usr/bin/env bash
# The cross-border deployment on one machine (issue 17): the three-broker Kafka cluster (racks CN, HK, MO), the three
# authority services, and three registries — one per jurisdiction, each with its own schema, consumer group and
# rack, each verifying every signature itself; loads the demo recordations, checks that the three registries agree
# (audit:agree) and prints every address. Ctrl-C stops everything it started.
# Reads optional overrides from .env (see .env.example). Needs about 3 GB of memory (three brokers, seven apps).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

if [[ -f .env ]]; then set -a; source .env; set +a; fi

# The cluster's client ports (kafka.sh reads the same variable) and the apps' bootstrap list.
IFS=',' read -r -a CLUSTER_PORTS <<<"${KAFKA_CLUSTER_PORTS:-19092,19093,19094}"
((${#CLUSTER_PORTS[@]} == 3)) || { echo "KAFKA_CLUSTER_PORTS must list 3 ports, got '${KAFKA_CLUSTER_PORTS:-}'" >&2; exit 1; }
export KAFKA_CLUSTER_PORTS="${CLUSTER_PORTS[0]},${CLUSTER_PORTS[1]},${CLUSTER_PORTS[2]}"
BROKERS="127.0.0.1:${CLUSTER_PORTS[0]},127.0.0.1:${CLUSTER_PORTS[1]},127.0.0.1:${CLUSTER_PORTS[2]}"
if [[ -n "${KAFKA_BROKERS:-}" && "${KAFKA_BROKERS}" != "$BROKERS" && "${KAFKA_BROKERS}" != "127.0.0.1:9092" ]]; then
  echo "KAFKA_BROKERS=$KAFKA_BROKERS does not match the cluster's ports ($BROKERS, from KAFKA_CLUSTER_PORTS); unset it" >&2
  exit 1
fi
export KAFKA_BROKERS="$BROKERS"
export KAFKA_REPLICATION_FACTOR="${KAFKA_REPLICATION_FACTOR:-3}" KAFKA_MIN_INSYNC_REPLICAS="${KAFKA_MIN_INSYNC_REPLICAS:-2}"

require_tools
install_node_modules
ensure_postgres
build
mkdir -p .local/logs/cluster
node dist/scripts/dev-keys.js .local/dev-keys.env
set -a; source .local/dev-keys.env; set +a

# Kafka over TLS by default (KAFKA_TLS=false: plaintext on loopback): the three brokers' certificates are signed by
# the development CA that kafka.sh generates; the apps and the provisioning trust it (KAFKA_CA_FILE).
use_kafka_tls

CLUSTER_STARTED_HERE=0
cleanup() {
  trap - INT TERM EXIT
  say "stopping the apps"
  stop_apps
  if [[ "$CLUSTER_STARTED_HERE" == 1 ]]; then
    say "stopping the three brokers we started"
    bash "$KAFKA_SH" stop --brokers 3 || true
  fi
  say "stopped"
}
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap cleanup EXIT

if bash "$KAFKA_SH" answers --brokers 3 >/dev/null 2>&1; then
  say "the three-broker cluster already answers on $BROKERS; using it"
else
  say "starting the three-broker Kafka cluster (deploy/kafka/kafka.sh start --brokers 3)"
  CLUSTER_STARTED_HERE=1
  bash "$KAFKA_SH" start --brokers 3
fi
say "provisioning topics and ACLs (replication factor $KAFKA_REPLICATION_FACTOR, min ISR $KAFKA_MIN_INSYNC_REPLICAS)"
node dist/libs/platform/src/kafka/provision.cli.js

# Its own database: the authorities' outboxes record the offsets of the broker they published to.
DATABASE_URL="${CLUSTER_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/recordation_exchange_cluster}"
# Least privilege (as scripts/start.sh): the superuser (DATABASE_ADMIN_URL, default DATABASE_URL's user on database
# postgres) creates each app's role and schema, the three sites' registry schemas owned by the registry's role; each
# app then connects as its own role (DATABASE_PASSWORD_<APP>), read from the set-up's stdout: on no command line, in
# no file.
say "setting up the apps' database roles"
export DATABASE_URL
while IFS='=' read -r name value; do
  if [[ "$name" =~ ^DATABASE_URL_[A-Z_]+$ ]]; then printf -v "$name" '%s' "$value"; fi
done < <(node dist/libs/platform/src/database/roles.cli.js --print-urls --registry-schemas registry_cn,registry_hk,registry_mo)
[[ -n "${DATABASE_URL_MACAO:-}" ]] || { echo "the database role set-up failed" >&2; exit 1; }
export PUBLISHER_TOKEN_CN="${PUBLISHER_TOKEN_CN:-dev-publisher-cn}" PUBLISHER_TOKEN_HK="${PUBLISHER_TOKEN_HK:-dev-publisher-hk}" \
  PUBLISHER_TOKEN_MO="${PUBLISHER_TOKEN_MO:-dev-publisher-mo}" OFFICER_TOKEN_CN="${OFFICER_TOKEN_CN:-dev-officer-cn}" \
  OFFICER_TOKEN_HK="${OFFICER_TOKEN_HK:-dev-officer-hk}" OFFICER_TOKEN_MO="${OFFICER_TOKEN_MO:-dev-officer-mo}" \
  AUDITOR_TOKEN="${AUDITOR_TOKEN:-dev-auditor}" ADMIN_TOKEN="${ADMIN_TOKEN:-dev-admin}"
MAINLAND_PORT="${MAINLAND_PORT:-3001}"
HONG_KONG_PORT="${HONG_KONG_PORT:-3002}"
MACAO_PORT="${MACAO_PORT:-3003}"
REGISTRY_CN_PORT="${REGISTRY_CN_PORT:-3010}"
REGISTRY_HK_PORT="${REGISTRY_HK_PORT:-3020}"
REGISTRY_MO_PORT="${REGISTRY_MO_PORT:-3030}"
# The apps must not inherit a single-site registry's settings from .env.
unset DATABASE_SCHEMA KAFKA_CONSUMER_GROUP REGISTRY_SITE KAFKA_RACK

LOGS=.local/logs/cluster

say "starting three registries and three authority services (logs in .local/logs/cluster/)"
for site in CN HK MO; do
  lower=${site,,}
  port_var="REGISTRY_${site}_PORT"
  start_app registry "$LOGS/registry-$lower.log" "${!port_var}" DATABASE_URL="$DATABASE_URL_REGISTRY" REGISTRY_SITE="$site" DATABASE_SCHEMA="registry_$lower" KAFKA_CONSUMER_GROUP="registry-$lower" \
    KAFKA_USERNAME=registry KAFKA_PASSWORD="${KAFKA_PASSWORD_REGISTRY:-registry-dev-secret}" TRUSTED_KEYS="$TRUSTED_KEYS"
done
start_app mainland "$LOGS/mainland.log" "$MAINLAND_PORT" DATABASE_URL="$DATABASE_URL_MAINLAND" KAFKA_USERNAME=authority-cn KAFKA_PASSWORD="${KAFKA_PASSWORD_CN:-cn-dev-secret}" \
  SIGNING_KEY_ID="$SIGNING_KEY_ID_CN" SIGNING_PRIVATE_KEY="$SIGNING_PRIVATE_KEY_CN"
start_app hong-kong "$LOGS/hong-kong.log" "$HONG_KONG_PORT" DATABASE_URL="$DATABASE_URL_HONG_KONG" KAFKA_USERNAME=authority-hk KAFKA_PASSWORD="${KAFKA_PASSWORD_HK:-hk-dev-secret}" \
  SIGNING_KEY_ID="$SIGNING_KEY_ID_HK" SIGNING_PRIVATE_KEY="$SIGNING_PRIVATE_KEY_HK"
start_app macao "$LOGS/macao.log" "$MACAO_PORT" DATABASE_URL="$DATABASE_URL_MACAO" KAFKA_USERNAME=authority-mo KAFKA_PASSWORD="${KAFKA_PASSWORD_MO:-mo-dev-secret}" \
  SIGNING_KEY_ID="$SIGNING_KEY_ID_MO" SIGNING_PRIVATE_KEY="$SIGNING_PRIVATE_KEY_MO"

for app in registry-cn:$REGISTRY_CN_PORT registry-hk:$REGISTRY_HK_PORT registry-mo:$REGISTRY_MO_PORT mainland:$MAINLAND_PORT \
  hong-kong:$HONG_KONG_PORT macao:$MACAO_PORT; do
  # Seven processes and three brokers on a small machine: a generous limit (START_TIMEOUT seconds).
  wait_ready "${app%%:*}" "${app##*:}" "$LOGS/${app%%:*}.log" "${START_TIMEOUT:-300}"
done

say "loading the demo recordations through the authority APIs"
MAINLAND_URL="http://127.0.0.1:$MAINLAND_PORT" HONG_KONG_URL="http://127.0.0.1:$HONG_KONG_PORT" MACAO_URL="http://127.0.0.1:$MACAO_PORT" \
  REGISTRY_URL="http://127.0.0.1:$REGISTRY_CN_PORT" node dist/scripts/load-demo.js

say "checking that the three registries agree (npm run audit:agree)"
node dist/apps/registry/src/replay/agree.cli.js "http://127.0.0.1:$REGISTRY_CN_PORT" "http://127.0.0.1:$REGISTRY_HK_PORT" \
  "http://127.0.0.1:$REGISTRY_MO_PORT" --wait 60 --show 3 | grep -v '^{' || echo "the registries do not agree yet; see above" >&2

cat <<INFO

  Recordation Exchange is running as the cross-border deployment.

  Kafka cluster ($(kafka_link_description))
                                 $BROKERS
    broker 1 rack CN 127.0.0.1:${CLUSTER_PORTS[0]}   broker 2 rack HK 127.0.0.1:${CLUSTER_PORTS[1]}   broker 3 rack MO 127.0.0.1:${CLUSTER_PORTS[2]}
    topics replicated $KAFKA_REPLICATION_FACTOR times, min.insync.replicas $KAFKA_MIN_INSYNC_REPLICAS
  Registry, Mainland site (CN)   http://127.0.0.1:$REGISTRY_CN_PORT/   schema registry_cn, group registry-cn, rack CN
  Registry, Hong Kong site (HK)  http://127.0.0.1:$REGISTRY_HK_PORT/   schema registry_hk, group registry-hk, rack HK
  Registry, Macao site (MO)      http://127.0.0.1:$REGISTRY_MO_PORT/   schema registry_mo, group registry-mo, rack MO
  Mainland (GACC) service        http://127.0.0.1:$MAINLAND_PORT/recordations
  Hong Kong C&ED service         http://127.0.0.1:$HONG_KONG_PORT/recordations
  Macao Customs service          http://127.0.0.1:$MACAO_PORT/recordations
  Database                       $DATABASE_URL (each app as its own role)
  Logs                           .local/logs/cluster/

  Do the sites agree?  npm run audit:agree -- http://127.0.0.1:$REGISTRY_CN_PORT http://127.0.0.1:$REGISTRY_HK_PORT http://127.0.0.1:$REGISTRY_MO_PORT
  Development credentials (Authorization: Bearer <token>):
    publishers   CN $PUBLISHER_TOKEN_CN   HK $PUBLISHER_TOKEN_HK   MO $PUBLISHER_TOKEN_MO
    officers     CN $OFFICER_TOKEN_CN   HK $OFFICER_TOKEN_HK   MO $OFFICER_TOKEN_MO   (each asks its own site's registry)
    auditor      $AUDITOR_TOKEN        alias admin  $ADMIN_TOKEN

  Press Ctrl-C to stop everything.
INFO

watch_apps "$LOGS/"
