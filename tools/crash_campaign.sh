#!/usr/bin/env bash
# kill -9 campaign (issue 10): one primesync-server on a fresh data dir under the
# load generator's realistic mix; CYCLES times during that one run the server is
# killed with SIGKILL at a random moment and restarted on the same data dir and
# port. The load generator keeps going (its connections reconnect) and at the end
# downloads every user it wrote to and checks that each acknowledged write is
# there (tools/loadgen, "Verification"). One run across every crash, so a write
# acknowledged before the first crash must survive all the later ones too.
#
#   tools/crash_campaign.sh                        # 10 cycles, summary on stdout
#   CYCLES=3 USERS=200 tools/crash_campaign.sh     # quicker
#   BUILD=build/faults tools/crash_campaign.sh     # binaries of another build dir
#
# Exit status: 0 nothing acknowledged was lost; 2 a loss (the load generator's
# verdict); 1 a setup failure (no binary, the server did not come back).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

build="${BUILD:-build/release}"
cycles="${CYCLES:-10}"
users="${USERS:-500}"
connections="${CONNECTIONS:-64}"
# Seconds of load between two crashes: the kill comes at a random moment within
# the second half of it, so that each cycle has acknowledged writes in flight.
interval="${INTERVAL:-5}"
# Longest a restart may take before the campaign gives up.
restart_deadline_s="${RESTART_DEADLINE_S:-30}"
server_bin="$build/src/app/primesync-server"
loadgen_bin="$build/tools/loadgen/primesync-loadgen"

if [[ ! -x "$server_bin" || ! -x "$loadgen_bin" ]]; then
  echo "crash_campaign: building primesync-server and primesync-loadgen in $build" >&2
  export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" --target primesync-server primesync-loadgen
fi

work="$(mktemp -d /tmp/primesync-crash.XXXXXX)"
export PRIMESYNC_JWT_SECRET=crash-campaign-secret
# A few users at machine speed: the per-user limit would refuse most of the mix.
export PRIMESYNC_LIMITS_USERREQUESTSPERSECOND=0
export PRIMESYNC_LOG_ACCESSLOG=false
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
target="http://127.0.0.1:$port"
server_pid=""
loadgen_pid=""

cleanup() {
  [[ -n "$loadgen_pid" ]] && kill "$loadgen_pid" 2>/dev/null || true
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

now_ms() { date +%s%3N; }

# Starts the server on the data dir and waits for /healthz; sets server_pid and
# start_ms (how long it took). Not in a subshell: server_pid must reach the caller.
start_ms=0
start_server() {
  local started
  started=$(now_ms)
  "$server_bin" --listen "127.0.0.1:$port" --data-dir "$work/data" --threads 2 \
    >>"$work/server.log" 2>&1 &
  server_pid=$!
  local give_up=$((started + restart_deadline_s * 1000))
  until curl -fsS -o /dev/null "$target/healthz" 2>/dev/null; do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "crash_campaign: the server exited during start-up; log tail:" >&2
      tail -20 "$work/server.log" >&2
      exit 1
    fi
    if (($(now_ms) > give_up)); then
      echo "crash_campaign: the server did not answer /healthz within ${restart_deadline_s} s" >&2
      exit 1
    fi
    sleep 0.01
  done
  start_ms=$(($(now_ms) - started))
}

echo "crash_campaign: server $server_bin, data $work/data, $cycles cycles, $users users" >&2
start_server
"$loadgen_bin" --seed --target "$target" --users "$users" --connections "$connections" \
  --no-verify --no-progress >"$work/seed.txt" 2>&1

# Long enough for every cycle (each at most one interval plus a restart), so
# that the verification starts after the last restart.
duration=$((cycles * interval + 2 * interval))
"$loadgen_bin" --mix --target "$target" --users "$users" --connections "$connections" \
  --duration "$duration" --no-progress --json "$work/mix.json" >"$work/mix.txt" 2>&1 &
loadgen_pid=$!

restart_ms=()
for cycle in $(seq 1 "$cycles"); do
  # A random moment in the second half of the interval (bash's RANDOM: 0..32767).
  half_ms=$((interval * 500))
  pause_ms=$((half_ms + RANDOM % half_ms))
  sleep "$((pause_ms / 1000)).$(printf '%03d' $((pause_ms % 1000)))"
  if ! kill -0 "$loadgen_pid" 2>/dev/null; then
    echo "crash_campaign: the load ended before cycle $cycle (restarts too slow?); see $work" >&2
    exit 1
  fi
  kill -9 "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  start_server
  restart_ms+=("$start_ms")
  echo "crash_campaign: cycle $cycle: kill -9, restarted in ${start_ms} ms" >&2
done

set +e
wait "$loadgen_pid"
loadgen_status=$?
set -e
loadgen_pid=""

python3 - "$work/mix.json" "$loadgen_status" "${restart_ms[@]}" <<'EOF'
import json, statistics, sys
report = json.load(open(sys.argv[1]))
status = int(sys.argv[2])
restarts = [int(v) for v in sys.argv[3:]]
ops = report["ops"]
acknowledged = sum(ops.get(op, {}).get("ok", 0) for op in ("upload", "flush"))
verify = report["verify"]
lost = verify["missing"] + verify["stale"]
failed = report["failed"]
print("kill -9 campaign")
print(f"  cycles (kill -9 + restart): {len(restarts)}")
refused_connects = sum(v for k, v in report["errors"].items() if "io:connect" in k)
print(f"  requests: {report['requests']:,}; failed {failed:,}: {refused_connects:,} connection "
      f"attempts while the server was down, {failed - refused_connects:,} others (in flight at a kill)")
print(f"  writes acknowledged (uploads + flushes): {acknowledged:,}")
print(f"  acknowledged items verified: {verify['items']:,} of {verify['users']:,} users")
print(f"  lost: {lost} (missing {verify['missing']}, older than acknowledged {verify['stale']}), "
      f"downloads failed: {verify['download_failures']}")
print(f"  restart to /healthz 200: min {min(restarts)} ms, median {statistics.median(restarts):.0f} ms, "
      f"max {max(restarts)} ms")
print(f"  verdict: {'OK' if lost == 0 and verify['download_failures'] == 0 and status == 0 else 'LOSS'}")
EOF
exit "$loadgen_status"
