#!/usr/bin/env bash
# Starts the whole system locally: Kafka, the three authority services and the registry; loads the demo
# recordations through the authority APIs and prints where to look. Ctrl-C stops everything it started.
# Reads optional overrides from .env (see .env.example).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

if [[ -f .env ]]; then set -a; source .env; set +a; fi

require_tools
install_node_modules
ensure_postgres
build
mkdir -p .local/logs
node dist/scripts/dev-keys.js .local/dev-keys.env
set -a; source .local/dev-keys.env; set +a

# Kafka over TLS by default (KAFKA_TLS=false: the loopback plaintext listener, as the tests use): kafka.sh generates
# the development CA and the broker's certificate; every app and the provisioning trust that CA (KAFKA_CA_FILE).
use_kafka_tls

cleanup() {
  trap - INT TERM EXIT
  say "stopping the apps"
  stop_apps
  stop_kafka_if_started_here
  say "stopped"
}
# Ctrl-C or a TERM stops everything and ends here (the wait loop below would otherwise resume and report the apps
# it just stopped as having died).
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap cleanup EXIT

ensure_kafka
say "provisioning topics and ACLs"
node dist/libs/platform/src/kafka/provision.cli.js

DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/recordation_exchange}"
# Least privilege: each app connects as a role of its own that owns only its schema. The superuser
# (DATABASE_ADMIN_URL, default DATABASE_URL's user on database postgres) creates the roles and schemas; DATABASE_URL
# names the database, and each app gets it with its role's name and password (DATABASE_PASSWORD_<APP>).
say "setting up the apps' database roles"
export DATABASE_URL
# DATABASE_URL_REGISTRY, _MAINLAND, _HONG_KONG, _MACAO: DATABASE_URL as each role (read from the set-up's stdout, so
# the passwords are on no command line and in no file).
while IFS='=' read -r name value; do
  if [[ "$name" =~ ^DATABASE_URL_[A-Z_]+$ ]]; then printf -v "$name" '%s' "$value"; fi
done < <(node dist/libs/platform/src/database/roles.cli.js --print-urls)
[[ -n "${DATABASE_URL_MACAO:-}" ]] || { echo "the database role set-up failed" >&2; exit 1; }
# Development credentials (see .env.example); every app and the demo loader get the same values.
export PUBLISHER_TOKEN_CN="${PUBLISHER_TOKEN_CN:-dev-publisher-cn}" PUBLISHER_TOKEN_HK="${PUBLISHER_TOKEN_HK:-dev-publisher-hk}" \
  PUBLISHER_TOKEN_MO="${PUBLISHER_TOKEN_MO:-dev-publisher-mo}" OFFICER_TOKEN_CN="${OFFICER_TOKEN_CN:-dev-officer-cn}" \
  OFFICER_TOKEN_HK="${OFFICER_TOKEN_HK:-dev-officer-hk}" OFFICER_TOKEN_MO="${OFFICER_TOKEN_MO:-dev-officer-mo}" \
  AUDITOR_TOKEN="${AUDITOR_TOKEN:-dev-auditor}" ADMIN_TOKEN="${ADMIN_TOKEN:-dev-admin}"
REGISTRY_PORT="${REGISTRY_PORT:-3000}"
MAINLAND_PORT="${MAINLAND_PORT:-3001}"
HONG_KONG_PORT="${HONG_KONG_PORT:-3002}"
MACAO_PORT="${MACAO_PORT:-3003}"

# The identity provider (issue 21): one OIDC issuer per authority (deploy/idp, oidc-provider; Keycloak did not fit
# this budget, see the README). The apps accept its tokens next to the development tokens.
IDP_PORT="${IDP_PORT:-3080}"
say "starting the identity provider on 127.0.0.1:$IDP_PORT (logs in .local/logs/idp.log)"
IDP_PORT="$IDP_PORT" node deploy/idp/idp.mjs >.local/logs/idp.log 2>&1 &
APP_PIDS+=($!)
idp_deadline=$((SECONDS + 30))
until node -e "fetch('http://127.0.0.1:$IDP_PORT/health').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; do
  if ((SECONDS > idp_deadline)); then
    echo "the identity provider did not start on port $IDP_PORT; last log lines:" >&2
    tail -n 20 .local/logs/idp.log >&2
    exit 1
  fi
  sleep 0.2
done
export OIDC_ISSUER_CN="${OIDC_ISSUER_CN:-http://127.0.0.1:$IDP_PORT/realms/cn}" OIDC_ISSUER_HK="${OIDC_ISSUER_HK:-http://127.0.0.1:$IDP_PORT/realms/hk}" \
  OIDC_ISSUER_MO="${OIDC_ISSUER_MO:-http://127.0.0.1:$IDP_PORT/realms/mo}"

say "starting the apps (logs in .local/logs/)"
start_app registry .local/logs/registry.log "$REGISTRY_PORT" DATABASE_URL="$DATABASE_URL_REGISTRY" KAFKA_USERNAME=registry \
  KAFKA_PASSWORD="${KAFKA_PASSWORD_REGISTRY:-registry-dev-secret}" TRUSTED_KEYS="$TRUSTED_KEYS"
start_app mainland .local/logs/mainland.log "$MAINLAND_PORT" DATABASE_URL="$DATABASE_URL_MAINLAND" KAFKA_USERNAME=authority-cn \
  KAFKA_PASSWORD="${KAFKA_PASSWORD_CN:-cn-dev-secret}" SIGNING_KEY_ID="$SIGNING_KEY_ID_CN" SIGNING_PRIVATE_KEY="$SIGNING_PRIVATE_KEY_CN"
start_app hong-kong .local/logs/hong-kong.log "$HONG_KONG_PORT" DATABASE_URL="$DATABASE_URL_HONG_KONG" KAFKA_USERNAME=authority-hk \
  KAFKA_PASSWORD="${KAFKA_PASSWORD_HK:-hk-dev-secret}" SIGNING_KEY_ID="$SIGNING_KEY_ID_HK" SIGNING_PRIVATE_KEY="$SIGNING_PRIVATE_KEY_HK"
start_app macao .local/logs/macao.log "$MACAO_PORT" DATABASE_URL="$DATABASE_URL_MACAO" KAFKA_USERNAME=authority-mo \
  KAFKA_PASSWORD="${KAFKA_PASSWORD_MO:-mo-dev-secret}" SIGNING_KEY_ID="$SIGNING_KEY_ID_MO" SIGNING_PRIVATE_KEY="$SIGNING_PRIVATE_KEY_MO"

for app in registry:$REGISTRY_PORT mainland:$MAINLAND_PORT hong-kong:$HONG_KONG_PORT macao:$MACAO_PORT; do
  wait_ready "${app%%:*}" "${app##*:}" ".local/logs/${app%%:*}.log"
done

say "loading the demo recordations through the authority APIs"
MAINLAND_URL="http://127.0.0.1:$MAINLAND_PORT" HONG_KONG_URL="http://127.0.0.1:$HONG_KONG_PORT" MACAO_URL="http://127.0.0.1:$MACAO_PORT" \
  REGISTRY_URL="http://127.0.0.1:$REGISTRY_PORT" node dist/scripts/load-demo.js

cat <<INFO

  Recordation Exchange is running.

  Officers' lookup (web page)   http://127.0.0.1:$REGISTRY_PORT/
  Registry API + OpenAPI        http://127.0.0.1:$REGISTRY_PORT/api/docs
    e.g. http://127.0.0.1:$REGISTRY_PORT/api/check?mark=%E6%84%9B%E9%A6%AC%E4%BB%95   (愛馬仕)
  Metrics                       http://127.0.0.1:$REGISTRY_PORT/metrics
  Mainland (GACC) service       http://127.0.0.1:$MAINLAND_PORT/recordations
  Hong Kong C&ED service        http://127.0.0.1:$HONG_KONG_PORT/recordations
  Macao Customs service         http://127.0.0.1:$MACAO_PORT/recordations
  Kafka                         127.0.0.1:${KAFKA_PORT:-9092} ($(kafka_link_description))
  Logs                          .local/logs/

  Development credentials (Authorization: Bearer <token>):
    publishers   CN $PUBLISHER_TOKEN_CN   HK $PUBLISHER_TOKEN_HK   MO $PUBLISHER_TOKEN_MO
    officers     CN $OFFICER_TOKEN_CN   HK $OFFICER_TOKEN_HK   MO $OFFICER_TOKEN_MO
    auditor      $AUDITOR_TOKEN        alias admin  $ADMIN_TOKEN
    e.g. curl -H "Authorization: Bearer $OFFICER_TOKEN_HK" 'http://127.0.0.1:$REGISTRY_PORT/api/check?mark=HERMES'

  Identity provider (OIDC, one issuer per authority)   http://127.0.0.1:$IDP_PORT/realms/{cn,hk,mo}
    sign in on the officers' page (choose the authority first), demo logins (user / password):
      officers   CN officer.wang / officer-cn-demo   HK officer.chan / officer-hk-demo   MO officer.leong / officer-mo-demo
      auditors   auditor.cn / auditor-cn-demo  (and .hk, .mo)     admins  admin.cn / admin-cn-demo  (and .hk, .mo)
    machine clients (client credentials): <cn|hk|mo>-recordation-system (publisher), <cn|hk|mo>-risk-engine (officer),
      secret <client>-dev-secret, e.g.
      curl -u hk-risk-engine:hk-risk-engine-dev-secret -d grant_type=client_credentials http://127.0.0.1:$IDP_PORT/realms/hk/token

  Press Ctrl-C to stop everything.
INFO

# Stay in the foreground until Ctrl-C or until an app dies.
watch_apps .local/logs/
