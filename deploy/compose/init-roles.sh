#!/bin/bash
# Runs once, when the postgres service of docker-compose.yml initialises its volume (/docker-entrypoint-initdb.d):
# one role per app, owning its schema and nothing else (the names the local set-up uses: mainland, hong_kong, macao,
# registry), with the passwords of DATABASE_PASSWORD_<APP>. The registry may also create schemas (replay targets).
# pg_trgm is created here by the superuser: the registry's migration only checks that it exists.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v db="$POSTGRES_DB" \
  -v mainland="$DATABASE_PASSWORD_MAINLAND" -v hong_kong="$DATABASE_PASSWORD_HONG_KONG" \
  -v macao="$DATABASE_PASSWORD_MACAO" -v registry="$DATABASE_PASSWORD_REGISTRY" <<'SQL'
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE ROLE mainland LOGIN PASSWORD :'mainland';
CREATE ROLE hong_kong LOGIN PASSWORD :'hong_kong';
CREATE ROLE macao LOGIN PASSWORD :'macao';
CREATE ROLE registry LOGIN PASSWORD :'registry';
CREATE SCHEMA mainland AUTHORIZATION mainland;
CREATE SCHEMA hong_kong AUTHORIZATION hong_kong;
CREATE SCHEMA macao AUTHORIZATION macao;
CREATE SCHEMA registry AUTHORIZATION registry;
GRANT CREATE ON DATABASE :"db" TO registry;
SQL
