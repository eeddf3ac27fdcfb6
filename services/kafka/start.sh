#!/usr/bin/env bash
# Starts a single-node Kafka 3.9 broker (KRaft combined mode) on 127.0.0.1:${KAFKA_PORT:-9092}, in the background.
# Idempotent: exits 0 at once when something already answers on the port.
# Needs java (17+) and mvn: Debian packages openjdk-17-jre-headless and maven (installed here when missing and
# we are root). The broker jars come from Maven Central via pom.xml into services/kafka/lib (cached).
# Env: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (port+1), KAFKA_DATA_DIR, KAFKA_HEAP_OPTS (-Xmx512m),
#      KAFKA_START_TIMEOUT seconds (120). Stop it with stop.sh (same env).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

if port_answers "$KAFKA_PORT"; then
  echo "kafka: something already answers on 127.0.0.1:$KAFKA_PORT; not starting another broker"
  exit 0
fi

need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "kafka: $1 not found; installing Debian package $2"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  fi
  command -v "$1" >/dev/null 2>&1 || { echo "kafka: $1 is required (Debian package $2)" >&2; exit 1; }
}
need java openjdk-17-jre-headless

# Fetch the jars once; refetch when pom.xml changed (a version bump) since the last complete fetch.
if [ ! -f "$KAFKA_LIB/.complete" ] || [ "$KAFKA_DIR/pom.xml" -nt "$KAFKA_LIB/.complete" ]; then
  need mvn maven
  echo "kafka: fetching broker jars from Maven Central into $KAFKA_LIB"
  rm -rf "$KAFKA_LIB"
  mkdir -p "$KAFKA_DATA_DIR"
  mvn -B -Dstyle.color=never -f "$KAFKA_DIR/pom.xml" dependency:copy-dependencies >"$KAFKA_DATA_DIR/fetch.log" 2>&1 ||
    { echo "kafka: fetching the jars failed. Last lines of $KAFKA_DATA_DIR/fetch.log:" >&2; tail -n 30 "$KAFKA_DATA_DIR/fetch.log" >&2; exit 1; }
  touch "$KAFKA_LIB/.complete"
fi

mkdir -p "$KAFKA_DATA_DIR"
CONFIG="$KAFKA_DATA_DIR/server.properties"
LOG_DIRS="$KAFKA_DATA_DIR/kraft-logs"
# The effective config: the checked-in one with this instance's ports and log dir.
sed -e "s/:9092/:$KAFKA_PORT/g" -e "s/:9093/:$KAFKA_CONTROLLER_PORT/g" -e "s#^log\.dirs=.*#log.dirs=$LOG_DIRS#" \
  "$KAFKA_DIR/server.properties" >"$CONFIG"

JAVA_OPTS=(${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
  "-Dlog4j.configuration=file:$KAFKA_DIR/log4j.properties")
CP="$KAFKA_LIB/*"

if [ ! -f "$LOG_DIRS/meta.properties" ]; then
  # A KRaft cluster id is 16 random bytes in URL-safe base64 without padding (what `random-uuid` prints).
  CLUSTER_ID="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
  echo "kafka: formatting storage in $LOG_DIRS (cluster $CLUSTER_ID)"
  java "${JAVA_OPTS[@]}" -cp "$CP" kafka.tools.StorageTool format -t "$CLUSTER_ID" -c "$CONFIG" --ignore-formatted \
    >"$KAFKA_DATA_DIR/format.log" 2>&1 || { echo "kafka: storage format failed:" >&2; tail -n 30 "$KAFKA_DATA_DIR/format.log" >&2; exit 1; }
fi

if pid="$(broker_pid)"; then
  echo "kafka: a broker (pid $pid) is already starting from $KAFKA_DATA_DIR; waiting for it"
else
  [ -f "$KAFKA_LOG" ] && mv -f "$KAFKA_LOG" "$KAFKA_LOG.1"
  # setsid: the broker outlives this shell and is not in its process group.
  setsid nohup java "${JAVA_OPTS[@]}" -cp "$CP" kafka.Kafka "$CONFIG" >"$KAFKA_LOG" 2>&1 </dev/null &
  pid=$!
  # setsid forks when it happens to lead a process group; then find the broker by its config path.
  sleep 0.2
  if ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka'; then
    pid="$(pgrep -f -n "kafka\.Kafka $CONFIG" || echo "$pid")"
  fi
  echo "$pid" >"$KAFKA_PID_FILE"
  echo "kafka: started broker pid $pid on 127.0.0.1:$KAFKA_PORT (log $KAFKA_LOG)"
fi

timeout_s="${KAFKA_START_TIMEOUT:-120}"
started=$SECONDS
until port_answers "$KAFKA_PORT" && grep -q 'Kafka Server started' "$KAFKA_LOG" 2>/dev/null; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "kafka: the broker exited during start-up. Last lines of $KAFKA_LOG:" >&2
    tail -n 40 "$KAFKA_LOG" >&2 || true
    exit 1
  fi
  if [ $((SECONDS - started)) -ge "$timeout_s" ]; then
    echo "kafka: the broker did not accept connections on 127.0.0.1:$KAFKA_PORT within ${timeout_s}s. Last lines of $KAFKA_LOG:" >&2
    tail -n 40 "$KAFKA_LOG" >&2 || true
    exit 1
  fi
  sleep 0.5
done
echo "kafka: ready on 127.0.0.1:$KAFKA_PORT after $((SECONDS - started))s"
