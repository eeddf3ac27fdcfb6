# Shared by start.sh and stop.sh: where the broker listens and keeps its data. Sourced, not run.
KAFKA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
# The default broker keeps services/kafka/data; one on another port gets its own folder beside it.
if [ "$KAFKA_PORT" = 9092 ]; then
  KAFKA_DATA_DIR="${KAFKA_DATA_DIR:-$KAFKA_DIR/data}"
else
  KAFKA_DATA_DIR="${KAFKA_DATA_DIR:-$KAFKA_DIR/data/port-$KAFKA_PORT}"
fi
KAFKA_LIB="$KAFKA_DIR/lib"
KAFKA_PID_FILE="$KAFKA_DATA_DIR/kafka.pid"
KAFKA_LOG="$KAFKA_DATA_DIR/server.log"

# True when something accepts TCP connections on 127.0.0.1:$1.
port_answers() {
  timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# The pid in the pid file, if that process is still our broker (guards against a reused pid).
broker_pid() {
  [ -f "$KAFKA_PID_FILE" ] || return 1
  local pid
  pid="$(cat "$KAFKA_PID_FILE")"
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'kafka\.Kafka' || return 1
  echo "$pid"
}
