#!/bin/sh
# One-shot (compose service temporal-schema, image temporalio/admin-tools): creates Temporal's two
# PostgreSQL databases and brings their schemas up to the version this image ships. Safe to run
# on every start: create ignores an existing database, setup-schema skips a versioned one and
# update-schema applies only what is missing. Reads DB_PORT, POSTGRES_SEEDS, POSTGRES_USER,
# SQL_PASSWORD (temporal-sql-tool's password variable), DBNAME and VISIBILITY_DBNAME.
set -eu

schema_root=/etc/temporal/schema/postgresql/v12

echo "waiting for PostgreSQL at ${POSTGRES_SEEDS}:${DB_PORT}"
tries=0
until nc -z "${POSTGRES_SEEDS}" "${DB_PORT}"; do
  tries=$((tries + 1))
  [ "$tries" -lt 60 ] || { echo "PostgreSQL did not open ${POSTGRES_SEEDS}:${DB_PORT}" >&2; exit 1; }
  sleep 1
done

sql() {
  temporal-sql-tool --plugin postgres12 --ep "${POSTGRES_SEEDS}" -p "${DB_PORT}" -u "${POSTGRES_USER}" "$@"
}

for pair in "${DBNAME}:temporal" "${VISIBILITY_DBNAME}:visibility"; do
  db=${pair%%:*}
  dir=${pair#*:}
  echo "schema for database ${db}"
  sql --db "${db}" create
  sql --db "${db}" setup-schema -v 0.0
  sql --db "${db}" update-schema -d "${schema_root}/${dir}/versioned"
done
echo "Temporal schemas are up to date"
