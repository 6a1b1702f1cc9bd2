#!/usr/bin/env bash
# Source this: starts the Debian PostgreSQL 15 cluster on loopback and exports
# LANTIAN_TEST_POSTGRES_URL for a fresh, empty test database (LANTIAN_TEST_DB, default
# lantian_test).
set -euo pipefail
if ! pg_lsclusters -h 2>/dev/null | grep -q "^15 *main"; then
  pg_createcluster 15 main >/dev/null
fi
pg_ctlcluster 15 main start 2>/dev/null || true
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p 5432 && break
  sleep 1
done
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='lantian'\"" | grep -q 1 \
  || su postgres -c "psql -qc \"CREATE ROLE lantian LOGIN SUPERUSER PASSWORD 'lantian'\""
db="${LANTIAN_TEST_DB:-lantian_test}"
su postgres -c "dropdb --if-exists --force $db"
# per-test databases and templates of an interrupted run (tests/_fastdb.py: ${db}_…)
for stale in $(su postgres -c "psql -qtAc \"SELECT datname FROM pg_database WHERE datname LIKE '${db}\\_%'\""); do
  su postgres -c "dropdb --if-exists --force $stale"
done
su postgres -c "createdb -O lantian $db"
LANTIAN_TEST_POSTGRES_URL="postgresql+psycopg://lantian:lantian@127.0.0.1:5432/$db"
export LANTIAN_TEST_POSTGRES_URL
echo "postgres: $LANTIAN_TEST_POSTGRES_URL"
