#!/usr/bin/env bash
# Real servers for the scaled set-up and its specs (issue 15): Postgres and Redis on loopback, in a
# directory of their own, started or stopped together. Debian's packages (postgresql, redis-server).
#
#   bash scripts/services.sh start [DIR]   # prints the export lines for the URLs
#   bash scripts/services.sh stop  [DIR]
#
# Defaults: DIR=.services (ignored by git), Postgres on 127.0.0.1:55432 (user verilay, trust auth
# on loopback only), Redis on 127.0.0.1:56379 with an append-only file fsynced on every write, so a
# Redis restart loses no acknowledged job. Ports: VERILAY_PG_PORT, VERILAY_REDIS_PORT.
set -euo pipefail
cmd=${1:-start}
dir=$(realpath -m "${2:-.services}")
pg_port=${VERILAY_PG_PORT:-55432}
redis_port=${VERILAY_REDIS_PORT:-56379}
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)

# Postgres refuses to run as root: as root, its files belong to the postgres system user.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    [ -x "$pg_bin/initdb" ] || { echo "no Postgres: apt-get install postgresql" >&2; exit 1; }
    command -v redis-server >/dev/null || { echo "no Redis: apt-get install redis-server" >&2; exit 1; }
    mkdir -p "$dir/redis"
    if [ ! -f "$dir/pg/PG_VERSION" ]; then
      mkdir -p "$dir/pg"
      [ "$(id -u)" = 0 ] && chown postgres: "$dir/pg" && chmod o+x "$dir"
      as_pg "$pg_bin/initdb" -D "$dir/pg" -U verilay --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if ! as_pg "$pg_bin/pg_ctl" -D "$dir/pg" status >/dev/null 2>&1; then
      as_pg "$pg_bin/pg_ctl" -D "$dir/pg" -w -l "$dir/pg/server.log" \
        -o "-h 127.0.0.1 -p $pg_port -k '' -c max_connections=400 -c fsync=on" start >/dev/null
    fi
    if ! redis-cli -p "$redis_port" ping >/dev/null 2>&1; then
      redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$dir/redis" --daemonize yes \
        --pidfile "$dir/redis/redis.pid" --logfile "$dir/redis/redis.log" \
        --appendonly yes --appendfsync always --save '' --maxmemory-policy noeviction
      for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    fi
    echo "export VERILAY_TEST_POSTGRES_URL=postgres://verilay@127.0.0.1:$pg_port/postgres"
    echo "export VERILAY_TEST_REDIS_URL=redis://127.0.0.1:$redis_port"
    ;;
  stop)
    # Only the servers this directory started (a server found running on the port is left alone).
    if [ -f "$dir/redis/redis.pid" ]; then kill "$(cat "$dir/redis/redis.pid")" 2>/dev/null || true; fi
    [ -f "$dir/pg/PG_VERSION" ] && as_pg "$pg_bin/pg_ctl" -D "$dir/pg" -m fast stop >/dev/null 2>&1 || true
    ;;
  *)
    echo "usage: $0 start|stop [DIR]" >&2
    exit 2
    ;;
esac
