#!/usr/bin/env bash
# Stops the redis-server start.sh started (same REDIS_PORT / REDIS_DATA_DIR), found by its pid file. A Redis that
# start.sh did not start (a machine service, say) has no pid file of ours and is left alone.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

if ! pid="$(redis_pid)"; then
  echo "redis: no redis-server of ours is running from $REDIS_DATA_DIR"
  rm -f "$REDIS_PID_FILE"
  exit 0
fi
# SIGTERM is a clean SHUTDOWN; with no persistence configured nothing is saved.
kill -TERM "$pid"
for _ in $(seq 1 40); do
  kill -0 "$pid" 2>/dev/null || { rm -f "$REDIS_PID_FILE"; echo "redis: stopped pid $pid"; exit 0; }
  sleep 0.25
done
echo "redis: pid $pid did not stop within 10s; killing it"
kill -KILL "$pid" 2>/dev/null || true
rm -f "$REDIS_PID_FILE"
