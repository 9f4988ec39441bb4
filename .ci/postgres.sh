#!/usr/bin/env bash
# Starts a local PostgreSQL for the storage tests and prints the URL they should use.
# Sourced by .ci/run; installs the server when the machine has none.
set -euo pipefail
if ! command -v pg_lsclusters >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
cluster="$(pg_lsclusters -h | head -n 1)"
if [ -z "$cluster" ]; then
    version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
    pg_createcluster "$version" main >/dev/null
    cluster="$(pg_lsclusters -h | head -n 1)"
fi
read -r version name port _ <<<"$cluster"
pg_ctlcluster "$version" "$name" start >/dev/null 2>&1 || true
su postgres -c "psql -q -p $port -c \"DROP DATABASE IF EXISTS interview_outreach_test\"" >/dev/null 2>&1
su postgres -c "psql -q -p $port -c \"DROP ROLE IF EXISTS io_ci\"" >/dev/null 2>&1
su postgres -c "psql -q -p $port -c \"CREATE ROLE io_ci LOGIN PASSWORD 'io_ci'\"" >/dev/null
su postgres -c "createdb -p $port -O io_ci interview_outreach_test" >/dev/null
echo "postgresql+psycopg://io_ci:io_ci@127.0.0.1:$port/interview_outreach_test"
