#!/usr/bin/env bash
# Entry point of the Kafka service in docker-compose.yml: the same configuration and SCRAM principals as
# deploy/kafka/kafka.sh, on the official apache/kafka image, listening on the compose network as kafka:9092.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
data=/var/lib/kafka/data
mkdir -p "$data"
# One node (as kafka.sh's single broker); the client listener is SASL_PLAINTEXT on the compose network (the demo runs
# in development mode, KAFKA_TLS unset): every @NAME@ token of the template is replaced (test/consistency checks it).
sed -e "s#@KAFKA_PORT@#9092#g; s#@CONTROLLER_PORT@#9093#g; s#@KAFKA_DATA_DIR@#$data#g" \
    -e "s#@NODE_ID@#1#g; s#@QUORUM_VOTERS@#1@127.0.0.1:9093#g; s#@REPLICATION_FACTOR@#1#g; s#@MIN_ISR@#1#g" \
    -e "s#@CLIENT_PROTOCOL@#SASL_PLAINTEXT#g" \
    -e "s#@ADMIN_PASSWORD@#${KAFKA_PASSWORD_ADMIN}#g" \
    -e "s#^listeners=CLIENT://127.0.0.1:9092#listeners=CLIENT://0.0.0.0:9092#" \
    -e "s#^advertised.listeners=CLIENT://127.0.0.1:9092#advertised.listeners=CLIENT://kafka:9092#" \
    "$here/server.properties.template" > "$data/server.properties"
if [[ ! -f "$data/kraft/meta.properties" ]]; then
  /opt/kafka/bin/kafka-storage.sh format --ignore-formatted -t "$(/opt/kafka/bin/kafka-storage.sh random-uuid)" -c "$data/server.properties" \
    --add-scram "SCRAM-SHA-512=[name=admin,password=${KAFKA_PASSWORD_ADMIN}]" \
    --add-scram "SCRAM-SHA-512=[name=authority-cn,password=${KAFKA_PASSWORD_CN}]" \
    --add-scram "SCRAM-SHA-512=[name=authority-hk,password=${KAFKA_PASSWORD_HK}]" \
    --add-scram "SCRAM-SHA-512=[name=authority-mo,password=${KAFKA_PASSWORD_MO}]" \
    --add-scram "SCRAM-SHA-512=[name=registry,password=${KAFKA_PASSWORD_REGISTRY}]"
fi
exec /opt/kafka/bin/kafka-server-start.sh "$data/server.properties"
