#!/usr/bin/env bash
# npm run migrate [-- APP...]: applies every pending migration of each app's schema (default: all four apps).
# npm run migrate:revert [-- APP...]: reverts the last applied migration of each app's schema.
# Both run TypeORM's own CLI on the app's data source (dist/apps/APP/src/data-source.js), which reads DATABASE_URL and
# DATABASE_SCHEMA (default: the app's own schema) and creates the database and schema when missing.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
action=$1; shift
ALL_APPS=(registry mainland hong-kong macao)
apps=("$@")
if ((${#apps[@]} == 0)); then apps=("${ALL_APPS[@]}"); fi
for app in "${apps[@]}"; do
  if [[ ! " ${ALL_APPS[*]} " =~ " $app " ]]; then
    echo "unknown app '$app' (one of: ${ALL_APPS[*]})" >&2
    exit 2
  fi
done
if [[ -f .env ]]; then set -a; source .env; set +a; fi
if [[ -n "${DATABASE_SCHEMA:-}" && ${#apps[@]} -gt 1 ]]; then
  echo "DATABASE_SCHEMA names one schema: name the one app it is for, e.g. npm run migrate -- registry" >&2
  exit 2
fi
ensure_node
install_node_modules
build >/dev/null
for app in "${apps[@]}"; do
  say "$app: migration:$action"
  if [[ $action == run ]]; then
    node node_modules/typeorm/cli.js migration:run --transaction each -d "dist/apps/$app/src/data-source.js"
  else
    node node_modules/typeorm/cli.js migration:revert -d "dist/apps/$app/src/data-source.js"
  fi
done
