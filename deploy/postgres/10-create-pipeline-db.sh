#!/bin/sh
# Runs once, when the PostgreSQL volume is first initialised (docker-entrypoint-initdb.d): a
# `pipeline` role and database for the engine's own tables (the PostgreSQL sink and connection
# store), apart from Temporal's `temporal` and `temporal_visibility` databases on the same server.
# The password comes from PIPELINE_DB_PASSWORD, the same variable the worker's
# PIPELINE_DATABASE_URL is built from in temporal-docker-compose.yml. Changing it later needs
# ALTER ROLE (or a new volume): this script does not run again on an initialised volume.
set -e

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v pipeline_password="${PIPELINE_DB_PASSWORD:-pipeline}" <<'SQL'
CREATE ROLE pipeline LOGIN PASSWORD :'pipeline_password';
CREATE DATABASE pipeline OWNER pipeline;
SQL
