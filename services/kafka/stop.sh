#!/usr/bin/env bash
# Stops the broker start.sh started (same KAFKA_PORT / KAFKA_DATA_DIR). Keeps its data; remove the data dir to reset.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

if ! pid="$(broker_pid)"; then
  echo "kafka: no broker of ours is running from $KAFKA_DATA_DIR"
  rm -f "$KAFKA_PID_FILE"
  exit 0
fi
kill -TERM "$pid"
for _ in $(seq 1 60); do
  kill -0 "$pid" 2>/dev/null || { rm -f "$KAFKA_PID_FILE"; echo "kafka: stopped pid $pid"; exit 0; }
  sleep 0.5
done
echo "kafka: pid $pid did not stop within 30s; killing it"
kill -KILL "$pid" 2>/dev/null || true
rm -f "$KAFKA_PID_FILE"
