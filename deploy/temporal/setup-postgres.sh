#!/bin/sh
# One-shot schema job of the `temporal-admin-tools` service: creates the `temporal` and
# `temporal_visibility` databases and brings their schemas to the version of this admin-tools
# image. Follows temporalio/samples-server compose/scripts/setup-postgres.sh, with one change:
# it runs on every `docker compose up` against a kept volume, so a database that already exists
# is not an error (setup-schema and update-schema are already no-ops on an up-to-date schema).
set -eu

: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${SQL_PASSWORD:?}"
PORT=${DB_PORT:-5432}
SCHEMA_DIR=/etc/temporal/schema/postgresql/v12

sql_tool() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -u "$POSTGRES_USER" -p "$PORT" "$@"
}

create_database() {
  if out=$(sql_tool --db "$1" create 2>&1); then
    echo "Created database $1"
  elif echo "$out" | grep -qi 'already exists'; then
    echo "Database $1 already exists"
  else
    echo "$out" >&2
    exit 1
  fi
}

echo "Waiting for PostgreSQL at $POSTGRES_SEEDS:$PORT..."
nc -z -w 10 "$POSTGRES_SEEDS" "$PORT"

create_database temporal
sql_tool --db temporal setup-schema -v 0.0
sql_tool --db temporal update-schema -d "$SCHEMA_DIR/temporal/versioned"

create_database temporal_visibility
sql_tool --db temporal_visibility setup-schema -v 0.0
sql_tool --db temporal_visibility update-schema -d "$SCHEMA_DIR/visibility/versioned"

echo "PostgreSQL schema setup complete"
