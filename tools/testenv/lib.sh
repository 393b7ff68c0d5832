# shellcheck shell=bash
# Shared settings and helpers for tools/testenv/up, down and ctl (kafka-ctl,
# mongodb-ctl).
# Sourced, not executed.

TESTENV_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

CACHE_DIR="${PRIMESYNC_TESTENV_CACHE:-$HOME/.cache/primesync-testenv}"
STATE_DIR="${PRIMESYNC_TESTENV_STATE:-/tmp/primesync-testenv}"
FERRETDB_VERSION="${PRIMESYNC_TESTENV_FERRETDB_VERSION:-v1.24.2}"
KAFKA_VERSION="${PRIMESYNC_TESTENV_KAFKA_VERSION:-4.4.0}"
READY_TIMEOUT="${PRIMESYNC_TESTENV_TIMEOUT:-180}"   # seconds, per server
KAFKA_HEAP="${PRIMESYNC_TESTENV_KAFKA_HEAP:--Xms256m -Xmx512m}"

FERRETDB_BIN="$CACHE_DIR/ferretdb-$FERRETDB_VERSION/bin/ferretdb"
KAFKA_LIBS="$CACHE_DIR/kafka-$KAFKA_VERSION/libs"

# Marker that says "this state dir was created by tools/testenv/up" so that
# `down` never deletes a directory it does not own.
STATE_MARKER=".primesync-testenv"

CURRENT_STEP="init"

log() { printf 'testenv: %s\n' "$*" >&2; }

step() {
  CURRENT_STEP="$1"
  log "[$1] ${2:-}"
}

die() {
  printf 'testenv: FAILED at step "%s": %s\n' "$CURRENT_STEP" "$*" >&2
  exit 1
}

on_error() {
  local rc=$?
  printf 'testenv: FAILED at step "%s" (command exited %d, line %s)\n' \
    "$CURRENT_STEP" "$rc" "${BASH_LINENO[0]}" >&2
  exit "$rc"
}

probe() { python3 "$TESTENV_DIR/probe.py" "$@"; }

# pid_alive PIDFILE MARKER: true if the pid in PIDFILE is running and its
# command line contains MARKER (guards against a recycled pid).
pid_alive() {
  local pidfile="$1" marker="$2" pid
  [[ -f "$pidfile" ]] || return 1
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$marker"
}

# tail_log FILE: show the end of a server log on stderr.
tail_log() {
  if [[ -f "$1" ]]; then
    log "---- last lines of $1 ----"
    tail -n 40 "$1" >&2 || true
    log "---- end of $1 ----"
  fi
}

# wait_ready NAME PROBE-ARGS...: wait until probe.py PROBE-ARGS succeeds, failing
# when the server exits or READY_TIMEOUT passes.
wait_ready() {
  local name="$1"; shift
  local dir="$STATE_DIR/$name" deadline=$((SECONDS + READY_TIMEOUT)) err=""
  step "readiness $name" "waiting up to ${READY_TIMEOUT}s for: probe.py $*"
  until err="$(probe "$@" 2>&1)"; do
    if ! pid_alive "$dir/$name.pid" "$dir"; then
      tail_log "$dir/$name.log"
      die "$name exited during start-up (log: $dir/$name.log)"
    fi
    if ((SECONDS >= deadline)); then
      tail_log "$dir/$name.log"
      die "$name did not answer within ${READY_TIMEOUT}s (last probe error: $err; log: $dir/$name.log)"
    fi
    sleep 0.5
  done
  log "[readiness $name] ready"
}

# launch_mongodb PORT: start FerretDB (SQLite backend) on 127.0.0.1:PORT with the
# data in $STATE_DIR/mongodb/data, in its own session, detached from our
# stdin/stdout/stderr (and fd 3) so that `eval "$(up)"` does not wait for it.
launch_mongodb() {
  local port="$1" dir="$STATE_DIR/mongodb"
  mkdir -p "$dir/data" "$dir/state"
  FERRETDB_TELEMETRY=disable DO_NOT_TRACK=1 setsid "$FERRETDB_BIN" \
    --handler=sqlite \
    --sqlite-url="file:$dir/data/" \
    --state-dir="$dir/state" \
    --listen-addr="127.0.0.1:$port" \
    --debug-addr=- \
    --telemetry=disable \
    --log-level=INFO \
    </dev/null >>"$dir/mongodb.log" 2>&1 3>&- &
  echo $! >"$dir/mongodb.pid"
  log "[$CURRENT_STEP] pid $(cat "$dir/mongodb.pid"), log $dir/mongodb.log"
}

# launch_kafka: start the broker of $STATE_DIR/kafka/server.properties in its
# own session, detached from our stdin/stdout/stderr (and fd 3).
launch_kafka() {
  local dir="$STATE_DIR/kafka"
  # shellcheck disable=SC2086 # KAFKA_HEAP is a list of JVM flags
  setsid java $KAFKA_HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$TESTENV_DIR/kafka/log4j2.properties" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$dir/server.properties" \
    </dev/null >>"$dir/kafka.log" 2>&1 3>&- &
  echo $! >"$dir/kafka.pid"
  log "[$CURRENT_STEP] pid $(cat "$dir/kafka.pid"), log $dir/kafka.log"
}

# stop_server NAME: SIGTERM the recorded pid, wait, then SIGKILL.
stop_server() {
  local name="$1" dir="$STATE_DIR/$1" pidfile pid i
  pidfile="$dir/$name.pid"
  if [[ ! -f "$pidfile" ]]; then
    log "[stop $name] no pid file, nothing to stop"
    return 0
  fi
  pid="$(cat "$pidfile")"
  if ! pid_alive "$pidfile" "$dir"; then
    log "[stop $name] pid $pid is not running (or is not ours), nothing to stop"
    rm -f "$pidfile"
    return 0
  fi
  log "[stop $name] sending SIGTERM to pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 300; i++)); do   # up to 30 s
    pid_alive "$pidfile" "$dir" || break
    sleep 0.1
  done
  if pid_alive "$pidfile" "$dir"; then
    log "[stop $name] pid $pid still running after 30 s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      pid_alive "$pidfile" "$dir" || break
      sleep 0.1
    done
  fi
  if pid_alive "$pidfile" "$dir"; then
    die "pid $pid ($name) would not stop"
  fi
  log "[stop $name] stopped"
  rm -f "$pidfile"
}
