#!/usr/bin/env bash
# Start a throw-away PostgreSQL on a free loopback port and print the URL the tests use.
# Usage: eval "$(bash .ci/postgres.sh)"   (installs Debian's postgresql when missing)
set -euo pipefail
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
  else
    echo "echo 'postgresql is not installed' >&2"; exit 0
  fi
fi
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
data=$(mktemp -d /tmp/kpiengine-pg.XXXXXX)
port=$(python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
run() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$data"
run "$bin/initdb -D $data -U kpi --auth=trust" >/dev/null
run "$bin/pg_ctl -D $data -o '-c listen_addresses=127.0.0.1 -p $port -k $data' -l $data/log -w start" >/dev/null
run "$bin/createdb -h 127.0.0.1 -p $port -U kpi kpi"
echo "export KPIENGINE_TEST_POSTGRES=postgresql://kpi@127.0.0.1:$port/kpi"
echo "export KPIENGINE_PG_DATA=$data"
