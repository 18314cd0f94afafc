#!/usr/bin/env bash
# Local PostgreSQL for the embedded default and the tests: start | stop | status | url
#   ACD_PG_PORT (default 6432): its own port and cluster, so a system PostgreSQL is left alone.
# PostgreSQL refuses to run as root: the cluster belongs to the `postgres` user (created by Debian's
# package), its data under the cache folder; it listens on 127.0.0.1 only, with trust
# authentication for local connections (a development and test cluster, never production).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

port="${ACD_PG_PORT:-6432}"
dir="$ACD_CACHE_DIR/postgres-$port"
# A root's home is usually closed to other users (0700), and the server runs as `postgres`: then the
# cluster lives in the postgres user's own folder instead (the cache folder holds a note saying where).
if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$ACD_CACHE_DIR" 2>/dev/null; then
  mkdir -p "$ACD_CACHE_DIR"
  echo "the PostgreSQL cluster on :$port lives in /var/lib/postgresql/acd/postgres-$port (postgres cannot enter $ACD_CACHE_DIR)" \
    >"$ACD_CACHE_DIR/postgres-$port.where"
  dir="/var/lib/postgresql/acd/postgres-$port"
  mkdir -p "$(dirname "$dir")" && chown postgres: "$(dirname "$dir")"
fi
data="$dir/data"
log="$dir/postgres.log"

pg_bin() {
  local v
  for v in $(ls -1 /usr/lib/postgresql 2>/dev/null | sort -rn); do
    [ -x "/usr/lib/postgresql/$v/bin/$1" ] && { echo "/usr/lib/postgresql/$v/bin/$1"; return; }
  done
  return 1
}
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
alive() { as_pg "$(pg_bin pg_isready)" -q -h 127.0.0.1 -p "$port" 2>/dev/null; }

case "${1:-}" in
  start)
    pg_bin postgres >/dev/null || bash "$(dirname "$0")/install-host.sh"
    pg_bin postgres >/dev/null || die "PostgreSQL is not installed (Debian package postgresql)"
    if alive; then say "PostgreSQL already answering on 127.0.0.1:$port"; exit 0; fi
    port_in_use "$port" tcp && die "port $port/tcp is taken by something that is not PostgreSQL: set ACD_PG_PORT"
    mkdir -p "$dir"
    require_free_mib 100 "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; chmod 700 "$dir"; fi
    if [ ! -s "$data/PG_VERSION" ]; then
      rm -rf "$data"
      as_pg "$(pg_bin initdb)" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || die "initdb failed; log: $dir/initdb.log"
    fi
    # the cluster's sockets go in its own folder: /var/run/postgresql may not exist or be someone else's
    as_pg "$(pg_bin pg_ctl)" -D "$data" -l "$log" -w -t 30 \
      -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir -c max_connections=200 -c fsync=on" start >/dev/null \
      || die "PostgreSQL did not start on :$port; log: $log"
    for _ in $(seq 1 50); do alive && break; sleep 0.1; done
    alive || die "PostgreSQL did not answer on :$port; log: $log"
    as_pg "$(pg_bin psql)" -h 127.0.0.1 -p "$port" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='acd'" | grep -q 1 \
      || as_pg "$(pg_bin createdb)" -h 127.0.0.1 -p "$port" -U postgres acd
    say "PostgreSQL up on 127.0.0.1:$port (database acd)"
    ;;
  stop)
    if [ ! -s "$data/postmaster.pid" ]; then say "PostgreSQL on :$port is not running"; exit 0; fi
    as_pg "$(pg_bin pg_ctl)" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
    say "PostgreSQL on :$port stopped"
    ;;
  status) alive && echo "running :$port" || { echo stopped; exit 3; } ;;
  url) echo "postgres://postgres@127.0.0.1:$port/acd" ;;
  *) echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
esac
