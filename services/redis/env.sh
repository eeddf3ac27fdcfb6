# Shared by start.sh and stop.sh: where Redis listens and keeps its log and pid file. Sourced, not run.
REDIS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REDIS_PORT="${REDIS_PORT:-6379}"
# The default server keeps services/redis/data; one on another port gets its own folder beside it.
if [ "$REDIS_PORT" = 6379 ]; then
  REDIS_DATA_DIR="${REDIS_DATA_DIR:-$REDIS_DIR/data}"
else
  REDIS_DATA_DIR="${REDIS_DATA_DIR:-$REDIS_DIR/data/port-$REDIS_PORT}"
fi
REDIS_PID_FILE="$REDIS_DATA_DIR/redis.pid"
REDIS_LOG="$REDIS_DATA_DIR/redis.log"

# True when a Redis server answers PING on 127.0.0.1:$REDIS_PORT.
answers() {
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$REDIS_PORT && printf 'PING\r\n' >&3 && head -c 5 <&3 | grep -q PONG" 2>/dev/null
}

# The pid in the pid file, if that process is still a redis-server (guards against a reused pid).
redis_pid() {
  [ -f "$REDIS_PID_FILE" ] || return 1
  local pid
  pid="$(cat "$REDIS_PID_FILE")"
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'redis-server' || return 1
  echo "$pid"
}
