#!/usr/bin/env bash
# Local Redis for the embedded default and the tests: start | stop | status
#   ACD_REDIS_PORT (default 6390): its own port, so a system Redis on 6379 is left alone
set -euo pipefail
. "$(dirname "$0")/lib.sh"

port="${ACD_REDIS_PORT:-6390}"
dir="$ACD_CACHE_DIR/redis-$port"
pidfile="$dir/redis.pid"

alive() { redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; }

case "${1:-}" in
  start)
    command -v redis-server >/dev/null || bash "$(dirname "$0")/install-host.sh"
    if alive; then say "Redis already answering on 127.0.0.1:$port"; exit 0; fi
    port_in_use "$port" tcp && die "port $port/tcp is taken by something that is not Redis: set ACD_REDIS_PORT"
    mkdir -p "$dir"
    require_free_mib 50 "$dir"
    rm -f "$pidfile"
    # appendonly: a restart of this Redis keeps waiting callers, callbacks and timers
    redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --daemonize yes --pidfile "$pidfile" \
      --appendonly yes --save '' --logfile "$dir/redis.log" >/dev/null
    for _ in $(seq 1 50); do alive && { say "Redis up on 127.0.0.1:$port"; exit 0; }; sleep 0.1; done
    die "Redis did not start on :$port; log: $dir/redis.log"
    ;;
  stop)
    alive || { say "Redis on :$port is not running"; exit 0; }
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    say "Redis on :$port stopped"
    ;;
  status) alive && echo "running :$port" || { echo stopped; exit 3; } ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
