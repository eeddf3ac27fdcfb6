#!/usr/bin/env bash
# Starts redis-server on 127.0.0.1:${REDIS_PORT:-6379} with no persistence, unless something already answers there
# (on the project's machines Redis usually runs as a machine service). Idempotent.
# redis-server is the Debian package redis-server (installed here when missing and we are root).
# Env: REDIS_PORT (6379), REDIS_DATA_DIR (its log and pid file: services/redis/data, or data/port-N on another port).
# Stop it with stop.sh (same env).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

if answers; then
  echo "redis: already answering on 127.0.0.1:$REDIS_PORT"
  exit 0
fi

if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "redis: redis-server not found; installing Debian package redis-server"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  fi
  command -v redis-server >/dev/null 2>&1 || { echo "redis: redis-server is required (Debian package redis-server)" >&2; exit 1; }
fi

mkdir -p "$REDIS_DATA_DIR"
# No RDB snapshots, no AOF: the tests and the embedded service keep nothing across restarts.
redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
  --dir "$REDIS_DATA_DIR" --logfile "$REDIS_LOG" --pidfile "$REDIS_PID_FILE"

for _ in $(seq 1 40); do
  if answers; then
    echo "redis: started on 127.0.0.1:$REDIS_PORT"
    exit 0
  fi
  sleep 0.25
done
echo "redis: no answer on 127.0.0.1:$REDIS_PORT after 10s. Last lines of $REDIS_LOG:" >&2
tail -n 20 "$REDIS_LOG" >&2 || true
exit 1
