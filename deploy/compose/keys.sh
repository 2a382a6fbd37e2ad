#!/bin/sh
# The `keys` service of docker-compose.yml (runs as root, once before the apps): generates the development signing keys
# (kept in the keys volume, so restarts keep them) and gives each app a key file of its own on a volume of its own,
# owned by the image's app user (node, uid 1000) and readable by it only: each authority gets its own private key,
# the registry only the public keys. Not for production keys (see deploy/k8s and npm run k8s:secrets).
set -eu
keys="${KEYS_DIR:-/keys}"
owner="${KEYS_OWNER:-node:node}"
node dist/scripts/dev-keys.js "$keys/all/dev-keys.env"
set -a; . "$keys/all/dev-keys.env"; set +a
give() { # give DIR LINE... — writes $keys/DIR/keys.env
  dir="$keys/$1"; shift
  mkdir -p "$dir"
  (umask 077; printf '%s\n' "$@" > "$dir/keys.env")
  chown -R "$owner" "$dir"
  chmod 0500 "$dir"
  chmod 0400 "$dir/keys.env"
}
give mainland "SIGNING_KEY_ID=$SIGNING_KEY_ID_CN" "SIGNING_PRIVATE_KEY=$SIGNING_PRIVATE_KEY_CN"
give hong-kong "SIGNING_KEY_ID=$SIGNING_KEY_ID_HK" "SIGNING_PRIVATE_KEY=$SIGNING_PRIVATE_KEY_HK"
give macao "SIGNING_KEY_ID=$SIGNING_KEY_ID_MO" "SIGNING_PRIVATE_KEY=$SIGNING_PRIVATE_KEY_MO"
give registry "TRUSTED_KEYS=$TRUSTED_KEYS"
