# shellcheck shell=bash
# Shared settings and helpers for tools/testenv/up and tools/testenv/down.
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
