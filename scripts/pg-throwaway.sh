#!/usr/bin/env bash
# A throwaway PostgreSQL + PostGIS cluster for the tests: `start DIR` initialises a cluster in
# DIR (listening only on a Unix socket in DIR) and prints its URL; `stop DIR` stops it and
# removes DIR. Installs postgresql-15-postgis-3 from Debian if PostGIS is missing. The tests'
# cluster runs without fsync (it is thrown away); PG_EXTRA_OPTS adds or overrides server
# options, e.g. PG_EXTRA_OPTS="-c fsync=on -c shared_buffers=2GB" for a benchmark.
set -euo pipefail
BIN=/usr/lib/postgresql/15/bin
cmd=${1:?start|stop}
dir=${2:?directory}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
# PostgreSQL refuses to run as root: as root, run it as the postgres user.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
start)
  if ! [ -x "$BIN/initdb" ] || ! [ -f /usr/share/postgresql/15/extension/postgis.control ]; then
    echo "== installing postgresql-15-postgis-3 from Debian" >&2
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql-15-postgis-3 >/dev/null
  fi
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
  as_pg "$BIN/initdb" -D "$dir/data" -U postgres -A trust --locale=C.UTF-8 -E UTF8 >/dev/null
  as_pg "$BIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -o "-k $dir -c listen_addresses='' -c fsync=off -c max_connections=200 ${PG_EXTRA_OPTS:-}" start >/dev/null
  echo "postgres:///postgres?host=$dir&user=postgres"
  ;;
stop)
  if [ -d "$dir/data" ]; then
    as_pg "$BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
  fi
  rm -rf "$dir"
  ;;
*)
  echo "usage: $0 start|stop DIR" >&2
  exit 2
  ;;
esac
